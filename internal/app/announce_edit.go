package app

import (
	"context"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

// Correcting the texts of a published maintenance window or an incident
// (issue 17, clauses 6.2 and 7). Only the zh-CN and English titles and
// bodies change: the schedule, scope, state, cause and affected services
// stay as they are, no notice is sent again and none is withdrawn, so
// whether a customer counts as notified (read from the delivery log of
// the first notice, announce.Window.Notified) never changes by an edit.
// Notices already delivered keep the texts they were sent with; the
// portal, the status page and later updates show the new ones. Every edit
// is audited with the previous titles.

// TextsInput is the new titles and bodies of a window or an incident.
type TextsInput struct {
	TitleZh string `json:"title_zh" maxLength:"200" example:"南昌机房核心交换机升级（更正）"`
	TitleEn string `json:"title_en" maxLength:"200" example:"Nanchang core switch upgrade (corrected)"`
	BodyZh  string `json:"body_zh,omitempty" maxLength:"20000" example:"期间网络可能中断约 30 分钟。"`
	BodyEn  string `json:"body_en,omitempty" maxLength:"20000" example:"The network may be down for about 30 minutes."`
}

func (in TextsInput) check(op string) error {
	if fes := bilingual(op, in.TitleZh, in.TitleEn); len(fes) > 0 {
		return errs.E(errs.Op(op), errs.Invalid, CodeAnnounceInvalid, "both titles are required", fes)
	}
	return nil
}

func textsChanged(oldZh, oldEn, oldBZh, oldBEn string, in TextsInput) []string {
	var ch []string
	for _, c := range []struct{ name, old, new string }{{"title_zh", oldZh, in.TitleZh}, {"title_en", oldEn, in.TitleEn},
		{"body_zh", oldBZh, in.BodyZh}, {"body_en", oldBEn, in.BodyEn}} {
		if c.old != c.new {
			ch = append(ch, c.name)
		}
	}
	return ch
}

func (in TextsInput) trimmed() TextsInput {
	in.TitleZh, in.TitleEn = strings.TrimSpace(in.TitleZh), strings.TrimSpace(in.TitleEn)
	return in
}

// EditWindowTexts rewrites the titles and bodies of a maintenance window in
// any state (announce.manage; see above). Both titles are required
// (announce.invalid); an unknown window is not_found.
func (a *App) EditWindowTexts(ctx context.Context, p account.Principal, windowID string, in TextsInput) (WindowView, error) {
	const op = "app.EditWindowTexts"
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "maintenance_window"}); err != nil {
		return WindowView{}, err
	}
	if err := in.check(op); err != nil {
		return WindowView{}, err
	}
	in = in.trimmed()
	var out store.WindowRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		w, err := store.WindowGet(ctx, tx, windowID)
		if store.IsNotFound(err) {
			return errNotFound("maintenance_window")
		}
		if err != nil {
			return err
		}
		changed := textsChanged(w.TitleZh, w.TitleEn, w.BodyZh, w.BodyEn, in)
		old := map[string]any{"title_zh": w.TitleZh, "title_en": w.TitleEn}
		w.TitleZh, w.TitleEn, w.BodyZh, w.BodyEn = in.TitleZh, in.TitleEn, in.BodyZh, in.BodyEn
		out = w
		if len(changed) == 0 {
			return nil
		}
		if err := tx.WindowTextsUpdate(ctx, w.ID, w.TitleZh, w.TitleEn, w.BodyZh, w.BodyEn); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "announce.window_texts_edited", SubjectType: "maintenance_window", SubjectID: w.ID,
			Data: map[string]any{"changed": changed, "before": old, "state": w.State}})
	})
	if err != nil {
		return WindowView{}, err
	}
	return windowView(out), nil
}

// EditIncidentTexts rewrites the titles and bodies of an incident, open or
// resolved (announce.manage; see above): its cause tag, window, times and
// clause-7 decisions stay. Both titles are required (announce.invalid); an
// unknown incident is not_found.
func (a *App) EditIncidentTexts(ctx context.Context, p account.Principal, incidentID string, in TextsInput) (IncidentView, error) {
	const op = "app.EditIncidentTexts"
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "incident"}); err != nil {
		return IncidentView{}, err
	}
	if err := in.check(op); err != nil {
		return IncidentView{}, err
	}
	in = in.trimmed()
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.IncidentGet(ctx, tx, incidentID)
		if store.IsNotFound(err) {
			return errNotFound("incident")
		}
		if err != nil {
			return err
		}
		changed := textsChanged(r.TitleZh, r.TitleEn, r.BodyZh, r.BodyEn, in)
		if len(changed) == 0 {
			return nil
		}
		if err := tx.IncidentTextsUpdate(ctx, r.ID, in.TitleZh, in.TitleEn, in.BodyZh, in.BodyEn); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "announce.incident_texts_edited", SubjectType: "incident", SubjectID: r.ID,
			Data: map[string]any{"changed": changed, "before": map[string]any{"title_zh": r.TitleZh, "title_en": r.TitleEn}, "state": r.State}})
	})
	if err != nil {
		return IncidentView{}, err
	}
	return a.incident(ctx, incidentID)
}
