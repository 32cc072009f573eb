package account_test

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

func TestSessionToken(t *testing.T) {
	t.Parallel()
	tok, hash, err := account.NewSessionToken(nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(tok))
	if len(tok) != 43 || !bytes.Equal(hash, sum[:]) || strings.ContainsAny(tok, "+/=") {
		t.Errorf("token %q hash %x", tok, hash)
	}
	if h, err := account.HashSessionToken(tok); err != nil || !bytes.Equal(h, hash) {
		t.Errorf("HashSessionToken = %x, %v", h, err)
	}
	tok2, _, _ := account.NewSessionToken(nil)
	if tok2 == tok {
		t.Error("tokens repeat")
	}
	for _, bad := range []string{"", tok[:42], tok + "A", strings.Repeat("!", 43), tok[:42] + "=", strings.Repeat("A", 42) + "B"} {
		if _, err := account.HashSessionToken(bad); errs.KindOf(err) != errs.Unauthenticated {
			t.Errorf("HashSessionToken(%q) = %v", bad, err)
		}
	}
	dt, dh, err := account.NewDeviceToken(nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := account.HashDeviceToken(dt); err != nil || !bytes.Equal(h, dh) {
		t.Error("device token round trip")
	}
}

func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	login := time.Date(2026, 6, 18, 9, 0, 0, 0, time.UTC)
	cust, tok, err := account.NewSession(account.NewSessionParams{ID: "s1", AccountID: "a1", Kind: account.KindIndividual, Now: login})
	if err != nil || tok == "" {
		t.Fatal(err)
	}
	staffS, _, _ := account.NewSession(account.NewSessionParams{ID: "s2", AccountID: "st", Kind: account.KindStaff, Now: login})
	if cust.IdleAfter != 30*time.Minute || !cust.ExpiresAt.Equal(login.Add(12*time.Hour)) ||
		staffS.IdleAfter != 15*time.Minute || !staffS.ExpiresAt.Equal(login.Add(8*time.Hour)) {
		t.Fatalf("policies: customer %v %v, staff %v %v", cust.IdleAfter, cust.ExpiresAt, staffS.IdleAfter, staffS.ExpiresAt)
	}
	if h, _ := account.HashSessionToken(tok); !bytes.Equal(h, cust.TokenHash) {
		t.Error("stored hash is not the token's")
	}
	active := cust
	for at := login; at.Before(login.Add(12 * time.Hour)); at = at.Add(20 * time.Minute) {
		active = active.Touch(at)
	}
	ended := cust.End(login.Add(time.Minute), account.EndLogout)
	pending, _, _ := account.NewSession(account.NewSessionParams{ID: "s3", AccountID: "a1", Kind: account.KindIndividual, Now: login, PendingMFA: true})
	tests := []struct {
		name string
		s    account.Session
		at   time.Time
		code string
	}{
		{"Fresh", cust, login.Add(time.Minute), ""},
		{"IdleEdge", cust, login.Add(30*time.Minute - time.Millisecond), ""},
		{"Idle", cust, login.Add(30 * time.Minute), account.CodeSessionIdle},
		{"StaffIdle", staffS, login.Add(15 * time.Minute), account.CodeSessionIdle},
		{"KeptAliveBeforeAbsolute", active, login.Add(12*time.Hour - time.Minute), ""},
		{"Absolute", active, login.Add(12 * time.Hour), account.CodeSessionExpired},
		{"Ended", ended, login.Add(2 * time.Minute), account.CodeSessionEnded},
		{"PendingMFA", pending, login.Add(time.Minute), account.CodeSessionMFAPending},
		{"PendingExpires", pending, login.Add(account.PendingMFATTL), account.CodeSessionExpired},
	}
	for _, tt := range tests {
		err := tt.s.Check(tt.at)
		if tt.code == "" && err != nil || tt.code != "" && (errs.CodeOf(err) != tt.code || errs.KindOf(err) != errs.Unauthenticated) {
			t.Errorf("%s: Check = %v, want %q", tt.name, err, tt.code)
		}
		if tt.s.Valid(tt.at) != (tt.code == "") {
			t.Errorf("%s: Valid disagrees with Check", tt.name)
		}
	}
	full := pending.CompleteMFA(login.Add(time.Minute), account.KindIndividual)
	if !full.Valid(login.Add(2*time.Minute)) || !full.ExpiresAt.Equal(login.Add(12*time.Hour)) {
		t.Errorf("CompleteMFA = %+v", full)
	}
	if e := ended.End(login.Add(time.Hour), account.EndDisabled); e.EndReason != account.EndLogout || !e.EndedAt.Equal(ended.EndedAt) {
		t.Error("End is not idempotent")
	}
	if cust.Touch(login.Add(-time.Hour)).LastSeenAt != cust.LastSeenAt {
		t.Error("Touch moved LastSeenAt back")
	}
	if cust.NeedsTouch(login.Add(59*time.Second)) || !cust.NeedsTouch(login.Add(time.Minute)) {
		t.Error("NeedsTouch")
	}
}

func TestReauth(t *testing.T) {
	t.Parallel()
	login := time.Date(2026, 6, 18, 9, 0, 0, 0, time.UTC)
	s, _, _ := account.NewSession(account.NewSessionParams{ID: "s", AccountID: "a", Kind: account.KindIndividual, Now: login})
	if err := s.RequireRecentAuth(login.Add(4 * time.Minute)); err != nil {
		t.Errorf("just logged in: %v", err)
	}
	err := s.RequireRecentAuth(login.Add(5 * time.Minute))
	if errs.CodeOf(err) != account.CodeReauthRequired || errs.KindOf(err) != errs.Forbidden {
		t.Errorf("after the window: %v", err)
	}
	s = s.Reauthenticated(login.Add(20 * time.Minute))
	if err := s.RequireRecentAuth(login.Add(21 * time.Minute)); err != nil {
		t.Errorf("after re-authentication: %v", err)
	}
	if (account.Session{}).RequireRecentAuth(login) == nil {
		t.Error("zero session counts as recently authenticated")
	}
}

func TestEndReasons(t *testing.T) {
	t.Parallel()
	for r, all := range map[account.EndReason]bool{
		account.EndLogout: false, account.EndRevoked: false,
		account.EndLogoutAll: true, account.EndPasswordChanged: true, account.EndMFAChanged: true, account.EndDisabled: true,
	} {
		if r.EndsAll() != all {
			t.Errorf("%s.EndsAll() = %v", r, !all)
		}
	}
}
