package app

import (
	"context"
	"encoding/hex"
	"strconv"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/pii"
	"yuanxu/internal/store"
)

// CodeTicket says where a verification code went. ID is what the form
// sends back with the digits.
type CodeTicket struct {
	ID           string
	ExpiresAt    time.Time
	Channel      string // "email" or "sms"
	SentToMasked string
}

// Rate limits on sending codes, across instances (a.RateLimit): per target
// address and per client IP, on top of the per-target resend interval of
// account.CodeResendInterval.
var (
	RateCodeTarget = RateRule{Name: "code.target", Limit: 10, Window: time.Hour}
	RateCodeIP     = RateRule{Name: "code.ip", Limit: 30, Window: time.Hour}
)

// publicPurposes may be asked for directly through SendCode; the others are
// sent by the use case that needs them (StartPasswordReset, Login).
var publicPurposes = map[account.Purpose]string{
	account.PurposeRegisterEmail: pii.KindEmail,
	account.PurposeRegisterPhone: pii.KindPhone,
	account.PurposeChangeEmail:   pii.KindEmail,
	account.PurposeChangePhone:   pii.KindPhone,
}

// SendCode sends a verification code for purpose (register_email,
// register_phone, change_email, change_phone) to target, an email address
// or a mainland mobile number as the purpose requires. The code row and the
// notification (event auth.verification_code) are written in one
// transaction; sending is rate limited per target and per client IP across
// instances, and a target gets at most one code per purpose every
// account.CodeResendInterval. Errors: invalid purpose or target
// (errs.Invalid), errs.RateLimited.
func (a *App) SendCode(ctx context.Context, purpose account.Purpose, target string, lang string) (CodeTicket, error) {
	kind, ok := publicPurposes[purpose]
	if !ok {
		return CodeTicket{}, errs.Invalidf("code.purpose_invalid", "body.purpose", "one_of", nil)
	}
	field := "body.email"
	if kind == pii.KindPhone {
		field = "body.phone"
	}
	c, err := a.parseContact(target, field)
	if err != nil {
		return CodeTicket{}, err
	}
	if c.Kind != kind {
		return CodeTicket{}, errs.Invalidf("code.target_invalid", field, "format", nil)
	}
	return a.sendCode(ctx, purpose, c, "", lang, true)
}

// sendCode rate-limits, then issues a code for purpose to c in one
// transaction with its notification. accountID binds the code to an
// account ("" before one exists). deliver=false stores the row without
// sending anything (a reset for an unknown login: same work, same answer).
func (a *App) sendCode(ctx context.Context, purpose account.Purpose, c contact, accountID, lang string, deliver bool) (CodeTicket, error) {
	if err := a.RateLimit(ctx, RateCodeTarget, c.Index); err != nil {
		return CodeTicket{}, err
	}
	if err := a.RateLimit(ctx, RateCodeIP, ActorFrom(ctx).ClientIP); err != nil {
		return CodeTicket{}, err
	}
	var t CodeTicket
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		t = CodeTicket{}
		return a.issueCode(ctx, tx, purpose, c, accountID, lang, deliver, &t)
	})
	return t, err
}

