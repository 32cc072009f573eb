package web_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/webtest"
)

type clock struct {
	Now time.Time `json:"now"`
}

type meta struct {
	Version         string    `json:"version"`
	Sandbox         bool      `json:"sandbox"`
	ServerTime      time.Time `json:"server_time"`
	DefaultLanguage string    `json:"default_language"`
	Languages       []string  `json:"languages"`
}

func getClock(t *testing.T, s *webtest.Server) time.Time {
	t.Helper()
	return webtest.Decode[clock](t, s.Do(t, "GET", "/api/v1/sandbox/clock", nil), 200).Now
}

func TestSandboxClock(t *testing.T) {
	t.Parallel()
	t.Run("GetStartsAtConfiguredInstant", func(t *testing.T) {
		t.Parallel()
		s := newSandbox(t)
		now := getClock(t, s)
		if now.Before(sandboxStart) || now.After(sandboxStart.Add(time.Minute)) {
			t.Errorf("now %s, want just after %s", now, sandboxStart)
		}
		if _, off := now.Zone(); off != 8*3600 {
			t.Errorf("now %s is not in +08:00", now)
		}
	})
	t.Run("AdvanceMovesAtLeastByTheDuration", func(t *testing.T) {
		t.Parallel()
		s := newSandbox(t)
		for _, tt := range []struct {
			advance string
			by      time.Duration
		}{{"25h", 25 * time.Hour}, {"90m", 90 * time.Minute}, {"2d", 48 * time.Hour}, {"1d12h", 36 * time.Hour}} {
			before := getClock(t, s)
			got := webtest.Decode[clock](t, s.Do(t, "POST", "/api/v1/sandbox/clock", map[string]string{"advance": tt.advance}), 200).Now
			if got.Sub(before) < tt.by {
				t.Errorf("advance %s: %s → %s, moved %s", tt.advance, before, got, got.Sub(before))
			}
			if after := getClock(t, s); after.Before(got) {
				t.Errorf("advance %s: GET after shows %s, before the answer %s", tt.advance, after, got)
			}
		}
	})
	t.Run("SetMovesToALaterInstantNeverBack", func(t *testing.T) {
		t.Parallel()
		s := newSandbox(t)
		target := sandboxStart.Add(30 * 24 * time.Hour)
		got := webtest.Decode[clock](t, s.Do(t, "POST", "/api/v1/sandbox/clock", map[string]string{"set": target.Format(time.RFC3339)}), 200).Now
		if got.Before(target) || got.After(target.Add(time.Minute)) {
			t.Errorf("set %s: now %s", target, got)
		}
		back := s.Do(t, "POST", "/api/v1/sandbox/clock", map[string]string{"set": target.Add(-time.Hour).Format(time.RFC3339)})
		if p := back.Problem(t); back.Status != 422 || p.Code != "sandbox.set_not_later" {
			t.Fatalf("set back: %d %s", back.Status, p.Code)
		}
		if now := getClock(t, s); now.Before(target) {
			t.Errorf("clock moved back to %s", now)
		}
	})
	t.Run("MetaShowsBusinessTime", func(t *testing.T) {
		t.Parallel()
		s := newSandbox(t)
		m := webtest.Decode[meta](t, s.Do(t, "GET", "/api/v1/meta", nil), 200)
		if !m.Sandbox || m.Version != "test" || m.DefaultLanguage != "zh-CN" || len(m.Languages) != 2 {
			t.Errorf("meta = %+v", m)
		}
		if m.ServerTime.Before(sandboxStart) || m.ServerTime.After(sandboxStart.Add(time.Minute)) {
			t.Errorf("server_time %s is not the sandbox clock", m.ServerTime)
		}
	})
}

func TestSandboxRoutesAbsentOutsideSandbox(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, nil)
	for _, method := range []string{"GET", "POST"} {
		res := s.Do(t, method, "/api/v1/sandbox/clock", map[string]string{"advance": "1h"})
		if p := res.Problem(t); res.Status != 404 || p.Code != "route.not_found" {
			t.Errorf("%s clock: %d %s", method, res.Status, p.Code)
		}
	}
	m := webtest.Decode[meta](t, s.Do(t, "GET", "/api/v1/meta", nil), 200)
	if m.Sandbox {
		t.Error("meta says sandbox")
	}
	if wall := time.Now(); m.ServerTime.Before(wall.Add(-time.Minute)) || m.ServerTime.After(wall.Add(time.Minute)) {
		t.Errorf("server_time %s is not wall time", m.ServerTime)
	}
	doc := openAPIDoc(t, s)
	for path := range doc.Paths {
		if path == "/sandbox/clock" {
			t.Error("the OpenAPI document lists /sandbox/clock outside sandbox mode")
		}
	}
}

// sweepProbe records the latest business instant a sweep ran at.
type sweepProbe struct {
	mu   sync.Mutex
	seen time.Time
}

func (p *sweepProbe) sweep(_ context.Context, now time.Time) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.After(p.seen) {
		p.seen = now
	}
	return 0, nil
}

func (p *sweepProbe) latest() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen
}

// Advancing the clock runs every due sweep before the response arrives, so
// a test sees deadline effects right away, without sleeping.
func TestAdvanceRunsSweepsBeforeAnswering(t *testing.T) {
	t.Parallel()
	probe := &sweepProbe{}
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true, SandboxStart: sandboxStart, BeforeStart: func(a *app.App) {
		a.RegisterSweep("test.deadline", probe.sweep)
	}})
	start := getClock(t, s)
	res := s.Do(t, "POST", "/api/v1/sandbox/clock", map[string]string{"advance": "25h"})
	if res.Status != 200 {
		t.Fatalf("advance: %d %s", res.Status, res.Body)
	}
	if seen := probe.latest(); seen.Before(start.Add(25 * time.Hour)) {
		t.Errorf("sweep last ran at %s, want ≥ %s", seen, start.Add(25*time.Hour))
	}
}
