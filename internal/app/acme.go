package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"yuanxu/internal/catalog"
	"yuanxu/internal/delivery"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/provider/acme"
	"yuanxu/internal/store"
)

// Certificates by ACME (issue 13, the acme driver; ADR 0006). A paid DV
// certificate waits (delivery pending) until the customer names the
// domains and the way to prove control (SubmitCertificateRequest: HTTP-01
// served by us, dns-01 with a TXT record they add, or dns-01 by a CNAME
// delegation to our zone; optionally their own CSR). The submission puts
// the delivery back in the queue and the provisioning job calls the acme
// driver, which opens one order at the CA per service (the order is
// stored before anything else happens, so a retry or a second instance
// continues it instead of ordering again), proves control, finalises and
// downloads. Each CA state is recorded in certificate_state as it
// happens (validating → submitted_to_ca → issued / ca_rejected), which the
// refund rules read (clause 3.2.2). On issue the certificate and chain are
// stored and emailed (never a key), an SMS notice goes out, and the
// delivery is recorded by the usual record step. A key we generated is
// stored sealed and shown only after re-authentication.

// ACME error codes (the library's input codes acme.* are passed through).
const (
	CodeACMENotConfigured = "acme.not_configured"
	CodeACMENotACME       = "acme.not_acme_product"
	CodeACMERequestExists = "acme.request_exists"
	CodeACMENotAwaiting   = "acme.not_awaiting_customer"
	CodeACMEBusy          = "acme.busy"
	CodeACMENoRequest     = "acme.no_request"
	CodeACMENoKey         = "acme.no_private_key"
	CodeACMEDomainsMax    = "acme.domains_too_many"
)

// Certificate request states (acme_cert_request.state).
const (
	ACMESubmitted        = "submitted"         // the customer's request is in; the driver opens the order
	ACMEAwaitingCustomer = "awaiting_customer" // the customer must publish the TXT record, then confirm
	ACMEConfirmed        = "confirmed"         // the customer says the record is there
	ACMEIssued           = "issued"
	ACMERejected         = "rejected" // the CA refused (ca_rejected)
)

// ACMEConfig configures the acme driver.
type ACMEConfig struct {
	// DirectoryURL is the CA's ACME directory.
	DirectoryURL string
	// HTTPClient talks to the CA (give it the CA bundle); nil: system roots.
	HTTPClient *http.Client
	// Email is the account's contact.
	Email string
	// Zone is the delegation zone we answer for dns-01 by CNAME (the DNS
	// server: ACMEZoneServer); empty disables that mode.
	Zone string
	// Resolver (host:port) checks dns-01 records before asking the CA;
	// empty skips the check.
	Resolver string
	// DNSCheckWait, PollInterval, StepTimeout: see acme.Config.
	DNSCheckWait, PollInterval, StepTimeout time.Duration
	// Lease bounds how long one worker holds a request (default 15 min).
	Lease time.Duration
	// RenewBefore is how long before a certificate ends it is renewed
	// (CDN sites' certificates and issued DV certificates of active
	// services; default DefaultCertRenewBefore).
	RenewBefore time.Duration
	// TXTNoticeDays is how many days before a certificate proved by a TXT
	// record the customer adds ends that the customer is told to renew it
	// (it is not renewed automatically; acme_txt_notice.go; default
	// DefaultTXTNoticeDays).
	TXTNoticeDays int
}

type acmeState struct {
	cfg    ACMEConfig
	client *acme.Client
}