// issueCode writes a code and its notification inside tx.
func (a *App) issueCode(ctx context.Context, tx *store.Tx, purpose account.Purpose, c contact, accountID, lang string, deliver bool, t *CodeTicket) error {
	last, err := store.CodeLatest(ctx, tx, string(purpose), c.Index)
	if err != nil && !store.IsNotFound(err) {
		return err
	}
	if err == nil {
		if sc := storedCode(last); !sc.CanResend(tx.Now) {
			return sc.ResendError(tx.Now)
		}
	}
	cid := id.NewAt(tx.Now)
	digits, sc, err := a.acc().codes.Issue(cid, purpose, tx.Now)
	if err != nil {
		return err
	}
	if err := tx.CodeInsert(ctx, store.CodeRow{ID: cid, Purpose: string(purpose), Channel: c.Channel, TargetIndex: c.Index, AccountID: accountID,
		MAC: hex.EncodeToString(sc.MAC), CreatedAt: sc.CreatedAt, ExpiresAt: sc.ExpiresAt}); err != nil {
		return err
	}
	if deliver {
		if _, err := a.Notify(ctx, tx, notify.Request{Event: notify.EventVerificationCode, Recipient: c.recipient(accountID),
			Vars: map[string]string{"code": digits, "minutes": strconv.Itoa(int(account.CodeTTL / time.Minute))}, Lang: langOf(lang),
			Subject: notify.Subject{Type: "verification_code", ID: cid}}); err != nil {
			return err
		}
	}
	*t = CodeTicket{ID: cid, ExpiresAt: sc.ExpiresAt, Channel: c.Channel, SentToMasked: c.Masked}
	return a.Audit(ctx, tx, AuditEntry{Action: "account.code_sent", SubjectType: "verification_code", SubjectID: cid,
		Data: map[string]any{"purpose": purpose, "channel": c.Channel, "to": c.Masked, "account_id": accountID}})
}

func storedCode(r store.CodeRow) account.StoredCode {
	mac, _ := hex.DecodeString(r.MAC)
	return account.StoredCode{ID: r.ID, Purpose: account.Purpose(r.Purpose), MAC: mac, CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt, Attempts: r.Attempts, UsedAt: r.UsedAt}
}

// errCodeMismatch is the answer for a code id that does not exist or
// belongs to another purpose, target or account: the same as a wrong code.
func errCodeMismatch(field string) error {
	p := map[string]any{"remaining": account.CodeMaxAttempts - 1}
	return &errs.Error{Kind: errs.Invalid, Code: account.CodeCodeMismatch, Msg: "verification code not accepted", Params: p,
		Fields: []errs.FieldError{{Field: field, Rule: "mismatch", Params: p}}}
}

// checkCode checks input against code codeID for purpose, target index
// ("" = any) and account ("" = any), inside tx, and writes the code's next state back
// conditionally (so that concurrent guesses cannot exceed the attempt
// limit and a code is accepted once). It returns the user's error
// separately from a database error: the caller commits tx even when the
// code was refused, so that the attempt counts. field names the form field
// in the error.
func (a *App) checkCode(ctx context.Context, tx *store.Tx, codeID, input string, purpose account.Purpose, targetIndex, accountID, field string) (userErr, err error) {
	row, err := store.CodeGet(ctx, tx, codeID)
	if store.IsNotFound(err) || (err == nil && (row.Purpose != string(purpose) || (targetIndex != "" && row.TargetIndex != targetIndex) || (accountID != "" && row.AccountID != accountID))) {
		return errCodeMismatch(field), nil
	}
	if err != nil {
		return nil, err
	}
	prev := storedCode(row)
	next, uerr := a.acc().codes.CheckCode(prev, input, tx.Now)
	if next.Attempts != prev.Attempts || !next.UsedAt.Equal(prev.UsedAt) {
		ok, err := tx.CodeUpdate(ctx, row.ID, prev.Attempts, store.CodeRow{Attempts: next.Attempts, UsedAt: next.UsedAt})
		if err != nil {
			return nil, err
		}
		if !ok {
			return &errs.Error{Kind: errs.Conflict, Code: account.CodeCodeUsed, Msg: "verification code not accepted",
				Fields: []errs.FieldError{{Field: field, Rule: "used"}}}, nil
		}
	}
	if uerr != nil {
		if e, ok := uerr.(*errs.Error); ok && len(e.Fields) > 0 && field != "body.code" {
			c := *e
			c.Fields = []errs.FieldError{{Field: field, Rule: e.Fields[0].Rule, Params: e.Fields[0].Params}}
			return &c, nil
		}
	}
	return uerr, nil
}
