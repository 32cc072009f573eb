package app

import (
	"context"
	"errors"
	"slices"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
)

// DraftInput is the text of a draft and what changed, for the notice.
type DraftInput struct {
	Source string
	Note   string
}

// maxAgreementBytes bounds a draft's source.
const maxAgreementBytes = 512 << 10

// parseDraft parses a draft's source: a malformed document is refused as a
// whole (Invalid, agreement.malformed, one field per line at fault).
func parseDraft(src string) (*agreement.Document, error) {
	if len(src) > maxAgreementBytes {
		return nil, &errs.Error{Kind: errs.Invalid, Code: "agreement.too_large", Msg: "the agreement is too large",
			Fields: []errs.FieldError{{Field: "body.source", Rule: "max_length", Params: map[string]any{"max": maxAgreementBytes}}}}
	}
	return agreement.Parse("draft", []byte(src))
}

// AgreementDraftCreate stores a new draft prepared by p (agreement.draft).
// Nothing is stored when the source does not parse.
func (a *App) AgreementDraftCreate(ctx context.Context, p account.Principal, in DraftInput) (AgreementVersion, error) {
	if err := a.Authorize(ctx, p, "agreement.draft", account.Object{Type: "agreement_version"}); err != nil {
		return AgreementVersion{}, err
	}
	doc, err := parseDraft(in.Source)
	if err != nil {
		return AgreementVersion{}, err
	}
	var r store.AgreementVersionRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r = store.AgreementVersionRow{ID: id.NewAt(tx.Now), Origin: store.AgreementOriginStaff, Title: doc.Title, Source: in.Source,
			SHA256: doc.SHA256, State: string(agreement.StateDraft), Note: in.Note, PreparedBy: p.AccountID, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if _, err := tx.AgreementVersionInsert(ctx, r); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "agreement.drafted", SubjectType: "agreement_version", SubjectID: r.ID,
			Data: map[string]any{"sha256": r.SHA256}})
	})
	return versionView(r, doc), err
}

// AgreementDraftUpdate replaces a draft's text. Only its preparer may edit
// it (so that the sign-off is always by someone who wrote none of it);
// another person makes a new draft from it. Conflict agreement.not_draft
// once scheduled.
func (a *App) AgreementDraftUpdate(ctx context.Context, p account.Principal, versionID string, in DraftInput) (AgreementVersion, error) {
	if err := a.Authorize(ctx, p, "agreement.draft", account.Object{Type: "agreement_version"}); err != nil {
		return AgreementVersion{}, err
	}
	doc, err := parseDraft(in.Source)
	if err != nil {
		return AgreementVersion{}, err
	}
	var r store.AgreementVersionRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if r, err = store.AgreementVersionGet(ctx, tx, versionID); err != nil {
			if store.IsNotFound(err) {
				return errVersionNotFound()
			}
			return err
		}
		if r.State != string(agreement.StateDraft) {
			return &errs.Error{Kind: errs.Conflict, Code: "agreement.not_draft", Msg: "only a draft can be edited"}
		}
		if r.PreparedBy != p.AccountID {
			return &errs.Error{Kind: errs.Forbidden, Code: "agreement.not_preparer", Msg: "only the preparer edits a draft; make a new draft from it"}
		}
		r.Title, r.Source, r.SHA256, r.Note, r.UpdatedAt = doc.Title, in.Source, doc.SHA256, in.Note, tx.Now
		if err := tx.AgreementVersionUpdate(ctx, r, string(agreement.StateDraft)); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "agreement.draft_updated", SubjectType: "agreement_version", SubjectID: r.ID,
			Data: map[string]any{"sha256": r.SHA256}})
	})
	return versionView(r, doc), err
}

// AgreementLint lints a stored version against the clauses the code cites
// (agreement.draft). An empty list means it may be scheduled.
func (a *App) AgreementLint(ctx context.Context, p account.Principal, versionID string) ([]agreement.Finding, error) {
	if err := a.Authorize(ctx, p, "agreement.draft", account.Object{Type: "agreement_version"}); err != nil {
		return nil, err
	}
	v, err := a.AgreementVersionGet(ctx, &p, versionID)
	if err != nil {
		return nil, err
	}
	return agreement.Lint(v.Doc, agreement.CitedIDs()), nil
}

// AgreementLintSource lints a text that is not stored (Markdown with
// clause ids, or plain text): parse errors come back as findings.
func (a *App) AgreementLintSource(ctx context.Context, p account.Principal, src string) ([]agreement.Finding, error) {
	if err := a.Authorize(ctx, p, "agreement.draft", account.Object{Type: "agreement_version"}); err != nil {
		return nil, err
	}
	return agreement.LintSource("draft", []byte(src), agreement.CitedIDs()), nil
}

// ScheduleInput is a sign-off: when the version takes effect and whether
// customers must accept it again.
type ScheduleInput struct {
	EffectiveAt time.Time
	Material    bool
}

