package app

import (
	"context"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/pii"
	"yuanxu/internal/reseller"
	"yuanxu/internal/store"
)

// Invitations and customers of a reseller (issue 11 item 2). A reseller
// invites by email; the invited person opens the link, registers (phone
// code, password), acknowledges the key clauses one by one and later
// submits real-name verification — all themselves: a reseller never
// accepts the agreement or submits verification for a customer. The
// reseller sees its customers with minimal personal information (masked
// contacts, verification state).

// InviteInput is a reseller's invitation.
type InviteInput struct {
	Kind  string `json:"kind" enum:"individual,enterprise" example:"individual"`
	Email string `json:"email" maxLength:"254" example:"buyer@example.com"`
	Note  string `json:"note,omitempty" maxLength:"200" example:"CRM #1042" doc:"The reseller's own reference, shown to the reseller only."`
}

// InvitationView is an invitation as its reseller sees it. Token is set
// only in the answer that creates it (the link is also emailed).
type InvitationView struct {
	ID          string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f81"`
	Kind        string    `json:"kind" example:"individual"`
	EmailMasked string    `json:"email_masked" example:"b***r@example.com"`
	Note        string    `json:"note,omitempty" example:"CRM #1042"`
	State       string    `json:"state" enum:"pending,accepted,revoked,expired" example:"pending"`
	AccountID   string    `json:"account_id,omitempty" example:""`
	ExpiresAt   time.Time `json:"expires_at" example:"2026-12-03T09:00:00+08:00"`
	AcceptedAt  time.Time `json:"accepted_at,omitzero" example:"2026-11-27T10:00:00+08:00"`
	CreatedAt   time.Time `json:"created_at" example:"2026-11-26T09:00:00+08:00"`
	Link        string    `json:"link,omitempty" example:"https://portal.example.com/invite/3f2a…"`
}

func invitationView(r store.InvitationRow, now time.Time) InvitationView {
	v := InvitationView{ID: r.ID, Kind: r.Kind, EmailMasked: r.EmailMasked, Note: r.Note, State: r.State, AccountID: r.AccountID,
		ExpiresAt: r.ExpiresAt, AcceptedAt: r.AcceptedAt, CreatedAt: r.CreatedAt}
	if v.State == "pending" && !now.Before(r.ExpiresAt) {
		v.State = "expired"
	}
	return v
}

// Invitation codes.
const (
	CodeInvitationInvalid = "reseller.invitation_invalid" // unknown, expired, revoked or used link
	CodeInvitationUsed    = "reseller.invitation_used"
)

func errInvitationUsed() error {
	return errs.E(errs.Conflict, CodeInvitationUsed, "this invitation was used already", errs.Op("app.AcceptInvitation"))
}

// InviteCustomer sends an invitation (reseller.client.manage on the
// reseller itself). The reseller needs an authorisation valid now. The
// email is sealed; the reseller's view shows it masked.
func (a *App) InviteCustomer(ctx context.Context, p account.Principal, in InviteInput) (InvitationView, error) {
	const op = "app.InviteCustomer"
	if err := a.Authorize(ctx, p, "reseller.client.manage", p.SelfObject()); err != nil {
		return InvitationView{}, err
	}
	if p.Kind != account.KindReseller {
		return InvitationView{}, errs.E(errs.Op(op), errs.Forbidden, "reseller.only", "only an authorised reseller invites customers",
			map[string]any{"clause": reseller.Clause})
	}
	if in.Kind != string(account.KindIndividual) && in.Kind != string(account.KindEnterprise) {
		return InvitationView{}, fieldErr(op, "reseller.invitation_invalid_input", errs.Invalid, "body.kind", "enum",
			"choose individual or enterprise", map[string]any{"allowed": []string{"individual", "enterprise"}})
	}
	if len([]rune(in.Note)) > 200 {
		return InvitationView{}, fieldErr(op, "reseller.invitation_invalid_input", errs.Invalid, "body.note", "max_length",
			"the note is too long", map[string]any{"max": 200})
	}
	n, err := account.ValidateEmail(in.Email, "body.email")
	if err != nil {
		return InvitationView{}, err
	}
	if err := a.resellerActive(ctx, a.db, p.AccountID); err != nil {
		return InvitationView{}, err
	}
	rl, err := loadAccount(ctx, a.db, p.AccountID)
	if err != nil {
		return InvitationView{}, err
	}
	now := a.Now()
	token, hash := reseller.NewToken()
	row := store.InvitationRow{ID: id.NewAt(now), ResellerID: p.AccountID, TokenHash: hash, Kind: in.Kind, EmailIndex: a.blind(pii.KindEmail, n),
		EmailMasked: pii.MaskEmail(n), Note: in.Note, State: "pending", ExpiresAt: now.Add(reseller.InvitationValidity), CreatedAt: now}
	if row.EmailEnc, err = a.seal("reseller_invitation", "email", row.ID, n); err != nil {
		return InvitationView{}, err
	}
	link := a.portalBase() + "/invite/" + token
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.InvitationInsert(ctx, row); err != nil {
			return err
		}
		lang := langOf(rl.row.Lang)
		if _, err := a.Notify(ctx, tx, notify.Request{Event: notify.EventResellerInvitation, Recipient: notify.Recipient{Email: n}, Lang: lang,
			Subject: notify.Subject{Type: "invitation", ID: row.ID},
			Vars:    map[string]string{"reseller": resellerName(rl.row), "link": link, "expires_at": notify.FormatTime(row.ExpiresAt, lang)}}); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "reseller.invited", SubjectType: "account", SubjectID: p.AccountID,
			Data: map[string]any{"invitation": row.ID, "kind": row.Kind, "email": row.EmailMasked}})
	})
	if err != nil {
		return InvitationView{}, err
	}
	v := invitationView(row, now)
	v.Link = link
	return v, nil
}

