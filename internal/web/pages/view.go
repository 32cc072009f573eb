package pages

import (
	"time"

	"yuanxu/internal/web/i18n"
)

// The view models. Every template executes with one of the page structs
// below; each embeds Page, which the layouts read. Strings ending in Key are
// catalog keys that the template translates with t; other strings are shown
// as they are (already translated, or data such as a version id).

// Page is what both layouts need.
type Page struct {
	Lang     i18n.Lang
	TitleKey string
	// Next is the local path (with query) the language switcher returns to.
	Next    string
	Langs   []LangChoice
	Nav     []NavItem
	Sandbox *SandboxBanner // nil outside sandbox mode
	// LegalEntity is the operating company's name for the footer; empty
	// until it is configured, when the footer shows a placeholder.
	LegalEntity string
	Version     string
	// SignedIn: the header offers sign-out instead of sign-in; Staff: the
	// signed-in principal is a staff member.
	SignedIn, Staff bool
	// Reaccept asks a signed-in customer to accept a material revision
	// (agreement_reaccept.go); nil when nothing is pending.
	Reaccept *ReacceptBanner
	// Maintenance lists the current and upcoming windows affecting a
	// signed-in customer's services (announce.go); nil when none.
	Maintenance *MaintenanceBanner
}

// LangChoice is one button of the language switcher.
type LangChoice struct {
	Code     i18n.Lang
	LabelKey string
	Current  bool
}

// NavItem is one navigation entry. An item without Href is shown but
// disabled, with NoteKey saying when it arrives.
type NavItem struct {
	ID       string // stable, for tests and styling: "products", "refunds"
	LabelKey string
	Href     string
	NoteKey  string
	Current  bool
}

// SandboxBanner tells that business time is the sandbox test clock.
type SandboxBanner struct {
	Now      time.Time // business time, in Asia/Shanghai
	Display  string    // "2006-01-02 15:04:05"
	DateTime string    // RFC 3339, for <time datetime>
}

// HomeView is the portal home.
type HomeView struct {
	Page
	Promises Promises
}

// Promises are the consumer promises the home page states, read from the
// policy of the agreement version in force. Clauses fields hold the clause
// ids the numbers come from ("3.1, 3.1.a").
type Promises struct {
	VersionID string

	RefundWindowHours string // "24"
	RefundAnchorKey   string // catalog key naming refund.window_anchor
	RefundTraffic     string // "1 GB"
	RefundTrafficByte int64  // 1073741824
	RefundClauses     string

	InspectionHours   string
	InspectionClauses string

	ReviewWorkingDays int
	ReviewClauses     string

	PayoutDays      int
	DestinationKeys []string // catalog keys, in policy order
	PayoutClauses   string
}

// LoginView is a sign-in form (customer or staff). Notice is set when the
// form is shown again after a POST.
type LoginView struct {
	Page
	Action     string // where the form posts
	Identifier string // echoed back after a POST; never the password
	NoticeKey  string
}

// ConsoleHomeView is the staff console home.
type ConsoleHomeView struct {
	Page
	Queues []QueueCard
}

// QueueCard is one staff work queue on the console home. Later capabilities
// append cards (see consoleQueues); Count 0 shows the empty state.
type QueueCard struct {
	ID      string // stable DOM id suffix: "refunds", "delivery"
	Title   string // translated
	Detail  string // translated: what the queue holds and its deadline rule
	Clauses string // clause ids the deadline comes from, "" when none
	Count   int
	Href    string // "" until the queue's page exists
}

// ErrorView is an error page (404, 400, 500).
type ErrorView struct {
	Page
	Status   int
	HeadKey  string
	TextKey  string
	HomeHref string
	HomeKey  string
}
