package ticket

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"yuanxu/internal/errs"
)

// Category is what a ticket is about (clause 5). Refunds, swaps, delivery
// problems, appeals and privacy requests stay their own entities; their
// ticket is the conversation about them.
type Category string

// Categories.
const (
	CategoryConsult        Category = "consult"
	CategoryComplaint      Category = "complaint"
	CategorySuggestion     Category = "suggestion"
	CategoryRefund         Category = "refund"
	CategorySwap           Category = "swap"
	CategoryDeliveryIssue  Category = "delivery_issue"
	CategoryAppeal         Category = "appeal"
	CategoryPrivacyRequest Category = "privacy_request"
)

// Categories lists every category in display order.
var Categories = []Category{CategoryConsult, CategoryComplaint, CategorySuggestion, CategoryRefund, CategorySwap,
	CategoryDeliveryIssue, CategoryAppeal, CategoryPrivacyRequest}

// Valid reports whether c is a category.
func (c Category) Valid() bool { return slices.Contains(Categories, c) }

// Priority orders the work; urgent tickets also notify by SMS.
type Priority string

// Priorities, lowest first.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Priorities lists every priority, lowest first.
var Priorities = []Priority{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// Valid reports whether p is a priority.
func (p Priority) Valid() bool { return slices.Contains(Priorities, p) }

// CustomerMay reports whether a customer may choose p when opening a
// ticket: urgent (which sends SMS) is set by staff only, so that nobody
// makes every ticket urgent.
func (p Priority) CustomerMay() bool { return p != PriorityUrgent && p.Valid() }

// Department is the staff queue a ticket waits in.
type Department string

// Departments.
const (
	DeptSupport    Department = "support"
	DeptBilling    Department = "billing"
	DeptCompliance Department = "compliance"
	DeptPrivacy    Department = "privacy"
)

// Departments lists every department in display order.
var Departments = []Department{DeptSupport, DeptBilling, DeptCompliance, DeptPrivacy}

// Valid reports whether d is a department.
func (d Department) Valid() bool { return slices.Contains(Departments, d) }

// DepartmentFor is the queue a new ticket of category c lands in.
func DepartmentFor(c Category) Department {
	switch c {
	case CategoryRefund, CategorySwap:
		return DeptBilling
	case CategoryAppeal:
		return DeptCompliance
	case CategoryPrivacyRequest:
		return DeptPrivacy
	}
	return DeptSupport
}

// LinkType names the entity a ticket is the conversation of.
type LinkType string

// Link types ("" is none).
const (
	LinkOrder   LinkType = "order"
	LinkService LinkType = "service"
	LinkRefund  LinkType = "refund"
	LinkAppeal  LinkType = "appeal"
)

// Valid reports whether l is "" or a link type.
func (l LinkType) Valid() bool {
	return l == "" || slices.Contains([]LinkType{LinkOrder, LinkService, LinkRefund, LinkAppeal}, l)
}

// Limits of what a customer or staff member writes.
const (
	MaxSubjectRunes = 200
	MaxBodyRunes    = 10000
	MaxLinkIDLen    = 64
)

// Input is a new ticket as the customer wrote it.
type Input struct {
	Subject  string
	Category Category
	Priority Priority // "" is normal
	Body     string
	LinkType LinkType
	LinkID   string
}

// Validate checks and normalises a new ticket (trimmed subject and body,
// default priority); every broken field is reported at once as
// ticket.invalid.
func Validate(in Input) (Input, error) {
	var fe []errs.FieldError
	in.Subject = strings.TrimSpace(in.Subject)
	in.Body = strings.TrimSpace(in.Body)
	in.LinkID = strings.TrimSpace(in.LinkID)
	if in.Priority == "" {
		in.Priority = PriorityNormal
	}
	switch n := utf8.RuneCountInString(in.Subject); {
	case n == 0:
		fe = append(fe, errs.FieldError{Field: "body.subject", Rule: "required"})
	case n > MaxSubjectRunes:
		fe = append(fe, errs.FieldError{Field: "body.subject", Rule: "max_length", Params: map[string]any{"max": MaxSubjectRunes}})
	}
	if !in.Category.Valid() {
		fe = append(fe, errs.FieldError{Field: "body.category", Rule: "enum"})
	}
	if !in.Priority.CustomerMay() {
		fe = append(fe, errs.FieldError{Field: "body.priority", Rule: "enum"})
	}
	if err := ValidateBody(in.Body); err != nil {
		fe = append(fe, errs.FieldError{Field: "body.body", Rule: err.(*errs.Error).Fields[0].Rule, Params: err.(*errs.Error).Fields[0].Params})
	}
	if !in.LinkType.Valid() || (in.LinkType == "") != (in.LinkID == "") || len(in.LinkID) > MaxLinkIDLen {
		fe = append(fe, errs.FieldError{Field: "body.link", Rule: "invalid"})
	}
	if len(fe) > 0 {
		return in, &errs.Error{Kind: errs.Invalid, Code: "ticket.invalid", Msg: "ticket has invalid fields", Fields: fe}
	}
	return in, nil
}

// ValidateBody checks a message body (already trimmed by the caller or
// not): 1 to MaxBodyRunes characters.
func ValidateBody(body string) error {
	switch n := utf8.RuneCountInString(strings.TrimSpace(body)); {
	case n == 0:
		return errs.Invalidf("ticket.body_required", "body.body", "required", nil)
	case n > MaxBodyRunes:
		return errs.Invalidf("ticket.body_too_long", "body.body", "max_length", map[string]any{"max": MaxBodyRunes})
	}
	return nil
}

// Ref is the short reference customers quote ("T-1a2b3c4d"): the last
// eight hex digits of the id (UUIDv7 ids end in random bits).
func Ref(id string) string {
	s := strings.ReplaceAll(id, "-", "")
	if len(s) > 8 {
		s = s[len(s)-8:]
	}
	return "T-" + strings.ToUpper(s)
}

// ReopenWindow is how long after closing a customer may reopen a ticket;
// after it, they open a new one that may quote the old reference.
const ReopenWindow = 14 * 24 * time.Hour