// ConfigureACME registers (or finds) the ACME account at the CA, its key
// kept sealed in acme_account, and installs the acme driver (kept by a
// later ConfigureDelivery). Without it products with driver acme fall to
// the operations queue (manual).
func (a *App) ConfigureACME(ctx context.Context, c ACMEConfig) error {
	if c.DirectoryURL == "" {
		return errors.New("acme: no directory URL")
	}
	if c.Lease <= 0 {
		c.Lease = 15 * time.Minute
	}
	if c.RenewBefore <= 0 {
		c.RenewBefore = DefaultCertRenewBefore
	}
	if c.TXTNoticeDays <= 0 {
		c.TXTNoticeDays = DefaultTXTNoticeDays
	}
	keyEnc, _, err := store.ACMEAccountGet(ctx, a.db, c.DirectoryURL)
	if store.IsNotFound(err) {
		pemKey, err := acme.NewAccountKey()
		if err != nil {
			return err
		}
		enc, err := a.seal("acme_account", "key_pem", c.DirectoryURL, string(pemKey))
		if err != nil {
			return err
		}
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			return tx.ACMEAccountInsert(ctx, c.DirectoryURL, enc)
		}); err != nil {
			return err
		}
		keyEnc, _, err = store.ACMEAccountGet(ctx, a.db, c.DirectoryURL) // another instance may have won
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	keyPEM, err := a.open("acme_account", "key_pem", c.DirectoryURL, keyEnc)
	if err != nil {
		return err
	}
	client, err := acme.New(ctx, a.acmeLibConfig(c), []byte(keyPEM))
	if err != nil {
		return err
	}
	if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return tx.ACMEAccountSetURL(ctx, c.DirectoryURL, client.AccountURL())
	}); err != nil {
		return err
	}
	a.acmeCfg.Store(&acmeState{cfg: c, client: client})
	st := a.delivery()
	drivers := make(map[string]Driver, len(st.drivers)+1)
	for k, d := range st.drivers {
		drivers[k] = d
	}
	if _, ok := drivers[string(catalog.DriverACME)]; !ok {
		drivers[string(catalog.DriverACME)] = &acmeDriver{a: a}
	}
	next := *st // the CDN settings and the test hook stay
	next.drivers = drivers
	a.deliveryCfg.Store(&next)
	return nil
}

func (a *App) acmeLibConfig(c ACMEConfig) acme.Config {
	lc := acme.Config{DirectoryURL: c.DirectoryURL, HTTPClient: c.HTTPClient, UserAgent: "yuanxu", Email: c.Email,
		Tokens: dbTokens{db: a.db}, Resolver: c.Resolver, DNSCheckWait: c.DNSCheckWait, PollInterval: c.PollInterval,
		StepTimeout: c.StepTimeout, Now: a.Now}
	if c.Zone != "" {
		lc.Zone, lc.Records = c.Zone, dbTXT{db: a.db}
	}
	return lc
}

// ACMEChallengeHandler answers the CA's HTTP-01 requests at
// /.well-known/acme-challenge/{token} from the database, so any instance
// answers (mounted by the web server whether or not ACME is configured:
// unknown tokens are 404).
func (a *App) ACMEChallengeHandler() http.Handler { return acme.ChallengeHandler(dbTokens{db: a.db}) }

// ACMEZoneServer is the authoritative DNS server of the delegation zone
// (nil when no zone is configured); nameservers are its NS names.
func (a *App) ACMEZoneServer(nameservers ...string) *acme.ZoneServer {
	st := a.acmeCfg.Load()
	if st == nil || st.cfg.Zone == "" {
		return nil
	}
	return acme.NewZoneServer(st.cfg.Zone, dbTXT{db: a.db}, nameservers...)
}

// dbTokens keeps HTTP-01 key authorisations in acme_http_token.
type dbTokens struct{ db *store.DB }

func (d dbTokens) Present(ctx context.Context, token, keyAuth string) error {
	return d.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return tx.ACMETokenPut(ctx, token, keyAuth) })
}

func (d dbTokens) CleanUp(ctx context.Context, token string) error {
	return d.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return tx.ACMETokenDelete(ctx, token) })
}

func (d dbTokens) KeyAuth(ctx context.Context, token string) (string, bool, error) {
	k, err := store.ACMETokenGet(ctx, d.db, token)
	if store.IsNotFound(err) {
		return "", false, nil
	}
	return k, err == nil, err
}

// dbTXT keeps delegated dns-01 TXT values in acme_txt_record.
type dbTXT struct{ db *store.DB }

func (d dbTXT) AddTXT(ctx context.Context, name, value string) error {
	return d.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return tx.ACMETXTAdd(ctx, canonName(name), value) })
}

