package app

import (
	"context"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
)

// Announcements, maintenance windows, incidents and assignment (issue 17;
// clauses 6.2, 7 and 9.3). Staff manage them with announce.manage; the
// public reads published announcements and the status page; a customer
// reads the windows and incidents that touch its own services. The rules
// (notice in time, clause-7 exemptions, pro-rata refunds) are the pure
// package announce's; this layer resolves the facts they read — affected
// services, the delivery log, the policy — and records every decision.
// Windows are in announce_window.go, incidents in announce_incident.go,
// assignment in announce_assign.go and the status page in
// announce_status.go.

// CodeAnnounceInvalid is the code of announcement, window, incident and
// assignment input that cannot be.
const CodeAnnounceInvalid = "announce.invalid"

// AnnouncementInput is a news item staff write. Bodies are plain text.
type AnnouncementInput struct {
	TitleZh string `json:"title_zh" maxLength:"200" example:"南昌机房扩容完成"`
	TitleEn string `json:"title_en" maxLength:"200" example:"Nanchang data centre expanded"`
	BodyZh  string `json:"body_zh" maxLength:"20000" example:"新增 200 台服务器，欢迎选购。"`
	BodyEn  string `json:"body_en" maxLength:"20000" example:"200 more servers are available."`
	// Publish publishes it now; false keeps it a draft.
	Publish bool `json:"publish" example:"true"`
}

// AnnouncementView is an announcement.
type AnnouncementView struct {
	ID          string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f81"`
	TitleZh     string    `json:"title_zh" example:"南昌机房扩容完成"`
	TitleEn     string    `json:"title_en" example:"Nanchang data centre expanded"`
	BodyZh      string    `json:"body_zh" example:"新增 200 台服务器，欢迎选购。"`
	BodyEn      string    `json:"body_en" example:"200 more servers are available."`
	PublishedAt time.Time `json:"published_at,omitzero" example:"2026-11-26T09:00:00+08:00" doc:"Absent: a draft."`
	UpdatedAt   time.Time `json:"updated_at" example:"2026-11-26T09:00:00+08:00"`
}

// Title and Body pick the language (English for "en", else Chinese).
func (v AnnouncementView) Title(lang string) string { return pick(lang, v.TitleZh, v.TitleEn) }

// Body is the plain-text body in lang.
func (v AnnouncementView) Body(lang string) string { return pick(lang, v.BodyZh, v.BodyEn) }

func pick(lang, zh, en string) string {
	if notify.ParseLang(lang) == notify.En && en != "" {
		return en
	}
	return zh
}

func inShanghai(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(clock.Shanghai)
}

func announcementView(r store.AnnouncementRow) AnnouncementView {
	return AnnouncementView{ID: r.ID, TitleZh: r.TitleZh, TitleEn: r.TitleEn, BodyZh: r.BodyZh, BodyEn: r.BodyEn, PublishedAt: inShanghai(r.PublishedAt),
		UpdatedAt: inShanghai(r.UpdatedAt)}
}

// bilingual checks that both titles are given (every field at once).
func bilingual(op string, zh, en string) []errs.FieldError {
	var fes []errs.FieldError
	if strings.TrimSpace(zh) == "" {
		fes = append(fes, errs.FieldError{Field: "body.title_zh", Rule: "required"})
	}
	if strings.TrimSpace(en) == "" {
		fes = append(fes, errs.FieldError{Field: "body.title_en", Rule: "required"})
	}
	return fes
}