// AgreementSchedule signs off and schedules a draft (clause 9.4). p must
// hold agreement.publish and the legal role and must not be the preparer
// (separation of duties); the version must lint clean; EffectiveAt must be
// at least the version's agreement.notice_days after now. In the same
// transaction every active customer gets the revision notice through the
// outbox. Errors are agreement.Schedule's and Authorize's.
func (a *App) AgreementSchedule(ctx context.Context, p account.Principal, versionID string, in ScheduleInput) (AgreementVersion, error) {
	if err := a.Authorize(ctx, p, "agreement.publish", account.Object{Type: "agreement_version"}); err != nil {
		return AgreementVersion{}, err
	}
	var out AgreementVersion
	var notified int
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.AgreementVersionGet(ctx, tx, versionID)
		if err != nil {
			if store.IsNotFound(err) {
				return errVersionNotFound()
			}
			return err
		}
		if err := a.Authorize(ctx, p, "agreement.publish", account.Object{Type: "agreement_version", PreparedBy: r.PreparedBy}); err != nil {
			return err
		}
		doc, err := parseStored(r)
		if err != nil {
			return err
		}
		v, err := agreement.Schedule(domainVersion(r, doc), agreement.ScheduleParams{EffectiveAt: in.EffectiveAt, Now: tx.Now,
			Material: in.Material, SignedOffBy: p.AccountID, SignerHasLegalRole: slices.Contains(p.Roles, account.RoleLegal)})
		if err != nil {
			return err
		}
		r.State, r.SignedOffBy, r.Material, r.ScheduledAt, r.EffectiveAt, r.UpdatedAt = string(v.State), v.SignedOffBy, v.Material, v.ScheduledAt, v.EffectiveAt, tx.Now
		if err := tx.AgreementVersionUpdate(ctx, r, string(agreement.StateDraft)); err != nil {
			return err
		}
		if notified, err = a.sendRevisionNotices(ctx, tx, r); err != nil {
			return err
		}
		out = versionView(r, doc)
		return a.Audit(ctx, tx, AuditEntry{Action: "agreement.scheduled", SubjectType: "agreement_version", SubjectID: r.ID,
			Data: map[string]any{"sha256": r.SHA256, "prepared_by": r.PreparedBy, "signed_off_by": r.SignedOffBy, "material": r.Material,
				"effective_at": r.EffectiveAt, "notified": notified}})
	})
	return out, err
}

// sendRevisionNotices queues agreement.revised for every active customer
// account (individuals, enterprises, resellers; a sub-user's enterprise is
// notified for it), in tx. It returns how many were queued.
func (a *App) sendRevisionNotices(ctx context.Context, tx *store.Tx, v store.AgreementVersionRow) (int, error) {
	n, cursor := 0, ""
	for {
		rows, err := store.AccountList(ctx, tx, store.AccountFilter{Kinds: []string{string(account.KindIndividual), string(account.KindEnterprise),
			string(account.KindReseller)}, Cursor: cursor, Limit: 500})
		if err != nil {
			return n, err
		}
		for _, row := range rows {
			if row.State != string(account.StateActive) {
				continue
			}
			rc := notify.Recipient{AccountID: row.ID}
			if rc.Email, err = a.open("account", "email", row.ID, row.EmailEnc); err != nil {
				return n, err
			}
			if rc.Phone, err = a.open("account", "phone", row.ID, row.PhoneEnc); err != nil {
				return n, err
			}
			lang := langOf(row.Lang)
			if _, err := a.Notify(ctx, tx, notify.Request{Event: notify.EventAgreementRevised, Recipient: rc, Lang: lang,
				Vars:    map[string]string{"version": v.ID, "effective_at": notify.FormatTime(v.EffectiveAt, lang)},
				Subject: notify.Subject{Type: "agreement_version", ID: v.ID}}); err != nil {
				return n, err
			}
			n++
		}
		if len(rows) < 500 {
			return n, nil
		}
		cursor = rows[len(rows)-1].ID
	}
}

// sweepAgreementActivation brings every scheduled version whose instant has
// come into force, superseding the one it replaces, each in its own
// transaction (the sweep "agreement.activate"). A version moved by another
// instance first is skipped.
func (a *App) sweepAgreementActivation(ctx context.Context, now time.Time) (int64, error) {
	due, err := store.AgreementVersions(ctx, a.db, store.AgreementVersionFilter{DueBy: now})
	if err != nil {
		return 0, err
	}
	slices.SortFunc(due, func(x, y store.AgreementVersionRow) int { return x.EffectiveAt.Compare(y.EffectiveAt) })
	var n int64
	var all []error
	for _, d := range due {
		moved := false
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			r, err := store.AgreementVersionGet(ctx, tx, d.ID)
			if err != nil || r.State != string(agreement.StateScheduled) {
				return err
			}
			doc, err := parseStored(r)
			if err != nil {
				return err
			}
			v, err := agreement.Activate(domainVersion(r, doc), now)
			if err != nil {
				return err
			}
			rs, err := store.AgreementVersions(ctx, tx, store.AgreementVersionFilter{States: []string{string(agreement.StateEffective)}})
			if err != nil {
				return err
			}
			for _, old := range rs {
				full, err := store.AgreementVersionGet(ctx, tx, old.ID)
				if err != nil {
					return err
				}
				ov, err := agreement.Supersede(domainVersion(full, nil), r.ID, r.EffectiveAt)
				if err != nil {
					return err
				}
				full.State, full.SupersededBy, full.SupersededAt, full.UpdatedAt = string(ov.State), ov.SupersededBy, ov.SupersededAt, tx.Now
				if err := tx.AgreementVersionUpdate(ctx, full, string(agreement.StateEffective)); err != nil {
					return err
				}
			}
			r.State, r.UpdatedAt = string(v.State), tx.Now
			if err := tx.AgreementVersionUpdate(ctx, r, string(agreement.StateScheduled)); err != nil {
				return err
			}
			moved = true
			return a.Audit(ctx, tx, AuditEntry{Action: "agreement.effective", SubjectType: "agreement_version", SubjectID: r.ID,
				Data: map[string]any{"sha256": r.SHA256, "effective_at": r.EffectiveAt, "material": r.Material}})
		})
		switch {
		case err == nil && moved:
			n++
		case err != nil && !errors.Is(err, errs.ErrConflict):
			all = append(all, err)
		}
	}
	return n, errors.Join(all...)
}
