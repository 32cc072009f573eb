package account_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

// FuzzParseAPIKey: any bearer token either parses into a prefix of the
// right shape whose hash is deterministic, or is api_key.invalid; it never
// panics.
func FuzzParseAPIKey(f *testing.F) {
	f.Add("yx_abcdefgh_" + strings.Repeat("a", 32))
	f.Add("yx_abcdefgh_" + strings.Repeat("7", 31) + "_")
	f.Add("yx__")
	f.Add("")
	f.Add("yx_ＡＢＣＤＥＦＧＨ_" + strings.Repeat("a", 32))
	f.Fuzz(func(t *testing.T, s string) {
		p, err := account.ParseAPIKey(s)
		if err != nil {
			if errs.CodeOf(err) != account.CodeAPIKeyInvalid || errs.KindOf(err) != errs.Unauthenticated {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(s) != 44 || !strings.HasPrefix(s, "yx_"+p.Prefix+"_") || len(p.Prefix) != 8 || len(p.Hash) != 32 {
			t.Fatalf("accepted %q as %+v", s, p)
		}
		again, _ := account.ParseAPIKey(s)
		if !bytes.Equal(again.Hash, p.Hash) {
			t.Fatal("hash not deterministic")
		}
	})
}

// FuzzParsePHC: stored hashes parse strictly; whatever parses re-encodes to
// the same string and has parameters within limits.
func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM")
	f.Add("$argon2id$v=19$m=65536,t=3,p=4$eXVhbnh1LXNhbHQtMDAwMQ$jELB1Gg+w/qRW/ZYDoA1HKxHd74YCoxKejs2VCJcWfY")
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=1$AAAA$AAAA")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := account.ParsePHC(s)
		if err != nil {
			return
		}
		if h.String() != s {
			t.Fatalf("%q re-encodes as %q", s, h.String())
		}
		if h.Params.Validate() != nil {
			t.Fatalf("accepted out-of-range %+v", h.Params)
		}
	})
}

// FuzzVerifyTOTP: any typed code is refused cleanly unless it is exactly
// the code of an acceptable step.
func FuzzVerifyTOTP(f *testing.F) {
	f.Add("287082", int64(59), int64(0))
	f.Add("２８７０８２", int64(59), int64(1))
	f.Add(" 287-082 ", int64(59), int64(0))
	f.Add("", int64(-1), int64(0))
	f.Fuzz(func(t *testing.T, code string, unix, last int64) {
		unix %= 1 << 40
		step, err := account.VerifyTOTP(rfc6238Secret, code, time.Unix(unix, 0), last)
		if err != nil {
			c := errs.CodeOf(err)
			if c != account.CodeTOTPInvalid && c != account.CodeTOTPReused {
				t.Fatalf("error %v", err)
			}
			return
		}
		now := account.TOTPStep(time.Unix(unix, 0))
		if step <= last || step < now-1 || step > now+1 {
			t.Fatalf("accepted step %d (now %d, last %d)", step, now, last)
		}
	})
}

// FuzzCheckCode: whatever is typed, a code is accepted only when it is the
// issued one, attempts only grow, and a malformed input costs nothing.
func FuzzCheckCode(f *testing.F) {
	c, err := account.NewCodes(pepper, bytes.NewReader(bytes.Repeat([]byte{9}, 8)))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 6, 18, 9, 0, 0, 0, time.UTC)
	plain, st, err := c.Issue("id", account.PurposeRegisterEmail, now)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plain)
	f.Add("000000")
	f.Add("１２３４５６")
	f.Add("12345\x00")
	f.Fuzz(func(t *testing.T, input string) {
		next, err := c.CheckCode(st, input, now)
		if err == nil {
			if strings.NewReplacer(" ", "", "-", "", "\u3000", "", "\t", "").Replace(input) != plain && !fullWidthOf(input, plain) {
				t.Fatalf("accepted %q for %q", input, plain)
			}
			return
		}
		switch errs.CodeOf(err) {
		case account.CodeCodeMismatch:
			if next.Attempts != st.Attempts+1 {
				t.Fatal("mismatch not counted")
			}
		case account.CodeCodeMalformed:
			if next.Attempts != st.Attempts {
				t.Fatal("malformed input counted")
			}
		default:
			t.Fatalf("error %v", err)
		}
	})
}

