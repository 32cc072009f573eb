package account_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 18, 9, 0, 0, 0, time.UTC)
	k, full, err := account.NewAPIKey(account.NewAPIKeyParams{
		ID: "k1", Owner: alice, Name: "  deploy bot ", Scopes: []string{"order.read", "service.read", "order.read"},
		Now: now, ExpiresAt: now.Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^yx_[a-z2-7]{8}_[a-z2-7]{32}$`).MatchString(full) {
		t.Fatalf("key %q", full)
	}
	if k.Name != "deploy bot" || k.AccountID != "alice" || !slices.Equal(k.Scopes, []account.Permission{"order.read", "service.read"}) ||
		!strings.HasPrefix(full, "yx_"+k.Prefix+"_") || k.Display() != "yx_"+k.Prefix+"_…" || strings.Contains(k.Display(), full[12:]) {
		t.Errorf("key = %+v", k)
	}
	parsed, err := account.ParseAPIKey(full)
	if err != nil || parsed.Prefix != k.Prefix {
		t.Fatalf("ParseAPIKey = %+v, %v", parsed, err)
	}
	if err := k.Check(parsed, now.Add(time.Hour)); err != nil {
		t.Errorf("Check = %v", err)
	}
	if err := k.Check(parsed, now.Add(24*time.Hour)); errs.CodeOf(err) != account.CodeAPIKeyExpired {
		t.Errorf("expired: %v", err)
	}
	revoked := k
	revoked.RevokedAt = now
	if err := revoked.Check(parsed, now); errs.CodeOf(err) != account.CodeAPIKeyRevoked {
		t.Errorf("revoked: %v", err)
	}
	// Same prefix, another secret.
	forged := full[:len(full)-1] + map[bool]string{true: "b", false: "a"}[full[len(full)-1] == 'a']
	fp, err := account.ParseAPIKey(forged)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Check(fp, now); errs.CodeOf(err) != account.CodeAPIKeyInvalid || errs.KindOf(err) != errs.Unauthenticated {
		t.Errorf("forged: %v", err)
	}
	p := k.Principal(alice)
	if !p.ViaAPIKey || account.Can(p, "order.read", owned("alice")).Status != account.Allow ||
		account.Can(p, "order.create", owned("alice")).Reason != account.ReasonKeyScope {
		t.Error("key principal not bounded by its scopes")
	}
	if k.NeedsTouch(now) != true || (account.APIKey{LastUsedAt: now}).NeedsTouch(now.Add(time.Second)) {
		t.Error("NeedsTouch")
	}
}

func TestParseAPIKeyRejects(t *testing.T) {
	t.Parallel()
	good := "yx_abcdefgh_" + strings.Repeat("a", 32)
	if _, err := account.ParseAPIKey(good); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"", "yx_", good + "a", good[:len(good)-1], strings.ToUpper(good), "yy" + good[2:],
		"yx_abcdefg_" + strings.Repeat("a", 33), "yx_abcdefgh-" + strings.Repeat("a", 32),
		"yx_abcdefg1_" + strings.Repeat("a", 32), "yx_abcdefgh_" + strings.Repeat("a", 31) + "8",
		"yx_abcdefgh_" + strings.Repeat("a", 31) + "_", " " + good[1:],
	} {
		if _, err := account.ParseAPIKey(bad); errs.CodeOf(err) != account.CodeAPIKeyInvalid {
			t.Errorf("ParseAPIKey(%q) = %v", bad, err)
		}
	}
}

func TestKeyScopes(t *testing.T) {
	t.Parallel()
	if got := account.KeyScopesFor(alice); !slices.Contains(got, "order.create") || slices.Contains(got, "mfa.manage_own") ||
		slices.Contains(got, "api_key.manage_own") || slices.Contains(got, "wallet.withdraw") {
		t.Errorf("individual key scopes %v", got)
	}
	if got := account.KeyScopesFor(support); got != nil {
		t.Errorf("staff key scopes %v", got)
	}
	if got := account.KeyScopesFor(subNo); slices.Contains(got, "order.create") || !slices.Contains(got, "notification.manage_own") {
		t.Errorf("scopeless sub-user key scopes %v", got)
	}
	if got := account.KeyScopesFor(subAll); !slices.Contains(got, "order.create") {
		t.Errorf("scoped sub-user key scopes %v", got)
	}
	if got := account.KeyScopesFor(resell); !slices.Contains(got, "reseller.client.manage") {
		t.Errorf("reseller key scopes %v", got)
	}
	tests := []struct {
		name   string
		owner  account.Principal
		scopes []string
		fields []string
	}{
		{"Empty", alice, nil, []string{"body.scopes"}},
		{"Unknown", alice, []string{"order.read", "root"}, []string{"body.scopes.1"}},
		{"NotKeyable", alice, []string{"mfa.manage_own", "wallet.withdraw"}, []string{"body.scopes.0", "body.scopes.1"}},
		{"NotHeld", subNo, []string{"order.create"}, []string{"body.scopes.0"}},
		{"Staff", support, []string{"account.read_any"}, []string{"body.scopes.0"}},
	}
	for _, tt := range tests {
		_, err := account.ValidateKeyScopes(tt.owner, tt.scopes)
		var e *errs.Error
		if !asErr(err, &e) || e.Code != account.CodeAPIKeyScope || len(e.Fields) != len(tt.fields) {
			t.Errorf("%s: %#v", tt.name, err)
			continue
		}
		for i, f := range tt.fields {
			if e.Fields[i].Field != f {
				t.Errorf("%s: field %d = %s, want %s", tt.name, i, e.Fields[i].Field, f)
			}
		}
	}
	now := time.Now()
	_, _, err := account.NewAPIKey(account.NewAPIKeyParams{ID: "k", Owner: alice, Name: "", Scopes: []string{"root"}, Now: now, ExpiresAt: now.Add(-time.Hour)})
	var e *errs.Error
	if !asErr(err, &e) || len(e.Fields) != 3 {
		t.Errorf("NewAPIKey(all bad) = %#v", err)
	}
	for name, want := range map[string]string{"": "required", "a\x00b": "format", strings.Repeat("名", 65): "max_length"} {
		if _, err := account.ValidateAPIKeyName(name); !asErr(err, &e) || e.Fields[0].Rule != want {
			t.Errorf("ValidateAPIKeyName(%q) = %v", name, err)
		}
	}
}