func resellerName(r store.AccountRow) string {
	if r.EnterpriseName != "" {
		return r.EnterpriseName
	}
	return r.DisplayName
}

// portalBase is the public base URL of the portal for links in emails
// ("" when not configured: links are then relative).
func (a *App) portalBase() string {
	if g := a.gatewayCfg.Load(); g != nil {
		return g.cfg.ReturnBase
	}
	return ""
}

// Invitations lists p's invitations (reseller.client.manage).
func (a *App) Invitations(ctx context.Context, p account.Principal) ([]InvitationView, error) {
	if err := a.Authorize(ctx, p, "reseller.client.manage", p.SelfObject()); err != nil {
		return nil, err
	}
	rs, err := store.Invitations(ctx, a.db, p.AccountID, 500)
	if err != nil {
		return nil, err
	}
	now := a.Now()
	out := make([]InvitationView, 0, len(rs))
	for _, r := range rs {
		out = append(out, invitationView(r, now))
	}
	return out, nil
}

// invitation is a usable invitation with its opened email.
type invitation struct {
	row          store.InvitationRow
	email        string
	resellerName string
}

// openInvitation finds a pending, unexpired invitation by its token; any
// other token is reseller.invitation_invalid (404), whatever the reason,
// so that a link tells nothing about others.
func (a *App) openInvitation(ctx context.Context, token string) (*invitation, error) {
	bad := &errs.Error{Kind: errs.NotFound, Code: CodeInvitationInvalid, Msg: "this invitation link is not valid (used, expired or revoked)"}
	if len(token) != 48 {
		return nil, bad
	}
	r, err := store.InvitationByToken(ctx, a.db, reseller.HashToken(token))
	if store.IsNotFound(err) {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if r.State != "pending" || !a.Now().Before(r.ExpiresAt) {
		return nil, bad
	}
	if err := a.resellerActive(ctx, a.db, r.ResellerID); err != nil {
		return nil, bad // a reseller that may no longer sell may no longer onboard
	}
	email, err := a.open("reseller_invitation", "email", r.ID, r.EmailEnc)
	if err != nil {
		return nil, err
	}
	rl, err := loadAccount(ctx, a.db, r.ResellerID)
	if err != nil {
		return nil, err
	}
	return &invitation{row: r, email: email, resellerName: resellerName(rl.row)}, nil
}

// InvitationPublic is what the invitation page shows the invited person.
type InvitationPublic struct {
	Reseller    string    `json:"reseller" example:"示例代理商有限公司"`
	Kind        string    `json:"kind" example:"individual"`
	EmailMasked string    `json:"email_masked" example:"b***r@example.com"`
	ExpiresAt   time.Time `json:"expires_at" example:"2026-12-03T09:00:00+08:00"`
}

// InvitationInfo describes a usable invitation for its page.
func (a *App) InvitationInfo(ctx context.Context, token string) (InvitationPublic, error) {
	inv, err := a.openInvitation(ctx, token)
	if err != nil {
		return InvitationPublic{}, err
	}
	return InvitationPublic{Reseller: inv.resellerName, Kind: inv.row.Kind, EmailMasked: inv.row.EmailMasked, ExpiresAt: inv.row.ExpiresAt}, nil
}

// AcceptInvitation registers the invited person (Register's rules, with
// the invitation's kind and email and the link standing for the email
// code) and records their own acceptance on the reseller_invitation
// channel. The reseller is told by webhook (customer.joined).
func (a *App) AcceptInvitation(ctx context.Context, token string, in RegisterInput) (AccountView, error) {
	inv, err := a.openInvitation(ctx, token)
	if err != nil {
		return AccountView{}, err
	}
	return a.register(ctx, in, inv)
}

// RevokeInvitation withdraws a pending invitation of p's.
func (a *App) RevokeInvitation(ctx context.Context, p account.Principal, invitationID string) (InvitationView, error) {
	if err := a.Authorize(ctx, p, "reseller.client.manage", p.SelfObject()); err != nil {
		return InvitationView{}, err
	}
	var out store.InvitationRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.InvitationGet(ctx, tx, invitationID)
		if store.IsNotFound(err) || err == nil && r.ResellerID != p.AccountID {
			return errNotFound("invitation")
		}
		if err != nil {
			return err
		}
		ok, err := tx.InvitationSetState(ctx, r.ID, "revoked", "")
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Conflict, "reseller.invitation_not_pending", "only a pending invitation can be revoked", map[string]any{"state": r.State})
		}
		r.State = "revoked"
		out = r
		return a.Audit(ctx, tx, AuditEntry{Action: "reseller.invitation_revoked", SubjectType: "account", SubjectID: p.AccountID,
			Data: map[string]any{"invitation": r.ID}})
	})
	return invitationView(out, a.Now()), err
}

