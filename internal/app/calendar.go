package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/calendar"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// Calendar returns the working-day calendar: the embedded data with the
// admin overrides and year confirmations that two different admins stood
// behind. It is built per call from the database, so every instance
// answers alike; a year without data logs an alert each time a deadline
// falls back to Monday–Friday for it.
func (a *App) Calendar(ctx context.Context) (*calendar.Calendar, error) {
	os, err := store.CalendarOverrides(ctx, a.db)
	if err != nil {
		return nil, err
	}
	cs, err := store.CalendarConfirmations(ctx, a.db)
	if err != nil {
		return nil, err
	}
	opts := calendar.Options{OnFallback: func(year int) {
		a.log.Warn("calendar: no holiday data for the year; Monday–Friday assumed and the deadline is provisional", "year", year)
	}}
	for _, o := range os {
		if o.ApprovedBy == "" {
			continue
		}
		d, err := calendar.ParseDate(o.Day)
		if err != nil {
			return nil, errs.E(errs.Op("app.Calendar"), errs.Internal, "calendar.stored_invalid", "stored override "+o.ID+" has no valid date", err)
		}
		opts.Overrides = append(opts.Overrides, calendar.Override{Date: d, Working: o.Working, Reason: o.Reason, ProposedBy: o.ProposedBy, ApprovedBy: o.ApprovedBy})
	}
	for _, c := range cs {
		if c.ApprovedBy != "" {
			opts.Confirmations = append(opts.Confirmations, calendar.Confirmation{Year: c.Year, Notice: c.Notice, ProposedBy: c.ProposedBy, ApprovedBy: c.ApprovedBy})
		}
	}
	return calendar.New(opts)
}

// CalendarDeadline is the deadline n working days after from, on the
// calendar with its overrides. Anyone may ask.
func (a *App) CalendarDeadline(ctx context.Context, from time.Time, n int) (calendar.Deadline, error) {
	if n < 0 || n > 10000 {
		return calendar.Deadline{}, &errs.Error{Kind: errs.Invalid, Code: "calendar.working_days_range", Msg: "working_days must be 0 to 10000",
			Fields: []errs.FieldError{{Field: "working_days", Rule: "range", Params: map[string]any{"min": 0, "max": 10000}}}}
	}
	c, err := a.Calendar(ctx)
	if err != nil {
		return calendar.Deadline{}, err
	}
	return c.AddWorkingDays(from, n), nil
}

// OverrideInput proposes an override of one date.
type OverrideInput struct {
	Date    string // YYYY-MM-DD
	Working bool
	Reason  string
}

// CalendarOverride is a stored override, pending until approved.
type CalendarOverride = store.CalendarOverrideRow

// CalendarConfirmation is a stored year confirmation, pending until approved.
type CalendarConfirmation = store.CalendarConfirmationRow

// CalendarOverridePropose proposes an override (calendar.manage). It takes
// effect when another admin approves it. A date that is not a date is
// Invalid naming body.date; a live override of the date is Conflict.
func (a *App) CalendarOverridePropose(ctx context.Context, p account.Principal, in OverrideInput) (CalendarOverride, error) {
	if err := a.Authorize(ctx, p, "calendar.manage", account.Object{Type: "calendar_override"}); err != nil {
		return CalendarOverride{}, err
	}
	var fes []errs.FieldError
	d, err := calendar.ParseDate(strings.TrimSpace(in.Date))
	if err != nil {
		fes = append(fes, errs.FieldError{Field: "body.date", Rule: "date"})
	}
	if r := strings.TrimSpace(in.Reason); r == "" || len(r) > 500 {
		fes = append(fes, errs.FieldError{Field: "body.reason", Rule: "required"})
	}
	if len(fes) > 0 {
		return CalendarOverride{}, &errs.Error{Kind: errs.Invalid, Code: "calendar.invalid", Msg: "override invalid", Fields: fes}
	}
	var r store.CalendarOverrideRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r = store.CalendarOverrideRow{ID: id.NewAt(tx.Now), Day: d.String(), Working: in.Working, Reason: strings.TrimSpace(in.Reason),
			ProposedBy: p.AccountID, ProposedAt: tx.Now}
		if err := tx.CalendarOverrideInsert(ctx, r); err != nil {
			if errors.Is(err, errs.ErrDuplicate) {
				return &errs.Error{Kind: errs.Conflict, Code: "calendar.override_exists", Msg: "this date already has an override; withdraw it first",
					Fields: []errs.FieldError{{Field: "body.date", Rule: "unique"}}}
			}
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "calendar.override_proposed", SubjectType: "calendar_override", SubjectID: r.ID,
			Data: map[string]any{"date": r.Day, "working": r.Working, "reason": r.Reason}})
	})
	return r, err
}

// findOverride reads a live override.
func findOverride(ctx context.Context, q store.Querier, overrideID string) (store.CalendarOverrideRow, error) {
	os, err := store.CalendarOverrides(ctx, q)
	if err != nil {
		return store.CalendarOverrideRow{}, err
	}
	for _, o := range os {
		if o.ID == overrideID {
			return o, nil
		}
	}
	return store.CalendarOverrideRow{}, errNotFound("calendar_override")
}

