package agreement

import (
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"yuanxu/internal/errs"
)

// Channel is how an acceptance was given.
type Channel string

// Channels. An API or reseller order carries the customer's own acceptance:
// a reseller never accepts for a customer, it invites them to accept.
const (
	ChannelWeb                Channel = "web"
	ChannelAPI                Channel = "api"
	ChannelResellerInvitation Channel = "reseller_invitation"
)

// Acceptance is the proof that a customer accepted one agreement version:
// immutable once stored (SEED-REQUIREMENTS 一, §3.1).
type Acceptance struct {
	AccountID string
	VersionID string
	SHA256    string // the document's SHA256 as shown to the customer
	// Acknowledged are the clauses the customer acknowledged one by one;
	// every key clause of the version must be among them.
	Acknowledged []ClauseID
	// Explained are the clauses whose explanation the customer opened, in
	// the order they were opened (logged, not required).
	Explained []ClauseID
	At        time.Time
	IP        netip.Addr
	UserAgent string // may be empty for API clients that send none
	Channel   Channel
	// ResellerID names the inviting reseller for ChannelResellerInvitation;
	// empty otherwise.
	ResellerID string
}

// CodeKeyClauseNotAcknowledged is the error code of an acceptance that
// misses a key clause.
const CodeKeyClauseNotAcknowledged = "agreement.key_clause_not_acknowledged"

var clauseAcceptance = Cite(ClauseOverview, "agreement.ValidateAcceptance: explicit acceptance with per-clause acknowledgement")

// ValidateAcceptance checks an acceptance against the version it names. It
// returns an *errs.Error, of Kind Invalid unless stated:
//   - "agreement.acceptance_invalid" with one FieldError per missing or
//     malformed field (account_id, version_id, at, ip, channel, user_agent
//     over 1024 bytes or not UTF-8, reseller_id required exactly for
//     reseller invitations);
//   - Kind Conflict, "agreement.version_not_acceptable", when the version
//     is neither scheduled nor effective;
//   - "agreement.acceptance_version_mismatch" when the version id or the
//     SHA256 is not the version's;
//   - "agreement.unknown_clause" when an acknowledged or explained id is not
//     in the document (Params "ids");
//   - CodeKeyClauseNotAcknowledged naming the key clauses not acknowledged,
//     in document order (Params "missing", and the message).
func ValidateAcceptance(a Acceptance, v Version) error {
	const op = errs.Op("agreement.ValidateAcceptance")
	var fes []errs.FieldError
	need := func(ok bool, field, rule string) {
		if !ok {
			fes = append(fes, errs.FieldError{Field: field, Rule: rule})
		}
	}
	need(a.AccountID != "", "account_id", "required")
	need(a.VersionID != "", "version_id", "required")
	need(!a.At.IsZero(), "at", "required")
	need(a.IP.IsValid(), "ip", "required")
	need(slices.Contains([]Channel{ChannelWeb, ChannelAPI, ChannelResellerInvitation}, a.Channel), "channel", "enum")
	need(len(a.UserAgent) <= 1024 && utf8.ValidString(a.UserAgent), "user_agent", "format")
	need((a.Channel == ChannelResellerInvitation) == (a.ResellerID != ""), "reseller_id", "reseller_invitation_only")
	if len(fes) > 0 {
		return errs.E(op, errs.Invalid, "agreement.acceptance_invalid", "acceptance record incomplete", fes)
	}
	if v.Doc == nil {
		return errs.E(op, errs.Internal, "agreement.version_without_document", "version "+v.ID+" has no document")
	}
	if v.State != StateScheduled && v.State != StateEffective {
		return errs.E(op, errs.Conflict, "agreement.version_not_acceptable",
			"version "+v.ID+" is "+string(v.State)+"; only a scheduled or effective version can be accepted")
	}
	if a.VersionID != v.ID || !strings.EqualFold(a.SHA256, v.Doc.SHA256) {
		return errs.E(op, errs.Invalid, "agreement.acceptance_version_mismatch",
			"the acceptance names another version or text than "+v.ID,
			errs.FieldError{Field: "sha256", Rule: "mismatch"})
	}
	var unknown []string
	for _, id := range slices.Concat(a.Acknowledged, a.Explained) {
		if _, ok := v.Doc.Clause(id); !ok {
			unknown = append(unknown, string(id))
		}
	}
	if len(unknown) > 0 {
		return errs.E(op, errs.Invalid, "agreement.unknown_clause",
			"not clauses of version "+v.ID+": "+strings.Join(unknown, ", "),
			errs.FieldError{Field: "acknowledged", Rule: "unknown_clause", Params: map[string]any{"ids": unknown}},
			map[string]any{"ids": unknown})
	}
	var missing []string
	for _, id := range v.Doc.KeyClauses() {
		if !slices.Contains(a.Acknowledged, id) {
			missing = append(missing, string(id))
		}
	}
	if len(missing) > 0 {
		return errs.E(op, errs.Invalid, CodeKeyClauseNotAcknowledged,
			"key clauses not acknowledged (clause "+string(clauseAcceptance)+"): "+strings.Join(missing, ", "),
			errs.FieldError{Field: "acknowledged", Rule: "key_clause_not_acknowledged", Params: map[string]any{"missing": missing}},
			map[string]any{"missing": missing})
	}
	return nil
}