// ResellerCustomerView is a customer as its reseller sees it: minimal
// personal information (SEED §4 "minimal PI").
type ResellerCustomerView struct {
	ID               string    `json:"id" example:"01936a9e-0000-7000-8000-000000000010"`
	Kind             string    `json:"kind" example:"individual"`
	DisplayName      string    `json:"display_name" example:"张三"`
	EmailMasked      string    `json:"email_masked" example:"b***r@example.com"`
	PhoneMasked      string    `json:"phone_masked" example:"138****0000"`
	KYCApproved      bool      `json:"kyc_approved" example:"true" doc:"Whether the customer's real-name verification is approved: ordering for them needs it."`
	AgreementVersion string    `json:"agreement_version" example:"v1" doc:"The version the customer accepted themselves."`
	DelegatesTickets bool      `json:"delegates_tickets" example:"false"`
	State            string    `json:"state" example:"active"`
	CreatedAt        time.Time `json:"created_at" example:"2026-11-26T09:00:00+08:00"`
}

// ResellerCustomers lists the customers p onboarded (reseller.client.manage).
func (a *App) ResellerCustomers(ctx context.Context, p account.Principal) ([]ResellerCustomerView, error) {
	if err := a.Authorize(ctx, p, "reseller.client.manage", p.SelfObject()); err != nil {
		return nil, err
	}
	rs, err := store.AccountList(ctx, a.db, store.AccountFilter{ResellerID: p.AccountID, Limit: 500})
	if err != nil {
		return nil, err
	}
	out := make([]ResellerCustomerView, 0, len(rs))
	for _, r := range rs {
		out = append(out, a.resellerCustomerView(ctx, r))
	}
	return out, nil
}

// ResellerCustomer reads one customer p onboarded; anyone else's is
// account.not_found.
func (a *App) ResellerCustomer(ctx context.Context, p account.Principal, customerID string) (ResellerCustomerView, error) {
	l, err := loadAccount(ctx, a.db, customerID)
	if err != nil {
		return ResellerCustomerView{}, err
	}
	if err := a.Authorize(ctx, p, "reseller.client.manage", l.object()); err != nil {
		return ResellerCustomerView{}, err
	}
	if l.row.ID == p.AccountID {
		return ResellerCustomerView{}, errNotFound("account") // itself is not its customer
	}
	return a.resellerCustomerView(ctx, l.row), nil
}

func (a *App) resellerCustomerView(ctx context.Context, r store.AccountRow) ResellerCustomerView {
	deleg, _ := store.DelegatesTickets(ctx, a.db, r.ID)
	return ResellerCustomerView{ID: r.ID, Kind: r.Kind, DisplayName: r.DisplayName, EmailMasked: r.EmailMasked, PhoneMasked: r.PhoneMasked,
		KYCApproved: a.KYCRequired(ctx, r.ID) == nil, AgreementVersion: r.AgreementVersion, DelegatesTickets: deleg, State: r.State,
		CreatedAt: r.CreatedAt}
}

// SetTicketDelegation lets the customer p (or stop letting) its reseller
// read and answer its tickets (clause 3.1.c: a reseller files only if
// delegated).
func (a *App) SetTicketDelegation(ctx context.Context, p account.Principal, on bool) error {
	if err := a.Authorize(ctx, p, "ticket.manage_own", account.Object{Type: "account", OwnerAccountID: p.AccountID}); err != nil {
		return err
	}
	l, err := loadAccount(ctx, a.db, p.TenantID())
	if err != nil {
		return err
	}
	if l.row.ResellerID == "" {
		return errs.E(errs.Conflict, "reseller.none", "your account was not opened through a reseller")
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.DelegationSet(ctx, l.row.ID, on); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "reseller.ticket_delegation", SubjectType: "account", SubjectID: l.row.ID,
			Data: map[string]any{"reseller": l.row.ResellerID, "delegated": on}})
	})
}

// TicketDelegation says whether p's account was opened through a reseller
// and whether it delegated its tickets to it.
func (a *App) TicketDelegation(ctx context.Context, p account.Principal) (hasReseller, delegated bool, err error) {
	l, err := loadAccount(ctx, a.db, p.TenantID())
	if err != nil || l.row.ResellerID == "" {
		return false, false, err
	}
	d, err := store.DelegatesTickets(ctx, a.db, l.row.ID)
	return true, d, err
}