// SaveAnnouncement creates (announcementID "") or rewrites an announcement
// (announce.manage). Publishing stamps the current instant; an announcement
// published once stays published at its first instant.
func (a *App) SaveAnnouncement(ctx context.Context, p account.Principal, announcementID string, in AnnouncementInput) (AnnouncementView, error) {
	const op = "app.SaveAnnouncement"
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "announcement"}); err != nil {
		return AnnouncementView{}, err
	}
	if fes := bilingual(op, in.TitleZh, in.TitleEn); len(fes) > 0 {
		return AnnouncementView{}, errs.E(errs.Op(op), errs.Invalid, CodeAnnounceInvalid, "both titles are required", fes)
	}
	var out store.AnnouncementRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r := store.AnnouncementRow{ID: announcementID, CreatedBy: p.AccountID, CreatedAt: tx.Now}
		action := "announce.announcement_created"
		if announcementID != "" {
			old, err := store.AnnouncementGet(ctx, tx, announcementID)
			if store.IsNotFound(err) {
				return errNotFound("announcement")
			}
			if err != nil {
				return err
			}
			r, action = old, "announce.announcement_updated"
		} else {
			r.ID = id.NewAt(tx.Now)
		}
		r.TitleZh, r.TitleEn = strings.TrimSpace(in.TitleZh), strings.TrimSpace(in.TitleEn)
		r.BodyZh, r.BodyEn, r.UpdatedAt = in.BodyZh, in.BodyEn, tx.Now
		if in.Publish && r.PublishedAt.IsZero() {
			r.PublishedAt = tx.Now
		}
		if !in.Publish {
			r.PublishedAt = time.Time{}
		}
		if err := tx.AnnouncementUpsert(ctx, r); err != nil {
			return err
		}
		out = r
		return a.Audit(ctx, tx, AuditEntry{Action: action, SubjectType: "announcement", SubjectID: r.ID,
			Data: map[string]any{"published": !r.PublishedAt.IsZero(), "title_zh": r.TitleZh}})
	})
	if err != nil {
		return AnnouncementView{}, err
	}
	return announcementView(out), nil
}

// Announcements lists announcements newest first: published ones for
// everyone (p nil or a customer); drafts too for staff with
// announce.manage when all is set.
func (a *App) Announcements(ctx context.Context, p *account.Principal, all bool, limit int) ([]AnnouncementView, error) {
	by := a.Now()
	if all {
		if p == nil {
			return nil, errs.E(errs.Unauthenticated, "auth.required", "sign in")
		}
		if err := a.Authorize(ctx, *p, "announce.manage", account.Object{Type: "announcement"}); err != nil {
			return nil, err
		}
		by = time.Time{}
	}
	rows, err := store.Announcements(ctx, a.db, by, limit)
	if err != nil {
		return nil, err
	}
	out := make([]AnnouncementView, 0, len(rows))
	for _, r := range rows {
		out = append(out, announcementView(r))
	}
	return out, nil
}

// Announcement reads one announcement: a published one for anyone, a draft
// for staff with announce.manage only (announcement.not_found otherwise).
func (a *App) Announcement(ctx context.Context, p *account.Principal, announcementID string) (AnnouncementView, error) {
	r, err := store.AnnouncementGet(ctx, a.db, announcementID)
	if store.IsNotFound(err) {
		return AnnouncementView{}, errNotFound("announcement")
	}
	if err != nil {
		return AnnouncementView{}, err
	}
	if r.PublishedAt.IsZero() || r.PublishedAt.After(a.Now()) {
		if p == nil || !account.Can(*p, "announce.manage", account.Object{Type: "announcement"}).Allowed {
			return AnnouncementView{}, errNotFound("announcement")
		}
	}
	return announcementView(r), nil
}

// policyInForce is the policy of the agreement version in force at at —
// for decisions about no one customer (whether a window may be published).
func (a *App) policyInForce(ctx context.Context, at time.Time) (*policy.Set, error) {
	src := agreementSource{a}
	v, err := src.VersionInForce(ctx, at)
	if err != nil {
		return nil, err
	}
	return src.SetForVersion(ctx, v)
}

// customerRecipient is an account as a notice recipient (email, phone and
// inbox) with its language.
func (a *App) customerRecipient(ctx context.Context, q store.Querier, accountID string) (notify.Recipient, notify.Lang, error) {
	row, err := store.AccountGet(ctx, q, accountID)
	if err != nil {
		return notify.Recipient{}, "", err
	}
	rc := notify.Recipient{AccountID: row.ID}
	if rc.Email, err = a.open("account", "email", row.ID, row.EmailEnc); err != nil {
		return rc, "", err
	}
	if rc.Phone, err = a.open("account", "phone", row.ID, row.PhoneEnc); err != nil {
		return rc, "", err
	}
	return rc, langOf(row.Lang), nil
}