func (d dbTXT) RemoveTXT(ctx context.Context, name, value string) error {
	return d.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return tx.ACMETXTRemove(ctx, canonName(name), value) })
}

func (d dbTXT) TXT(ctx context.Context, name string) ([]string, error) {
	return store.ACMETXT(ctx, d.db, canonName(name))
}

// canonName is a DNS name lower-cased with its trailing dot.
func canonName(n string) string {
	n = strings.ToLower(n)
	if !strings.HasSuffix(n, ".") {
		n += "."
	}
	return n
}

// acmeDriver delivers DV certificates through ACME (see the comment at
// the top). Its effect is the order at the CA, made once per token: the
// request row (keyed by the service id, the token) holds the order from
// the moment it is opened, and a lease keeps two workers from acting on
// it at once.
type acmeDriver struct{ a *App }

func (d *acmeDriver) Local() bool { return false }

// errACMEBusy: another worker holds the request; the job retries.
var errACMEBusy = errs.E(errs.Op("app.acmeDriver"), errs.Conflict, CodeACMEBusy, "another worker is processing this certificate")

func (d *acmeDriver) Provision(ctx context.Context, req ProvisionRequest) (ProvisionResult, error) {
	a := d.a
	st := a.acmeCfg.Load()
	if st == nil {
		return ProvisionResult{}, errs.E(errs.Op("app.acmeDriver"), errs.Unavailable, CodeACMENotConfigured, "ACME is not configured on this instance")
	}
	r, err := store.ACMERequestGet(ctx, a.db, req.Token)
	if store.IsNotFound(err) {
		return ProvisionResult{Notes: "awaiting the customer's domain names and challenge choice"}, nil
	}
	if err != nil {
		return ProvisionResult{}, err
	}
	switch r.State {
	case ACMEIssued:
		return acmeResult(r), nil
	case ACMERejected:
		return ProvisionResult{Notes: "rejected by the CA: " + r.Reason}, nil
	case ACMEAwaitingCustomer:
		return ProvisionResult{Notes: "awaiting the customer's DNS record: " + r.Reason}, nil
	}
	// submitted or confirmed: take the lease.
	now := a.Now()
	if r.LeaseUntil.After(now) {
		return ProvisionResult{}, errACMEBusy
	}
	r, err = a.acmeUpdate(ctx, r, func(r *store.ACMERequestRow) { r.LeaseUntil = now.Add(st.cfg.Lease) })
	if err != nil {
		return ProvisionResult{}, err
	}
	release := func(r store.ACMERequestRow, perr error) (ProvisionResult, error) {
		if _, err := a.acmeUpdate(context.WithoutCancel(ctx), r, func(r *store.ACMERequestRow) { r.LeaseUntil = time.Time{} }); err != nil {
			a.log.LogAttrs(ctx, slog.LevelWarn, "acme: releasing the lease", slog.String("service", r.ServiceID), slog.String("err", err.Error()))
		}
		return ProvisionResult{}, perr
	}

	var o *acme.Order
	if r.OrderJSON == "" {
		o, err = st.client.Order(ctx, acme.Request{Domains: r.Domains, Challenge: acme.ChallengeType(r.Challenge), DNSMode: acme.DNSMode(r.DNSMode),
			CSR: []byte(r.CSRPEM)})
		var re *acme.RejectedError
		if errors.As(err, &re) {
			return ProvisionResult{Notes: "rejected by the CA: " + re.Problem.Detail}, a.acmeRejected(ctx, r, re.Problem.Detail, a.Now())
		}
		if err != nil {
			return release(r, err)
		}
		b, err := json.Marshal(o)
		if err != nil {
			return release(r, err)
		}
		if r, err = a.acmeUpdate(ctx, r, func(r *store.ACMERequestRow) { r.OrderJSON, r.OrdersPlaced = string(b), r.OrdersPlaced+1 }); err != nil {
			return ProvisionResult{}, err
		}
	} else if err := json.Unmarshal([]byte(r.OrderJSON), &o); err != nil {
		return release(r, err)
	}
	if r.State == ACMESubmitted && r.Challenge == string(acme.DNS01) && r.DNSMode == string(acme.CustomerTXT) {
		// The customer adds the TXT record we now show, then confirms.
		notes := "add the TXT record shown, then confirm"
		_, err := a.acmeUpdate(ctx, r, func(r *store.ACMERequestRow) {
			r.State, r.Reason, r.LeaseUntil = ACMEAwaitingCustomer, notes, time.Time{}
		})
		return ProvisionResult{Notes: "awaiting the customer's DNS record: " + notes}, err
	}

	var rejectedAt time.Time
	cert, err := st.client.Complete(ctx, o, func(c acme.StateChange) {
		if c.State == acme.StateRejected {
			rejectedAt = c.At
			return // recorded with the request's state below
		}
		if err := a.recordACMEState(context.WithoutCancel(ctx), r.ServiceID, delivery.CertState(c.State), c.At, ""); err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "acme: recording a certificate state", slog.String("service", r.ServiceID),
				slog.String("state", string(c.State)), slog.String("err", err.Error()))
		}
	})
	var re *acme.RejectedError
	switch {
	case errors.As(err, &re):
		if rejectedAt.IsZero() {
			rejectedAt = a.Now()
		}
		return ProvisionResult{Notes: "rejected by the CA: " + re.Problem.Detail}, a.acmeRejected(ctx, r, re.Problem.Detail, rejectedAt)
	case errs.CodeOf(err) == "acme.dns_txt_missing":
		notes := "the TXT record is not visible yet; add it, then confirm again"
		_, uerr := a.acmeUpdate(ctx, r, func(r *store.ACMERequestRow) {
			r.State, r.Reason, r.LeaseUntil = ACMEAwaitingCustomer, notes, time.Time{}
		})
		return ProvisionResult{Notes: "awaiting the customer's DNS record: " + notes}, uerr
	case err != nil:
		return release(r, err)
	}
	return a.acmeIssued(ctx, r, cert)
}

