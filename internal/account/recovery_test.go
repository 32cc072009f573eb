package account_test

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

var pepper = bytes.Repeat([]byte{0x42}, 32)

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	plain, stored, err := account.GenerateRecoveryCodes(pepper, "acct-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) != account.RecoveryCodeCount || len(stored) != account.RecoveryCodeCount {
		t.Fatalf("%d codes, %d stored", len(plain), len(stored))
	}
	shape := regexp.MustCompile(`^[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}$`)
	seen := map[string]bool{}
	for i, c := range plain {
		if !shape.MatchString(c) {
			t.Errorf("code %q has the wrong shape", c)
		}
		if seen[c] {
			t.Errorf("code %q repeats", c)
		}
		seen[c] = true
		h, err := account.HashRecoveryCode(pepper, "acct-1", c)
		if err != nil || !bytes.Equal(h, stored[i].Hash) {
			t.Errorf("HashRecoveryCode(%q) does not match the stored form", c)
		}
		if bytes.Contains(stored[i].Hash, []byte(c)) {
			t.Error("stored form contains the code")
		}
	}
	c := plain[3]
	for _, typed := range []string{c, strings.ToUpper(c), strings.ReplaceAll(c, "-", ""), " " + c[:4] + " " + c[5:] + " ", fullWidth(c)} {
		i, err := account.MatchRecoveryCode(pepper, "acct-1", typed, stored)
		if err != nil || i != 3 {
			t.Errorf("Match(%q) = %d, %v", typed, i, err)
		}
	}
	// Single use: a used code no longer matches.
	stored[3].UsedAt = time.Now()
	if _, err := account.MatchRecoveryCode(pepper, "acct-1", c, stored); errs.CodeOf(err) != account.CodeRecoveryInvalid {
		t.Errorf("used code: %v", err)
	}
	// Bound to the account and the key.
	if _, err := account.MatchRecoveryCode(pepper, "acct-2", plain[0], stored); err == nil {
		t.Error("another account's code matched")
	}
	other := bytes.Repeat([]byte{0x43}, 32)
	if _, err := account.MatchRecoveryCode(other, "acct-1", plain[0], stored); err == nil {
		t.Error("matched under another key")
	}
	for _, bad := range []string{"", "abcd-efg", "abcd-efgh-j", "0bcd-efgh", "ibcd-efgh", "lbcd-efgh", "obcd-efgh", "abcd_efgh"} {
		if _, err := account.HashRecoveryCode(pepper, "acct-1", bad); errs.CodeOf(err) != account.CodeRecoveryInvalid {
			t.Errorf("HashRecoveryCode(%q) = %v", bad, err)
		}
	}
	if _, _, err := account.GenerateRecoveryCodes(pepper[:16], "a", nil); !errors.Is(err, account.ErrShortKey) {
		t.Errorf("short key: %v", err)
	}
	if _, err := account.HashRecoveryCode(nil, "a", plain[0]); !errors.Is(err, account.ErrShortKey) {
		t.Errorf("nil key: %v", err)
	}
}

func TestNormalizeRecoveryCode(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"abcd-efgh":   "abcdefgh",
		"ABCD EFGH":   "abcdefgh",
		"ａｂｃｄ－ｅｆｇｈ":   "abcdefgh",
		"２３４５-６７８９":   "23456789",
		"abcd-efg":    "",
		"abcd-efgh-k": "",
		"abcd-efg1":   "",
		"":            "",
	}
	for in, want := range tests {
		if got := account.NormalizeRecoveryCode(in); got != want {
			t.Errorf("NormalizeRecoveryCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func fullWidth(s string) string {
	r := []rune(s)
	for i, c := range r {
		switch {
		case c >= 'a' && c <= 'z':
			r[i] = 'ａ' + (c - 'a')
		case c >= '0' && c <= '9':
			r[i] = '０' + (c - '0')
		case c == '-':
			r[i] = '－'
		}
	}
	return string(r)
}
