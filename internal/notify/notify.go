// Package notify is the pure domain of notifications (DESIGN.md §2 notify):
// the catalog of events and their variables, the channel matrix (which event
// goes to which channels), templates in zh-CN and English checked when they
// are loaded, the preference model (marketing may be opted out of, legal
// notices never), recipient addressing, delivery statuses and the retry
// policy.
//
// It does no I/O and imports neither database/sql nor net/http: the outbox
// tables live in store, the use cases (writing the outbox inside the business
// transaction, delivering, recording) in app, the wire protocols in
// provider/email and provider/sms.
package notify

import (
	"strings"

	"yuanxu/internal/errs"
)

// Event names what happened ("refund.decided"). The catalog (Events) lists
// every event the platform sends, with its category and variables.
type Event string

// Channel is a way a notification reaches a person.
type Channel string

const (
	Email Channel = "email"
	SMS   Channel = "sms"
	InApp Channel = "inapp" // the account's inbox; never counts as notice for legal events
)

// Channels lists every channel in a stable order.
var Channels = []Channel{Email, SMS, InApp}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == Email || c == SMS || c == InApp }

// Notice reports whether a delivery on c can count as legal notice
// (DESIGN.md §2: the in-app inbox never does).
func (c Channel) Notice() bool { return c == Email || c == SMS }

// Lang is a template language.
type Lang string

const (
	ZhCN Lang = "zh-CN" // the default
	En   Lang = "en"
)

// Langs lists the languages every event has templates in.
var Langs = []Lang{ZhCN, En}

// ParseLang maps a recipient's language preference ("en-US", "zh",
// "zh-Hans-CN", "") to a template language; anything that is not English
// is zh-CN, the default.
func ParseLang(s string) Lang {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "en" || strings.HasPrefix(s, "en-") || strings.HasPrefix(s, "en_") {
		return En
	}
	return ZhCN
}

// Category decides what a recipient may opt out of.
type Category string

const (
	// Legal notices (bans, appeals, refund decisions, maintenance,
	// agreement revisions): required by the agreement or by law; they keep
	// the time of their first delivery per channel, and nobody can opt out.
	Legal Category = "legal"
	// Transactional messages answer something the recipient did
	// (verification codes, deliveries); no opt-out.
	Transactional Category = "transactional"
	// Marketing may be opted out of, per channel, and carries
	// List-Unsubscribe.
	Marketing Category = "marketing"
)

// Subject names the business object a notification is about ("refund",
// id), so later capabilities can find its deliveries (deadlines start at a
// legal notice's first delivery).
type Subject struct {
	Type string
	ID   string
}

// Recipient addresses one person through one interface: an account (for
// its inbox and preferences), an email address, a phone number — any
// combination. The accounts capability fills it from an account; until
// then callers pass addresses directly.
type Recipient struct {
	AccountID string
	Email     string
	Phone     string
}

// Request is one notification to write to the outbox.
type Request struct {
	Event     Event
	Recipient Recipient
	// Vars are the template variables; exactly the event's declared Vars
	// (missing or unknown names are errors). Values are plain text; format
	// times and money for the recipient's language before passing them
	// (FormatTime helps).
	Vars    map[string]string
	Lang    Lang // "" means zh-CN
	Subject Subject
}

// Address returns the raw address of r for a channel ("" when r has none;
// the account id for InApp).
func (r Recipient) Address(c Channel) string {
	switch c {
	case Email:
		return r.Email
	case SMS:
		return r.Phone
	case InApp:
		return r.AccountID
	}
	return ""
}

// Errors of this package are user-facing (errs.Invalid) where a caller's
// input is at fault.
var (
	ErrUnknownEvent = &errs.Error{Kind: errs.Invalid, Code: "notify.unknown_event", Msg: "unknown notification event"}
	ErrVars         = &errs.Error{Kind: errs.Invalid, Code: "notify.vars", Msg: "notification variables do not match the event"}
	ErrOptOutLegal  = &errs.Error{Kind: errs.Invalid, Code: "notify.opt_out_not_allowed", Msg: "only marketing messages can be opted out of"}
)