// acmeUpdate applies f to r and writes it if nobody changed it meanwhile
// (acme.busy otherwise); it returns the row as written.
func (a *App) acmeUpdate(ctx context.Context, r store.ACMERequestRow, f func(*store.ACMERequestRow)) (store.ACMERequestRow, error) {
	out := r
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		out = r
		f(&out)
		out.UpdatedAt = tx.Now
		if !out.UpdatedAt.After(r.UpdatedAt) {
			out.UpdatedAt = r.UpdatedAt.Add(time.Millisecond) // a manual clock: keep the version moving
		}
		ok, err := tx.ACMERequestUpdate(ctx, out, r.State, r.UpdatedAt)
		if err == nil && !ok {
			return errACMEBusy
		}
		return err
	})
	return out, err
}

// recordACMEState records a certificate state once (a retry that sees it
// again leaves it).
func (a *App) recordACMEState(ctx context.Context, serviceID string, s delivery.CertState, at time.Time, note string) error {
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.recordACMEStateTx(ctx, tx, serviceID, s, at, note)
	})
}

func (a *App) recordACMEStateTx(ctx context.Context, tx *store.Tx, serviceID string, s delivery.CertState, at time.Time, note string) error {
	states, err := certStates(ctx, tx, serviceID)
	if err != nil {
		return err
	}
	for _, x := range states {
		if x.State == string(s) {
			return nil
		}
	}
	if n := len(states); n > 0 && at.Before(states[n-1].At) {
		at = states[n-1].At // states are recorded in order
	}
	if err := tx.CertStateInsert(ctx, store.CertStateRow{ServiceID: serviceID, State: string(s), At: at, RecordedBy: "acme", Note: note}); err != nil {
		return err
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "service.cert_state", SubjectType: "service", SubjectID: serviceID,
		Data: map[string]any{"to": string(s), "at": at, "note": note, "by": "acme", "clause": "3.2.2"}})
}

