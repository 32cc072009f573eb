package app

import (
	"context"
	"errors"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// Staff and customers are kept apart at login: staff log in only on the
// console (LoginInput.Staff) and customers only on the portal. An email
// address belongs to one account of either side (the blind index is
// unique across kinds).

// CreateStaffInput is a new staff member. Email is the login; the password
// must pass the policy.
type CreateStaffInput struct {
	Email, DisplayName, Password string
	Roles                        []account.Role
}

// CreateStaff creates an active staff account with roles. p nil means the
// system (`yuanxu admin create-staff`, the first administrator); otherwise
// p needs staff.manage. The email counts as verified (the administrator
// vouches for it).
func (a *App) CreateStaff(ctx context.Context, p *account.Principal, in CreateStaffInput) (AccountView, error) {
	if p != nil {
		if err := a.Authorize(ctx, *p, "staff.manage", account.Object{}); err != nil {
			return AccountView{}, err
		}
	}
	var fe []errs.FieldError
	name, err := account.ValidateDisplayName(in.DisplayName, "body.display_name")
	if err != nil {
		fe = append(fe, fieldsOf(err)...)
	}
	email, err := a.parseContact(in.Email, "body.email")
	if err == nil && !strings.Contains(in.Email, "@") {
		err = errs.Invalidf("email.invalid", "body.email", "format", nil)
	}
	if err != nil {
		fe = append(fe, fieldsOf(err)...)
	}
	roles, err := account.ParseRoles(rolesStrings(in.Roles))
	if err == nil && len(roles) == 0 {
		err = errs.Invalidf(account.CodeRoleInvalid, "body.roles", "required", nil)
	}
	if err != nil {
		fe = append(fe, fieldsOf(err)...)
	}
	if err := account.CheckPassword(in.Password, account.PasswordContext{Email: email.Norm}); err != nil {
		fe = append(fe, fieldsOf(err)...)
	}
	if len(fe) > 0 {
		return AccountView{}, &errs.Error{Kind: errs.Invalid, Code: "staff.invalid", Msg: "staff account has invalid fields", Fields: fe}
	}
	hash, err := a.acc().hasher.Hash(ctx, in.Password)
	if err != nil {
		return AccountView{}, err
	}
	var out loaded
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := contactFree(ctx, tx, email, "body.email"); err != nil {
			return err
		}
		aid := id.NewAt(tx.Now)
		row := store.AccountRow{ID: aid, Kind: string(account.KindStaff), State: string(account.StateActive), DisplayName: name,
			EmailIndex: email.Index, EmailMasked: email.Masked, EmailVerifiedAt: tx.Now, PasswordHash: hash, PasswordChangedAt: tx.Now,
			Lang: "zh-CN", CreatedAt: tx.Now, UpdatedAt: tx.Now}
		var err error
		if row.EmailEnc, err = a.seal("account", "email", aid, email.Norm); err != nil {
			return err
		}
		if err := tx.AccountInsert(ctx, row); err != nil {
			if errors.Is(err, errs.ErrDuplicate) {
				return duplicateContact("body.email")
			}
			return err
		}
		if err := tx.AccountRolesSet(ctx, aid, rolesStrings(roles)); err != nil {
			return err
		}
		out = loaded{row: row, roles: roles}
		return a.Audit(ctx, tx, AuditEntry{Action: "staff.created", SubjectType: "account", SubjectID: aid,
			Data: map[string]any{"email": email.Masked, "roles": rolesStrings(roles)}})
	})
	return out.view(), err
}

// fieldsOf returns the field errors of an *errs.Error.
func fieldsOf(err error) []errs.FieldError {
	var e *errs.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return e.Fields
	}
	return []errs.FieldError{{Field: "body", Rule: errs.CodeOf(err)}}
}

// StaffList lists staff accounts (staff.manage).
func (a *App) StaffList(ctx context.Context, p account.Principal) ([]AccountView, error) {
	if err := a.Authorize(ctx, p, "staff.manage", account.Object{}); err != nil {
		return nil, err
	}
	return a.listViews(ctx, store.AccountFilter{Kinds: []string{string(account.KindStaff)}})
}

func (a *App) listViews(ctx context.Context, f store.AccountFilter) ([]AccountView, error) {
	rows, err := store.AccountList(ctx, a.db, f)
	if err != nil {
		return nil, err
	}
	out := []AccountView{}
	for _, r := range rows {
		l, err := loadRow(ctx, a.db, r)
		if err != nil {
			return nil, err
		}
		out = append(out, l.view())
	}
	return out, nil
}

