// Package acme obtains DV certificates from an ACME CA (issue 13, the acme
// driver) with lego (github.com/go-acme/lego/v5 v5.6.0). It is library code:
// the app stores keys, orders and states, and mounts the handlers.
//
// # Flow
//
// New registers the account (the caller keeps its key: NewAccountKey,
// ParseAccountKey). Client.Order checks the input without contacting anyone
// — domains (NormalizeDomains), the customer's CSR (ParseCSR,
// CheckCSRNames) — then opens the order and returns what the customer must
// see: the HTTP-01 path and body, or the dns-01 TXT name and value (and, for
// delegation, the CNAME target). Client.Complete proves control, finalises
// and downloads; it reports validating → submitted_to_ca → issued, or
// ca_rejected with the CA's reason, each with its time. Client.Obtain is the
// two in a row, for when nobody has to act in between. Refusals by the CA
// are *RejectedError; input errors are *errs.Error with stable codes.
//
// lego's high-level Certifier runs order, challenges and finalisation in
// one call, with no point at which to report submitted_to_ca, no pause for
// a customer to add a TXT record, and a global DNS client for its
// propagation checks. So this package drives lego's protocol core
// (acme/api: JWS, nonces, account, order, authorisation, challenge,
// finalise, download) and does the few challenge steps itself.
//
// # Proving control
//
//   - HTTP-01: Complete puts the key authorisation in Config.Tokens
//     (HTTPTokens) and ChallengeHandler serves it at
//     /.well-known/acme-challenge/{token} to the CA; with no Tokens the
//     customer publishes the file shown.
//   - dns-01, CustomerTXT: the customer adds _acme-challenge.<domain> TXT
//     <value>. Before asking the CA, Complete looks the value up through
//     Config.Resolver (miekg/dns) and fails early with acme.dns_txt_missing.
//   - dns-01, Delegated: the customer once sets _acme-challenge.<domain>
//     CNAME DelegationTarget(domain, zone); Complete adds the TXT value to
//     Config.Records, which ZoneServer, authoritative for the zone,
//     answers; the same resolver check applies.
//
// # Tests
//
// The tests run against real Pebble and pebble-challtestsrv
// (internal/pebbletest) with real validation. For delegation the code under
// test must be what the CA reaches, so ZoneServer runs on a loopback UDP
// port and Pebble resolves through pebbletest's delegating resolver:
// challtestsrv holds the customer's CNAME (as the customer's DNS host
// would), and the CNAME's target, inside our zone, is asked of ZoneServer —
// the path a public recursive resolver takes in production. Having
// challtestsrv serve the TXT at the target as well would leave ZoneServer
// and Config.Records untested.
package acme
