// Package kyc is the pure domain of real-name verification (实名认证; DESIGN
// §2 "kyc", issue 6): the identity-number and credit-code parsers, the
// licence upload check, the validation of the individual and enterprise
// forms, the verification state machine with its reasons, and the
// [Verifier] interface behind which a third-party identity service sits.
//
// # Why
//
// Clause 二(1) of the agreement (clause id "2.1") requires true personal or
// enterprise information. The law requires it before service: the
// Cybersecurity Law art. 26 (art. 24 before the amendment of 2025-10-28, in
// force 2026-01-01) for network access and similar services, and the
// Anti-Telecom-Fraud Law art. 21 for Internet access, network proxy and
// address translation (VPN lines), hosting, space rental, cloud and CDN
// services. The policy key kyc.required_before (default: before paying for
// anything provisioned) and kyc.min_age_years (default 18, Civil Code art.
// 17–18) come from the agreement version in force for the customer
// (policy.ForCustomer); this package takes their values as arguments.
//
// # Contracts
//
//   - [ParseResidentID] accepts exactly the GB 11643-1999 numbers (MOD 11-2
//     check, a calendar birth date from 1900 not after today in
//     Asia/Shanghai, the minimum age) and the residence permits for Hong
//     Kong, Macao and Taiwan residents (810000, 820000, 830000), which use
//     the same structure and check. [ParseUSCC] accepts exactly the GB
//     32100-2015 codes (character set, digits in positions 3–8, MOD 31
//     check); the inner GB 11714 check is a [Warning], never an error.
//     Whatever either accepts re-parses to the same value (the fuzz tests
//     hold them to it).
//   - Every refusal is an *errs.Error with a stable code (the Code*
//     constants; bilingual texts in [Messages]) and the offending field. A
//     form's Validate reports every bad field at once. No error message or
//     parameter contains an identity number, a credit code or a phone
//     number; a forbidden USCC character and its position are named.
//   - Personal information prints masked (PIPL art. 28 names specific
//     identity as sensitive; the project treats identity numbers, credit
//     codes and licence images as sensitive, SEED-REQUIREMENTS §3.3): [ResidentID] and [USCC] show only their
//     first 4 and last 4 characters through fmt, log/slog and their String
//     methods; Number and Code give the plaintext, for sealing with
//     pii.KeyRing and the blind index, never for display or logs. Storage,
//     encryption and the unmask-with-purpose audit are the app's and the
//     store's (DESIGN §5).
//   - [SniffLicence] types an upload by its leading bytes only (PNG, JPEG,
//     PDF) and enforces the size limit before looking at the content.
//   - The state machine ([Move], [CanMoveTo]) is one table. Only approved
//     allows paying for provisioned products ([AllowsProvisionedPurchase],
//     [CheckPurchase]); reverify_required — verified data changed, or the
//     account was flagged (Anti-Telecom-Fraud Law art. 22) — blocks new
//     purchases until a new submission is approved. A rejection or request
//     for more names a catalog reason ([Reasons], [CheckReason]) with its
//     text in zh-CN and English, so the customer is told why.
//   - Data minimisation (PIPL art. 6): the forms collect what clause 二(1)
//     and the laws above need — name, identity number and phone for an
//     individual; company name, credit code, responsible person, phone and
//     licence for an enterprise — and nothing else.
//
// The package does no I/O and imports neither database/sql nor net/http;
// time is always an argument (business time from the injected clock).
package kyc
