package app

import (
	"context"
	"slices"
	"time"

	"yuanxu/internal/store"
)

// The public status page (issue 17 item 4): current and past incidents and
// maintenance windows, with titles, times, states and cause tags only —
// never affected customers or services.

// StatusItem is one incident or window on the status page.
type StatusItem struct {
	Kind      string    `json:"kind" enum:"incident,maintenance" example:"maintenance"`
	ID        string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f82"`
	TitleZh   string    `json:"title_zh" example:"南昌机房核心交换机升级"`
	TitleEn   string    `json:"title_en" example:"Nanchang core switch upgrade"`
	BodyZh    string    `json:"body_zh" example:"期间网络可能中断约 30 分钟。"`
	BodyEn    string    `json:"body_en" example:"The network may be down for about 30 minutes."`
	State     string    `json:"state" example:"scheduled" doc:"incident: open, resolved; maintenance: scheduled, in_progress, completed, cancelled"`
	Cause     string    `json:"cause,omitempty" example:"" doc:"Incidents: the cause tag."`
	Emergency bool      `json:"emergency,omitempty" example:"false" doc:"Maintenance announced with less notice than policy."`
	Start     time.Time `json:"start" example:"2026-12-01T01:00:00+08:00"`
	End       time.Time `json:"end,omitzero" example:"2026-12-01T03:00:00+08:00" doc:"Incidents: absent while open."`
}

// Title is the title in lang.
func (v StatusItem) Title(lang string) string { return pick(lang, v.TitleZh, v.TitleEn) }

// Body is the body in lang.
func (v StatusItem) Body(lang string) string { return pick(lang, v.BodyZh, v.BodyEn) }

// StatusView is the public status page.
type StatusView struct {
	// Current holds open incidents and windows scheduled or in progress
	// that have not ended, soonest first.
	Current []StatusItem `json:"current"`
	// Past holds resolved incidents and ended, completed or cancelled
	// windows, latest first (at most 50).
	Past []StatusItem `json:"past"`
}

// Status builds the public status page; it needs no principal.
func (a *App) Status(ctx context.Context) (StatusView, error) {
	now := a.Now()
	out := StatusView{Current: []StatusItem{}, Past: []StatusItem{}}
	ws, err := store.Windows(ctx, a.db, store.WindowFilter{Limit: 100})
	if err != nil {
		return out, err
	}
	for _, w := range ws {
		it := StatusItem{Kind: "maintenance", ID: w.ID, TitleZh: w.TitleZh, TitleEn: w.TitleEn, BodyZh: w.BodyZh, BodyEn: w.BodyEn, State: w.State,
			Emergency: w.Emergency, Start: inShanghai(w.Start), End: inShanghai(w.End)}
		if (w.State == WindowScheduled || w.State == WindowInProgress) && w.End.After(now) {
			out.Current = append(out.Current, it)
		} else {
			out.Past = append(out.Past, it)
		}
	}
	is, err := store.Incidents(ctx, a.db, 100)
	if err != nil {
		return out, err
	}
	for _, r := range is {
		it := StatusItem{Kind: "incident", ID: r.ID, TitleZh: r.TitleZh, TitleEn: r.TitleEn, BodyZh: r.BodyZh, BodyEn: r.BodyEn, State: r.State,
			Cause: r.Cause, Start: inShanghai(r.StartedAt), End: inShanghai(r.EndedAt)}
		if r.State == IncidentOpen {
			out.Current = append(out.Current, it)
		} else {
			out.Past = append(out.Past, it)
		}
	}
	slices.SortFunc(out.Current, func(x, y StatusItem) int { return x.Start.Compare(y.Start) })
	slices.SortFunc(out.Past, func(x, y StatusItem) int { return y.Start.Compare(x.Start) })
	if len(out.Past) > 50 {
		out.Past = out.Past[:50]
	}
	return out, nil
}
