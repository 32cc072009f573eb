package agreement_test

import (
	"strings"
	"testing"
	"time"

	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
)

var now = time.Date(2026, 6, 11, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func draft(t *testing.T, src []byte) agreement.Version {
	t.Helper()
	d, err := agreement.Parse("v2.md", src)
	if err != nil {
		t.Fatal(err)
	}
	v, err := agreement.NewDraft("v2", d, "st-drafter")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestScheduleEnforcesSignOffLintAndNotice(t *testing.T) {
	t.Parallel()
	good := agreement.ScheduleParams{EffectiveAt: now.AddDate(0, 0, 7), Now: now, SignedOffBy: "st-legal", SignerHasLegalRole: true, Material: true}
	with := func(f func(*agreement.ScheduleParams)) agreement.ScheduleParams { p := good; f(&p); return p }
	defective := []byte(strings.Replace(string(agreement.DefaultSource()), "15 个工作日", "[X] 个工作日", 1))
	tests := []struct {
		name string
		src  []byte
		p    agreement.ScheduleParams
		kind errs.Kind
		code string
	}{
		{"NoSignOff", nil, with(func(p *agreement.ScheduleParams) { p.SignedOffBy = "" }), errs.Forbidden, "agreement.signoff_required"},
		{"PreparerSignsOwn", nil, with(func(p *agreement.ScheduleParams) { p.SignedOffBy = "st-drafter" }), errs.Forbidden, "agreement.signoff_same_person"},
		{"PreparerGivenInParams", nil, with(func(p *agreement.ScheduleParams) { p.PreparedBy = "st-legal" }), errs.Forbidden, "agreement.signoff_same_person"},
		{"SignerNotLegal", nil, with(func(p *agreement.ScheduleParams) { p.SignerHasLegalRole = false }), errs.Forbidden, "agreement.signoff_not_legal"},
		{"LintFindings", defective, good, errs.Invalid, "agreement.lint_failed"},
		{"CitedClauseMissing", nil, with(func(p *agreement.ScheduleParams) { p.Cited = []string{"1", "12.3"} }), errs.Invalid, "agreement.lint_failed"},
		{"NoticeOneSecondShort", nil, with(func(p *agreement.ScheduleParams) { p.EffectiveAt = now.AddDate(0, 0, 7).Add(-time.Second) }), errs.Invalid, "agreement.notice_too_short"},
		{"NoticeFromOwnPolicy", []byte(strings.Replace(string(agreement.DefaultSource()), "agreement.notice_days = 7", "agreement.notice_days = 14", 1)), good, errs.Invalid, "agreement.notice_too_short"},
		{"NoEffectiveAt", nil, with(func(p *agreement.ScheduleParams) { p.EffectiveAt = time.Time{} }), errs.Invalid, "agreement.schedule_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := tt.src
			if src == nil {
				src = agreement.DefaultSource()
			}
			v := draft(t, src)
			got, err := agreement.Schedule(v, tt.p)
			if errs.KindOf(err) != tt.kind || errs.CodeOf(err) != tt.code {
				t.Fatalf("err %v (kind %v), want %v %s", err, errs.KindOf(err), tt.kind, tt.code)
			}
			if got.State != agreement.StateDraft {
				t.Errorf("a refused version moved to %s", got.State)
			}
		})
	}
}

func TestVersionLifecycle(t *testing.T) {
	t.Parallel()
	v := draft(t, agreement.DefaultSource())
	eff := now.AddDate(0, 0, 7)
	s, err := agreement.Schedule(v, agreement.ScheduleParams{EffectiveAt: eff, Now: now, Material: true, SignedOffBy: "st-legal", SignerHasLegalRole: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.State != agreement.StateScheduled || s.SignedOffBy != "st-legal" || !s.Material || !s.EffectiveAt.Equal(eff) || !s.ScheduledAt.Equal(now) || s.PreparedBy != "st-drafter" {
		t.Errorf("scheduled %+v", s)
	}
	if v.State != agreement.StateDraft {
		t.Error("Schedule changed its argument")
	}
	if _, err := agreement.Schedule(s, agreement.ScheduleParams{}); errs.CodeOf(err) != "agreement.not_draft" {
		t.Errorf("scheduling twice: %v", err)
	}
	if _, err := agreement.Activate(s, eff.Add(-time.Nanosecond)); errs.CodeOf(err) != "agreement.not_due" {
		t.Errorf("early activation: %v", err)
	}
	if _, err := agreement.Activate(v, eff); errs.CodeOf(err) != "agreement.not_scheduled" {
		t.Errorf("activating a draft: %v", err)
	}
	back, err := agreement.Unschedule(s, eff.Add(-time.Hour))
	if err != nil || back.State != agreement.StateDraft || back.SignedOffBy != "" || !back.EffectiveAt.IsZero() {
		t.Errorf("unschedule: %+v %v", back, err)
	}
	if _, err := agreement.Unschedule(s, eff); errs.CodeOf(err) != "agreement.already_effective" {
		t.Errorf("unschedule at effect: %v", err)
	}
	e, err := agreement.Activate(s, eff)
	if err != nil || e.State != agreement.StateEffective {
		t.Fatalf("activate: %+v %v", e, err)
	}
	if _, err := agreement.Unschedule(e, eff); errs.CodeOf(err) != "agreement.not_scheduled" {
		t.Errorf("unschedule effective: %v", err)
	}
	if _, err := agreement.Supersede(e, "v2", eff); errs.CodeOf(err) != "agreement.supersede_invalid" {
		t.Errorf("superseded by itself: %v", err)
	}
	sup, err := agreement.Supersede(e, "v3", eff.AddDate(0, 1, 0))
	if err != nil || sup.State != agreement.StateSuperseded || sup.SupersededBy != "v3" {
		t.Errorf("supersede: %+v %v", sup, err)
	}
	if _, err := agreement.Supersede(sup, "v4", eff); errs.CodeOf(err) != "agreement.not_effective" {
		t.Errorf("superseding twice: %v", err)
	}
}

func TestNewDraftNeedsItsFields(t *testing.T) {
	t.Parallel()
	d := agreement.Default()
	for _, tt := range []struct {
		id, by string
		doc    *agreement.Document
		field  string
	}{{"", "a", d, "id"}, {"v", "a", nil, "doc"}, {"v", "", d, "prepared_by"}} {
		_, err := agreement.NewDraft(tt.id, tt.doc, tt.by)
		if errs.CodeOf(err) != "agreement.draft_invalid" || fieldsOf(t, err)[0].Field != tt.field {
			t.Errorf("NewDraft without %s: %v", tt.field, err)
		}
	}
}
