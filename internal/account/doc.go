// Package account is the pure domain of accounts and access (DESIGN §2
// "account", §5 "no IDOR", SEED-REQUIREMENTS §4, clauses 五 and 六): account
// kinds and lifecycle, the permission catalog and staff roles as data, the
// one authorisation check, standing, passwords, two-factor, verification
// codes, sessions, API keys and the login throttle. It does no I/O and
// imports neither database/sql nor net/http; randomness comes from
// crypto/rand unless a reader is passed in, and time is always an argument.
//
// # Authorisation
//
// [Can] is the only check point. Permissions ([Catalog]), staff roles
// ([Roles]), sub-user scopes ([Scopes]) and each kind's base grants
// ([KindPermissions]) are Go tables, not code branches. A permission's
// [Spec] says who can ever hold it (Audience), across which relations to
// the object's owner it works (Reach: self, tenant, managed, client),
// which recorded parties the principal must not be (Distinct: separation
// of duties, e.g. appeal.decide is never decided by the officer who
// imposed the measure, clause 6.2; refund.approve_second never by the
// first approver), whether a purpose code is needed, and which standing
// Action it exercises. Customers never learn about objects outside their
// reach: Can answers NotFound for them before it looks at anything else.
// The app calls Can for every use case; the web layer's authorisation
// matrix test checks routes against a separate, hand-written table.
//
// # Standing
//
// Restricted, suspended and banned are measures in force ([Standing]),
// apart from the lifecycle ([State]). Which flag blocks which [Action] is
// one table citing the clause (ban: no new orders 4.2, no-fault refunds
// frozen 3.2.4, balance frozen 4.3); logging in, tickets, appeals, fault
// remedies and personal-information requests are never blocked.
//
// # Credentials
//
//   - Passwords: argon2id in PHC format ([Hasher]; [ProductionParams] are
//     RFC 9106's second recommended option), NFKC-normalised, constant-time
//     verification, a bounded number of hashes at once, [Hasher.NeedsRehash]
//     after parameter changes. [PasswordPolicy]: 10 to 128 runes, not on the
//     embedded list of common passwords, not trivially simple, not the
//     account's email or phone.
//   - TOTP (RFC 6238, SHA-1, 6 digits, 30 s, ±1 step) with replay
//     protection by the last used step ([VerifyTOTP]); ten single-use
//     recovery codes stored as keyed HMACs ([GenerateRecoveryCodes]).
//   - Verification codes by email or SMS ([Codes]): six random digits,
//     stored as an HMAC, 10-minute expiry, single use, five attempts.
//   - Sessions: 256-bit tokens, only their SHA-256 stored; idle and
//     absolute timeouts per kind (staff shorter); a new session at every
//     login; all sessions end on logout-everywhere, password change,
//     two-factor change and disable ([EndReason.EndsAll]); re-authentication
//     within [ReauthWindow] before changing email, phone, password or
//     two-factor.
//   - API keys yx_<prefix>_<secret> ([ParseAPIKey]), SHA-256 stored, shown
//     once, scoped to the catalog permissions the owner holds and the
//     catalog allows on keys.
//
// # Login throttling
//
// The throttle must stop guessing without letting an attacker lock the
// real owner out, so it never locks; it delays or challenges, and what
// it does depends on where the attempt comes from ([ThrottlePolicy.Decide];
// the store keeps the [Counter]s, shared by all instances):
//
//   - A known device (the attempt carries a device token issued to this
//     account at an earlier successful login, [NewDeviceToken]) is limited
//     only by its own (account, device) counter. Nothing an attacker does
//     elsewhere touches it: the owner on their usual browser always gets
//     in.
//   - Any other attempt is limited per client IP across all accounts
//     (credential stuffing from one address) and per (account, IP), both
//     with exponential backoff from the first failure after a free
//     allowance, capped (15 minutes, one hour): a wait, never a lock.
//   - Failures from unknown sources (neither a known device nor an IP that
//     logged into the account recently) also count per account. Past
//     [ThrottlePolicy].ChallengeAfter, a login from an unknown source still
//     has its password checked, but a right password is not enough: the
//     app sends a login_challenge code to the account's verified email or
//     phone (or asks for the TOTP) and logs in only with it. The owner on a
//     new device receives the code; an attacker, even one holding the
//     leaked password, does not. Failures from known sources never raise
//     this counter.
//   - While an attempt is delayed the password is not checked at all (no
//     oracle, no hashing cost). An identifier that matches no account is
//     throttled with the same keys, built from its blind index, and costs
//     the same hashing time ([Hasher.VerifyAbsent]), so the throttle does
//     not reveal which accounts exist.
//
// # Errors
//
// Every user-facing refusal is an *errs.Error with a stable code (the
// Code* constants) and, for input, the offending fields; validation of a
// form reports every field at once.
package account
