package delivery

import (
	"testing"
	"time"

	"yuanxu/internal/errs"
)

var t0 = time.Date(2026, 6, 18, 23, 59, 0, 0, time.FixedZone("CST", 8*3600))

func TestCertificateLifecycle(t *testing.T) {
	t.Parallel()
	s := CertPaid
	var err error
	for _, to := range []CertState{CertValidating, CertSubmittedToCA, CertIssued} {
		if s, err = s.Move(to); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Move(CertCARejected); errs.CodeOf(err) != CodeBadCertMove {
		t.Fatalf("issued → rejected: %v", err)
	}
	if _, err := CertSubmittedToCA.Move(CertCARejected); err != nil {
		t.Fatal(err)
	}
	if _, err := CertPaid.Move(CertIssued); err == nil {
		t.Fatal("skipped the CA")
	}
}

func TestInspectionWindowIncludesItsEnd(t *testing.T) {
	t.Parallel()
	w := 24 * time.Hour
	for _, c := range []struct {
		at   time.Time
		want bool
	}{{t0, true}, {t0.Add(w), true}, {t0.Add(w + time.Millisecond), false}, {t0.Add(-time.Second), false}} {
		if got := InspectionOpen(t0, w, c.at); got != c.want {
			t.Errorf("at %s: %v", c.at, got)
		}
	}
	if InspectionOpen(time.Time{}, w, t0) {
		t.Error("undelivered")
	}
}

func TestBreach(t *testing.T) {
	t.Parallel()
	by := t0.Add(10 * time.Minute)
	if Breached(by, time.Time{}, by.Add(-time.Millisecond)) || !Breached(by, time.Time{}, by) {
		t.Error("undelivered at the deadline")
	}
	if Breached(by, by.Add(-time.Second), by.Add(time.Hour)) || !Breached(by, by, by.Add(time.Hour)) {
		t.Error("delivered just in time / exactly at the deadline")
	}
}

func TestHolderAt(t *testing.T) {
	t.Parallel()
	as := []Assignment{
		{Address: "203.0.113.7", ServiceID: "a", From: t0, Until: t0.Add(48 * time.Hour)},
		{Address: "203.0.113.7", ServiceID: "b", From: t0.Add(48 * time.Hour)},
		{Address: "203.0.113.8", ServiceID: "c", From: t0},
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{{t0, "a"}, {t0.Add(48*time.Hour - time.Nanosecond), "a"}, {t0.Add(48 * time.Hour), "b"}, {t0.Add(-time.Hour), ""}} {
		h, ok := HolderAt(as, "203.0.113.7", c.at)
		if (c.want == "") == ok || h.ServiceID != c.want {
			t.Errorf("at %s: %q %v, want %q", c.at, h.ServiceID, ok, c.want)
		}
	}
}
