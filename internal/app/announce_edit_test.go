package app_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/audit"
	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
)

// TestEditTextsKeepsScheduleAndNotice: correcting a window's texts after
// its notice reached the customer in time changes only the texts — the
// schedule, state, reach (still notified) and notices stay, no notice is
// sent again, and the edit is audited with the previous title; the same
// for an open incident, whose cause and services stay. Both titles are
// required; a customer is refused; unknown ids are not found.
func TestEditTextsKeepsScheduleAndNotice(t *testing.T) {
	t.Parallel()
	s := newAnnounceApp(t)
	ctx := context.Background()
	w := s.window(t, 100*time.Hour, false)
	s.deliver(t, w.ID, s.id1, "email", s.clock.Now().Add(time.Minute))
	reach := s.reach(t, w.ID)
	if !reach.Notified {
		t.Fatalf("reach before the edit: %+v", reach)
	}
	s.clock.Advance(2 * time.Hour)
	in := app.TextsInput{TitleZh: " 交换机升级（改期说明） ", TitleEn: "Switch upgrade (note)", BodyZh: "约 30 分钟。", BodyEn: "About 30 minutes."}
	got, err := s.a.EditWindowTexts(ctx, s.ops, w.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.TitleZh != "交换机升级（改期说明）" || got.TitleEn != in.TitleEn || got.BodyZh != in.BodyZh || got.BodyEn != in.BodyEn ||
		!got.Start.Equal(w.Start) || !got.End.Equal(w.End) || got.State != w.State || got.NoticeHours != w.NoticeHours || got.Emergency {
		t.Fatalf("edited window %+v (was %+v)", got, w)
	}
	if after := s.reach(t, w.ID); !reflect.DeepEqual(after, reach) {
		t.Errorf("reach changed by an edit of texts:\n%+v\n%+v", reach, after)
	}
	if n := s.notices(t, s.id1, notify.EventMaintenance); n != 1 {
		t.Errorf("%d maintenance notices after the edit", n)
	}
	if n := s.notices(t, s.id1, notify.EventMaintenanceUpdate); n != 0 {
		t.Errorf("%d update notices after an edit of texts", n)
	}
	// A later action still passes the optimistic lock.
	if _, err := s.a.ActOnWindow(ctx, s.ops, w.ID, app.WindowAction{Action: "cancel"}); err != nil {
		t.Fatalf("cancel after the edit: %v", err)
	}
	evs, err := store.AuditOf(ctx, s.a.DB(), "maintenance_window", w.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	if !hasAudit(evs, "announce.window_texts_edited", `"title_en":"Switch upgrade"`) {
		t.Errorf("audit trail %+v", evs)
	}

	inc, err := s.a.OpenIncident(ctx, s.ops, app.IncidentInput{TitleZh: "中断", TitleEn: "Outage", Cause: "third_party", ServiceIDs: []string{s.svc1.ID}})
	if err != nil {
		t.Fatal(err)
	}
	ed, err := s.a.EditIncidentTexts(ctx, s.ops, inc.ID, app.TextsInput{TitleZh: "运营商光缆中断", TitleEn: "Carrier fibre cut", BodyEn: "Fibre."})
	if err != nil {
		t.Fatal(err)
	}
	if ed.TitleZh != "运营商光缆中断" || ed.TitleEn != "Carrier fibre cut" || ed.BodyEn != "Fibre." || ed.Cause != "third_party" ||
		ed.State != app.IncidentOpen || len(ed.Services) != 1 || !ed.StartedAt.Equal(inc.StartedAt) {
		t.Fatalf("edited incident %+v", ed)
	}
	if evs, _ := store.AuditOf(ctx, s.a.DB(), "incident", inc.ID, 50); !hasAudit(evs, "announce.incident_texts_edited", `"title_zh":"中断"`) {
		t.Errorf("incident audit %+v", evs)
	}

	for _, c := range []struct {
		name string
		run  func() error
		kind errs.Kind
	}{
		{"window without an English title", func() error {
			_, err := s.a.EditWindowTexts(ctx, s.ops, w.ID, app.TextsInput{TitleZh: "x", TitleEn: " "})
			return err
		}, errs.Invalid},
		{"incident without a Chinese title", func() error {
			_, err := s.a.EditIncidentTexts(ctx, s.ops, inc.ID, app.TextsInput{TitleEn: "x"})
			return err
		}, errs.Invalid},
		{"a customer", func() error {
			_, err := s.a.EditWindowTexts(ctx, s.a1, w.ID, app.TextsInput{TitleZh: "x", TitleEn: "x"})
			return err
		}, errs.Forbidden},
		{"unknown window", func() error {
			_, err := s.a.EditWindowTexts(ctx, s.ops, "01936a9e-4c1f-7c39-9f1e-000000000000", app.TextsInput{TitleZh: "x", TitleEn: "x"})
			return err
		}, errs.NotFound},
		{"unknown incident", func() error {
			_, err := s.a.EditIncidentTexts(ctx, s.ops, "01936a9e-4c1f-7c39-9f1e-000000000000", app.TextsInput{TitleZh: "x", TitleEn: "x"})
			return err
		}, errs.NotFound},
	} {
		err := c.run()
		var e *errs.Error
		if errs.KindOf(err) != c.kind || (c.kind == errs.Invalid && (!errors.As(err, &e) || e.Code != app.CodeAnnounceInvalid)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// hasAudit reports whether evs hold action with data containing the given
// JSON fragment.
func hasAudit(evs []audit.Event, action, data string) bool {
	for _, e := range evs {
		if e.Action == action && strings.Contains(e.Data, data) {
			return true
		}
	}
	return false
}