func fullWidthOf(input, plain string) bool {
	var b strings.Builder
	for _, r := range input {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		case r == ' ' || r == '-' || r == '\u3000' || r == '\t':
		default:
			b.WriteRune(r)
		}
	}
	return b.String() == plain
}

// FuzzNormalizeRecoveryCode: a normalised code is 8 symbols of the
// alphabet, and normalising it again is the identity.
func FuzzNormalizeRecoveryCode(f *testing.F) {
	f.Add("abcd-efgh")
	f.Add("ＡＢＣＤ－ＥＦＧＨ")
	f.Add("0lio-0lio")
	f.Fuzz(func(t *testing.T, s string) {
		n := account.NormalizeRecoveryCode(s)
		if n == "" {
			return
		}
		if len(n) != 8 || strings.ContainsAny(n, "01ilo") || account.NormalizeRecoveryCode(n) != n {
			t.Fatalf("%q normalised to %q", s, n)
		}
	})
}

// FuzzHashSessionToken: only 43-character base64url tokens are hashed.
func FuzzHashSessionToken(f *testing.F) {
	tok, _, _ := account.NewSessionToken(nil)
	f.Add(tok)
	f.Add(strings.Repeat("A", 43))
	f.Add(strings.Repeat("/", 43))
	f.Add(strings.Repeat("A", 40) + "\nAA")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := account.HashSessionToken(s)
		if err != nil {
			if errs.KindOf(err) != errs.Unauthenticated {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(s) != 43 || len(h) != 32 || strings.ContainsFunc(s, func(r rune) bool {
			return !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_')
		}) {
			t.Fatalf("hashed %q", s)
		}
	})
}

// FuzzValidateRegistration: outside strings never panic; an accepted form
// is normalised (idempotent) and every refusal names its fields.
func FuzzValidateRegistration(f *testing.F) {
	f.Add("individual", "张三", "a@b.cn", "13812345678", "correct horse battery staple", "", "")
	f.Add("enterprise", "\u202e", "x", "+86", "password", "公司", "91360100MA35ABCD1X")
	f.Add("enterprise", "名", "A@B", "００８６１３８１２３４５６７８", "ｑｗｅｒｔｙｕｉｏｐ", "某某", "９１")
	f.Fuzz(func(t *testing.T, kind, name, email, phone, pw, ent, uscc string) {
		r := account.Registration{Kind: kind, DisplayName: name, Email: email, Phone: phone, Password: pw, EnterpriseName: ent, USCC: uscc}
		v, err := account.ValidateRegistration(r)
		if err != nil {
			var e *errs.Error
			if !asErr(err, &e) || e.Kind != errs.Invalid || len(e.Fields) == 0 {
				t.Fatalf("error %#v", err)
			}
			for _, fe := range e.Fields {
				if !strings.HasPrefix(fe.Field, "body.") || fe.Rule == "" {
					t.Fatalf("field error %+v", fe)
				}
			}
			return
		}
		again := r
		again.DisplayName, again.Email, again.Phone, again.EnterpriseName, again.USCC = v.DisplayName, v.Email, v.Phone, v.EnterpriseName, v.USCC
		v2, err := account.ValidateRegistration(again)
		if err != nil || v2 != v {
			t.Fatalf("not idempotent: %+v → %+v, %v", v, v2, err)
		}
		if !utf8.ValidString(v.DisplayName) || len(v.Phone) != 11 {
			t.Fatalf("accepted %+v", v)
		}
	})
}

// FuzzHashVerify: whatever the password, what Hash makes Verify accepts,
// and a different password is refused.
func FuzzHashVerify(f *testing.F) {
	h := testHasher(f)
	f.Add("correct horse", "x")
	f.Add("１２３", "123x")
	f.Add("\xff\xfe", "")
	f.Fuzz(func(t *testing.T, pw, other string) {
		ctx := context.Background()
		enc, err := h.Hash(ctx, pw)
		if err != nil {
			if len(pw) <= 1024 {
				t.Fatal(err)
			}
			return
		}
		if ok, err := h.Verify(ctx, pw, enc); !ok || err != nil {
			t.Fatalf("own hash refused: %v", err)
		}
		if other != pw {
			if ok, _ := h.Verify(ctx, other, enc); ok && normNFKC(other) != normNFKC(pw) {
				t.Fatalf("%q verified against the hash of %q", other, pw)
			}
		}
	})
}