// acmeRejected records the CA's refusal: the request rejected with the
// CA's reason, the state ca_rejected (a full refund, clause 3.2.2), the
// delivery failed (staff may still fulfil by hand). A refused renewal is
// recorded by acmeRenewalFailedTx instead.
func (a *App) acmeRejected(ctx context.Context, r store.ACMERequestRow, reason string, at time.Time) error {
	ctx = context.WithoutCancel(ctx)
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		cur, err := store.ACMERequestGet(ctx, tx, r.ServiceID)
		if err != nil {
			return err
		}
		if renewal, err := a.acmeRenewalFailedTx(ctx, tx, cur, reason); renewal || err != nil { // acme_renew.go
			return err
		}
		from, fromAt := cur.State, cur.UpdatedAt
		cur.State, cur.Reason, cur.LeaseUntil, cur.UpdatedAt = ACMERejected, reason, time.Time{}, tx.Now
		if ok, err := tx.ACMERequestUpdate(ctx, cur, from, fromAt); err != nil || !ok {
			return conflictOr(err)
		}
		if err := a.recordACMEStateTx(ctx, tx, r.ServiceID, delivery.CertCARejected, at, trimNote(reason)); err != nil {
			return err
		}
		rec, err := store.ProvisionGet(ctx, tx, r.ServiceID)
		if err != nil {
			return err
		}
		if rec.State == ProvQueued || rec.State == ProvPending {
			prev := rec.State
			rec.State, rec.LastError, rec.Notes, rec.UpdatedAt = ProvFailed, "ca_rejected", trimNote("rejected by the CA: "+reason), tx.Now
			if ok, err := tx.ProvisionUpdate(ctx, rec, prev); err != nil || !ok {
				return conflictOr(err)
			}
			if err := tx.ProvisioningAttemptInsert(ctx, id.NewAt(tx.Now), r.ServiceID, string(catalog.DriverACME), "ca_rejected", trimNote(reason), tx.Now); err != nil {
				return err
			}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "service.cert_rejected", SubjectType: "service", SubjectID: r.ServiceID,
			Data: map[string]any{"reason": reason, "domains": r.Domains, "clause": "3.2.2"}})
	})
}

func trimNote(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}

// acmeIssued stores the certificate (a generated key sealed) with the
// issued state, emails the certificate and chain and sends the SMS
// notice, all in one transaction, and answers the delivery.
func (a *App) acmeIssued(ctx context.Context, r store.ACMERequestRow, cert *acme.Certificate) (ProvisionResult, error) {
	ctx = context.WithoutCancel(ctx)
	keyEnc := ""
	if len(cert.KeyPEM) > 0 {
		var err error
		if keyEnc, err = a.seal("acme_cert_request", "key_pem", r.ServiceID, string(cert.KeyPEM)); err != nil {
			return ProvisionResult{}, err
		}
	}
	var out store.ACMERequestRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		cur, err := store.ACMERequestGet(ctx, tx, r.ServiceID)
		if err != nil {
			return err
		}
		if cur.State == ACMEIssued {
			out = cur
			return nil
		}
		from, fromAt := cur.State, cur.UpdatedAt
		cur.State, cur.Reason, cur.LeaseUntil, cur.UpdatedAt = ACMEIssued, "", time.Time{}, tx.Now
		cur.KeyEnc, cur.CertPEM, cur.ChainPEM, cur.CertURL = keyEnc, string(cert.CertPEM), string(cert.ChainPEM), cert.URL
		cur.NotBefore, cur.NotAfter = cert.NotBefore, cert.NotAfter
		if ok, err := tx.ACMERequestUpdate(ctx, cur, from, fromAt); err != nil || !ok {
			return conflictOr(err)
		}
		if err := a.recordACMEStateTx(ctx, tx, r.ServiceID, delivery.CertIssued, tx.Now, ""); err != nil {
			return err
		}
		out = cur
		return a.notifyCertificate(ctx, tx, cur)
	})
	if err != nil {
		return ProvisionResult{}, err
	}
	return acmeResult(out), nil
}

// acmeResult is the delivery of an issued certificate.
func acmeResult(r store.ACMERequestRow) ProvisionResult {
	return ProvisionResult{Complete: true, Notes: "certificate issued for " + strings.Join(r.Domains, ", ") + ", valid until " +
		cstString(r.NotAfter) + " (Beijing time); download it from the service page"}
}