// StaffSetRoles replaces a staff member's roles (staff.manage; never one's
// own: separation of duties). The change applies to their next request.
func (a *App) StaffSetRoles(ctx context.Context, p account.Principal, staffID string, roles []account.Role) error {
	parsed, err := account.ParseRoles(rolesStrings(roles))
	if err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		l, err := loadAccount(ctx, tx, staffID)
		if err != nil {
			return err
		}
		if err := a.Authorize(ctx, p, "staff.manage", l.object()); err != nil {
			return err
		}
		if l.row.Kind != string(account.KindStaff) {
			return errNotFound("account")
		}
		if err := tx.AccountRolesSet(ctx, staffID, rolesStrings(parsed)); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "staff.roles_set", SubjectType: "account", SubjectID: staffID,
			Data: map[string]any{"from": rolesStrings(l.roles), "to": rolesStrings(parsed)}})
	})
}

// AccountDisable disables an account (account.disable; never one's own)
// and ends all its sessions; its API keys stop working with it.
func (a *App) AccountDisable(ctx context.Context, p account.Principal, accountID, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errs.Invalidf("account.reason_required", "body.reason", "required", nil)
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		l, err := loadAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if err := a.Authorize(ctx, p, "account.disable", l.object()); err != nil {
			return err
		}
		if err := account.MoveState(account.State(l.row.State), account.StateDisabled); err != nil {
			return err
		}
		row := l.row
		row.State, row.DisabledReason, row.UpdatedAt = string(account.StateDisabled), reason, tx.Now
		if err := tx.AccountUpdate(ctx, row); err != nil {
			return err
		}
		n, err := tx.SessionEndAll(ctx, row.ID, string(account.EndDisabled), "")
		if err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.disabled", SubjectType: "account", SubjectID: row.ID,
			Data: map[string]any{"reason": reason, "sessions_ended": n}})
	})
}

// AccountGet reads an account: a customer its own (and an enterprise owner
// its sub-users'), staff any (account.read_any). Anything else is
// account.not_found, exactly like a missing account.
func (a *App) AccountGet(ctx context.Context, p account.Principal, accountID string) (AccountView, error) {
	l, err := loadAccount(ctx, a.db, accountID)
	if err != nil {
		return AccountView{}, err
	}
	perm := account.Permission("profile.manage")
	switch {
	case p.Kind == account.KindStaff && l.row.ID != p.AccountID:
		perm = "account.read_any"
	case l.row.Kind == string(account.KindSubUser) && l.row.ID != p.AccountID:
		perm = "subuser.manage"
	}
	if err := a.Authorize(ctx, p, perm, l.object()); err != nil {
		return AccountView{}, err
	}
	return l.view(), nil
}

// CustomerQuery is the console's customer search. Q is an exact email or
// mobile number (matched through the blind index), an account id, or a
// display-name prefix.
type CustomerQuery struct {
	Q, Kind string
	Limit   int
	Cursor  string
}

// CustomerSearch finds customer accounts (account.read_any), in id order,
// and returns the cursor of the next page ("" at the end).
func (a *App) CustomerSearch(ctx context.Context, p account.Principal, q CustomerQuery) ([]AccountView, string, error) {
	if err := a.Authorize(ctx, p, "account.read_any", account.Object{}); err != nil {
		return nil, "", err
	}
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 50
	}
	f := store.AccountFilter{NotKind: string(account.KindStaff), Cursor: q.Cursor, Limit: q.Limit + 1}
	if q.Kind != "" {
		k, err := account.ParseKind(q.Kind)
		if err != nil {
			return nil, "", err
		}
		f.Kinds = []string{string(k)}
	}
	s := strings.TrimSpace(q.Q)
	switch c, err := a.parseContact(s, "query.q"); {
	case s == "":
	case err == nil && c.column() == "email":
		f.EmailIndex = c.Index
	case err == nil:
		f.PhoneIndex = c.Index
	case looksLikeID(s):
		f.ID = s
	default:
		f.NamePrefix = s
	}
	views, err := a.listViews(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(views) > q.Limit {
		views = views[:q.Limit]
		next = views[len(views)-1].ID
	}
	return views, next, nil
}

func looksLikeID(s string) bool { return id.Valid(s) }