// CalendarOverrideApprove approves a pending override (calendar.approve;
// never its proposer: authz.separation_of_duties).
func (a *App) CalendarOverrideApprove(ctx context.Context, p account.Principal, overrideID string) error {
	if err := a.Authorize(ctx, p, "calendar.approve", account.Object{Type: "calendar_override"}); err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		o, err := findOverride(ctx, tx, overrideID)
		if err != nil {
			return err
		}
		if err := a.Authorize(ctx, p, "calendar.approve", account.Object{Type: "calendar_override", PreparedBy: o.ProposedBy}); err != nil {
			return err
		}
		ok, err := tx.CalendarOverrideApprove(ctx, o.ID, p.AccountID, tx.Now)
		if err != nil {
			return err
		}
		if !ok {
			return &errs.Error{Kind: errs.Conflict, Code: "calendar.already_approved", Msg: "the override is already approved"}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "calendar.override_approved", SubjectType: "calendar_override", SubjectID: o.ID,
			Data: map[string]any{"date": o.Day, "working": o.Working, "proposed_by": o.ProposedBy}})
	})
}

// CalendarOverrideWithdraw withdraws an override (calendar.manage).
// Deadlines already shown are never shortened by it (calendar.NeverShorten
// is applied by their owners).
func (a *App) CalendarOverrideWithdraw(ctx context.Context, p account.Principal, overrideID string) error {
	if err := a.Authorize(ctx, p, "calendar.manage", account.Object{Type: "calendar_override"}); err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.CalendarOverrideWithdraw(ctx, overrideID, tx.Now)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("calendar_override")
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "calendar.override_withdrawn", SubjectType: "calendar_override", SubjectID: overrideID})
	})
}

// CalendarOverrides lists the live overrides, pending ones included
// (calendar.manage or calendar.approve).
func (a *App) CalendarOverrides(ctx context.Context, p account.Principal) ([]CalendarOverride, error) {
	if !account.Can(p, "calendar.approve", account.Object{Type: "calendar_override"}).Allowed {
		if err := a.Authorize(ctx, p, "calendar.manage", account.Object{Type: "calendar_override"}); err != nil {
			return nil, err
		}
	}
	return store.CalendarOverrides(ctx, a.db)
}

// CalendarConfirmPropose proposes that year's imported data was compared
// with the notice (calendar.manage); a second admin approves it.
func (a *App) CalendarConfirmPropose(ctx context.Context, p account.Principal, year int, notice string) (CalendarConfirmation, error) {
	if err := a.Authorize(ctx, p, "calendar.manage", account.Object{Type: "calendar_confirmation"}); err != nil {
		return CalendarConfirmation{}, err
	}
	notice = strings.TrimSpace(notice)
	var fes []errs.FieldError
	if _, ok := calendar.Embedded().Year(year); !ok {
		fes = append(fes, errs.FieldError{Field: "body.year", Rule: "no_data"})
	}
	if notice == "" || len(notice) > 300 {
		fes = append(fes, errs.FieldError{Field: "body.notice", Rule: "required"})
	}
	if len(fes) > 0 {
		return CalendarConfirmation{}, &errs.Error{Kind: errs.Invalid, Code: "calendar.invalid", Msg: "confirmation invalid", Fields: fes}
	}
	var r store.CalendarConfirmationRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r = store.CalendarConfirmationRow{ID: id.NewAt(tx.Now), Year: year, Notice: notice, ProposedBy: p.AccountID, ProposedAt: tx.Now}
		if err := tx.CalendarConfirmationInsert(ctx, r); err != nil {
			if errors.Is(err, errs.ErrDuplicate) {
				return &errs.Error{Kind: errs.Conflict, Code: "calendar.confirmation_exists", Msg: "this year already has a confirmation"}
			}
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "calendar.confirmation_proposed", SubjectType: "calendar_confirmation", SubjectID: r.ID,
			Data: map[string]any{"year": year, "notice": notice}})
	})
	return r, err
}

// CalendarConfirmApprove approves a pending confirmation (calendar.approve;
// never its proposer).
func (a *App) CalendarConfirmApprove(ctx context.Context, p account.Principal, confirmationID string) error {
	if err := a.Authorize(ctx, p, "calendar.approve", account.Object{Type: "calendar_confirmation"}); err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		cs, err := store.CalendarConfirmations(ctx, tx)
		if err != nil {
			return err
		}
		var c *store.CalendarConfirmationRow
		for i := range cs {
			if cs[i].ID == confirmationID {
				c = &cs[i]
			}
		}
		if c == nil {
			return errNotFound("calendar_confirmation")
		}
		if err := a.Authorize(ctx, p, "calendar.approve", account.Object{Type: "calendar_confirmation", PreparedBy: c.ProposedBy}); err != nil {
			return err
		}
		ok, err := tx.CalendarConfirmationApprove(ctx, c.ID, p.AccountID, tx.Now)
		if err != nil {
			return err
		}
		if !ok {
			return &errs.Error{Kind: errs.Conflict, Code: "calendar.already_approved", Msg: "the confirmation is already approved"}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "calendar.confirmation_approved", SubjectType: "calendar_confirmation", SubjectID: c.ID,
			Data: map[string]any{"year": c.Year, "proposed_by": c.ProposedBy}})
	})
}

// CalendarConfirmations lists the live confirmations (calendar.manage or
// calendar.approve).
func (a *App) CalendarConfirmations(ctx context.Context, p account.Principal) ([]CalendarConfirmation, error) {
	if !account.Can(p, "calendar.approve", account.Object{Type: "calendar_confirmation"}).Allowed {
		if err := a.Authorize(ctx, p, "calendar.manage", account.Object{Type: "calendar_confirmation"}); err != nil {
			return nil, err
		}
	}
	return store.CalendarConfirmations(ctx, a.db)
}
