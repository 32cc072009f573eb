package pages

import (
	"html/template"
	"time"

	"yuanxu/internal/clock"
)

// Form is what every form page shows after a POST: a translated error
// (from the problem code, with one line per offending field) or a
// translated notice.
type Form struct {
	Error       string
	FieldErrors []string
	Notice      string
}

// LoginStep is one step of a sign-in (customer or staff).
type LoginStep struct {
	Page
	Form
	Action     string // where the form posts
	Identifier string // echoed back; never the password
	After      string // local path to go to after signing in
	// Challenge is set when the login throttle asks for a code sent to
	// the account's address.
	ChallengeID     string
	ChallengeSentTo string
	Staff           bool
}

// SecondFactorView is the TOTP (or recovery code) step of a sign-in.
type SecondFactorView struct {
	Page
	Form
	Action string
	After  string
}

// RegisterView is the registration form. Code ids come back in hidden
// fields after each "send code" post; the password is never echoed.
type RegisterView struct {
	Page
	Form
	Kind, DisplayName, Email, Phone, EnterpriseName, USCC string
	EmailCodeID, EmailSentTo, PhoneCodeID, PhoneSentTo    string
	Accepted                                              bool
	AgreementVersion                                      string
	AgreementSHA256                                       string          // agreement.go
	KeyClauses                                            []KeyClauseView // each with its own checkbox
}

// ResetView is the password reset (request, then confirm).
type ResetView struct {
	Page
	Form
	Confirm bool // the code was sent: show the confirm step
	Login   string
	CodeID  string
	SentTo  string
}

// AccountNav is the sub-navigation of the account pages.
type AccountNav struct {
	ID, LabelKey, Href string
	Current            bool
}

// AccountPage is the part every account page shares.
type AccountPage struct {
	Page
	Form
	Sub []AccountNav
}

// ProfileView is the profile and notification preferences page.
type ProfileView struct {
	AccountPage
	Account AccountSummary
	// Contact change in progress: which ("email" or "phone"), the new
	// address and the code id.
	ContactKind, ContactAddress, ContactCodeID, ContactSentTo string
}

// AccountSummary is the account as pages show it (masked).
type AccountSummary struct {
	ID, Kind, DisplayName, Email, Phone, Lang string
	EmailVerified, PhoneVerified, TOTPEnabled bool
	MarketingOptOut                           bool
	Roles, Scopes                             []string
}

// SecurityView is the password and two-factor page.
type SecurityView struct {
	AccountPage
	TOTPEnabled bool
	// Setup is set while two-factor is being set up.
	Setup *TOTPSetup
	// RecoveryCodes are shown once, right after enabling.
	RecoveryCodes []string
}

// TOTPSetup is the secret being set up.
type TOTPSetup struct {
	Secret string
	URL    string
	// QR is a data:image/png;base64,… URL (the CSP allows data: images),
	// typed as trusted: html/template would replace a plain string data:
	// URL in src with "#ZgotmplZ" and the image would not show.
	QR template.URL
}

// SessionsView lists the account's sessions.
type SessionsView struct {
	AccountPage
	Sessions []SessionRow
}

// SessionRow is one session.
type SessionRow struct {
	ID, ClientIP, UserAgent, Created, LastSeen string
	Current                                    bool
}

// KeysView lists API keys; NewKey is shown once after creating one.
type KeysView struct {
	AccountPage
	Keys   []KeyRow
	NewKey string
	Scopes []string // permissions a key may carry
}

// KeyRow is one API key.
type KeyRow struct {
	ID, Name, Display, Scopes, Created, LastUsed string
	Revoked                                      bool
}

// InboxView lists in-app notifications.
type InboxView struct {
	AccountPage
	Items      []InboxRow
	UnreadOnly bool
}

// InboxRow is one notification.
type InboxRow struct {
	ID, Title, Body, Created string
	Read                     bool
}

// CustomersView is the console's customer search.
type CustomersView struct {
	Page
	Form
	Q       string
	Results []AccountSummary
}

// StaffView is the console's staff and role management.
type StaffView struct {
	Page
	Form
	Members []AccountSummary
	Roles   []string
}

// DeliveriesView is the console's notification delivery log.
type DeliveriesView struct {
	Page
	Form
	NotificationID, SubjectType, SubjectID string
	Rows                                   []DeliveryRow
	CanResend                              bool
}

// DeliveryRow is one delivery.
type DeliveryRow struct {
	ID, NotificationID, Event, Channel, To, Status, Provider, Reason, Created string
	Attempts                                                                  int
	Resendable                                                                bool
}

// SandboxSMSView is the sandbox SMS outbox.
type SandboxSMSView struct {
	Page
	Form
	Phone    string
	Messages []SMSRow
}

// SMSRow is one sandbox SMS.
type SMSRow struct {
	ID, To, Text, Received string
}

// SandboxMailView is the sandbox mail outbox.
type SandboxMailView struct {
	Page
	Form
	To       string
	Messages []MailRow
}

// MailRow is one message the sandbox SMTP sink received.
type MailRow struct {
	ID, To, Subject, Text, Received string
}

// TemplatesView previews a notification template.
type TemplatesView struct {
	Page
	Form
	Events                             []string
	Event, PreviewLang                 string
	Subject, Text, SMS, Category, HTML string
}

// shortTime formats a time for tables, in Asia/Shanghai.
func shortTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(clock.Shanghai).Format("2006-01-02 15:04")
}
