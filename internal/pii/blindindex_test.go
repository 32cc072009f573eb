package pii_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"yuanxu/internal/errs"
	"yuanxu/internal/pii"
)

func mustIndex(t testing.TB, b byte) *pii.BlindIndex {
	t.Helper()
	bi, err := pii.NewBlindIndex(testKey(b))
	if err != nil {
		t.Fatal(err)
	}
	return bi
}

func TestBlindIndexSum(t *testing.T) {
	t.Parallel()
	bi := mustIndex(t, 1)
	sum := bi.Sum(pii.KindPhone, "13812345678")
	if len(sum) != pii.BlindIndexSize {
		t.Fatalf("len = %d, want %d", len(sum), pii.BlindIndexSize)
	}
	if !bytes.Equal(sum, bi.Sum(pii.KindPhone, "13812345678")) {
		t.Error("Sum is not deterministic")
	}
	plain := sha256.Sum256([]byte("13812345678"))
	if bytes.Equal(sum, plain[:pii.BlindIndexSize]) {
		t.Error("Sum is a plain hash")
	}
	differ := []struct {
		name string
		got  []byte
	}{
		{"OtherValue", bi.Sum(pii.KindPhone, "13812345679")},
		{"OtherKind", bi.Sum(pii.KindRateLimit, "13812345678")},
		{"OtherKey", mustIndex(t, 2).Sum(pii.KindPhone, "13812345678")},
		// kind‖value concatenations that collide without length prefixes.
		{"ShiftedBoundary", bi.Sum("phone1", "3812345678")},
		{"ShiftedBoundaryBack", bi.Sum("phon", "e13812345678")},
	}
	for _, d := range differ {
		if bytes.Equal(d.got, sum) {
			t.Errorf("%s: same index as phone 13812345678", d.name)
		}
	}
	if !bytes.Equal(bi.Sum("a", "bc"), bi.Sum("a", "bc")) || bytes.Equal(bi.Sum("a", "bc"), bi.Sum("ab", "c")) {
		t.Error("kind/value boundary is ambiguous")
	}
}

func TestBlindIndexHelpers(t *testing.T) {
	t.Parallel()
	bi := mustIndex(t, 1)
	for _, raw := range []string{"13812345678", "+86 138-1234-5678", "0086 138 1234 5678"} {
		got, err := bi.Phone(raw)
		if err != nil || !bytes.Equal(got, bi.Sum(pii.KindPhone, "13812345678")) {
			t.Errorf("Phone(%q) = %x, %v", raw, got, err)
		}
	}
	got, err := bi.Email("  Alice@Example.COM ")
	if err != nil || !bytes.Equal(got, bi.Sum(pii.KindEmail, "alice@example.com")) {
		t.Errorf("Email = %x, %v", got, err)
	}
	if _, err := bi.Phone("12345"); !errors.Is(err, pii.ErrInvalidPhone) {
		t.Errorf("Phone(12345): %v", err)
	}
	if _, err := bi.Email("nobody"); !errors.Is(err, pii.ErrInvalidEmail) {
		t.Errorf("Email(nobody): %v", err)
	}
}

func TestBlindIndexEmptyKindPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Sum with an empty kind did not panic")
		}
	}()
	mustIndex(t, 1).Sum("", "x")
}

func TestBlindIndexKeys(t *testing.T) {
	t.Parallel()
	key := testKey(5)
	want := mustIndex(t, 5).Sum(pii.KindEmail, "a@b")
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		bi, err := pii.ParseBlindIndexKey(enc.EncodeToString(key))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bi.Sum(pii.KindEmail, "a@b"), want) {
			t.Error("parsed key gives another index")
		}
	}
	bi, s, err := pii.GenerateBlindIndexKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	bi2, err := pii.ParseBlindIndexKey(s)
	if err != nil || !bytes.Equal(bi.Sum("k", "v"), bi2.Sum("k", "v")) {
		t.Fatalf("generated key does not reparse: %v", err)
	}

	secret := base64.StdEncoding.EncodeToString(testKey(9))
	bad := []struct {
		name string
		key  string
	}{
		{"Empty", ""},
		{"NotBase64", "!" + secret[1:]},
		{"Short", base64.StdEncoding.EncodeToString(testKey(9)[:16])},
		{"Zero", base64.StdEncoding.EncodeToString(make([]byte, 32))},
	}
	for _, tt := range bad {
		_, err := pii.ParseBlindIndexKey(tt.key)
		if !errors.Is(err, pii.ErrKeyConfig) {
			t.Errorf("%s: %v, want ErrKeyConfig", tt.name, err)
		} else if strings.Contains(err.Error(), secret[1:12]) {
			t.Errorf("%s: error %q echoes the key", tt.name, err)
		}
	}
	if _, err := pii.NewBlindIndex(testKey(1)[:31]); !errors.Is(err, pii.ErrKeyConfig) {
		t.Errorf("NewBlindIndex(31 bytes): %v", err)
	}
	// The index keeps its own copy of the key.
	k := testKey(3)
	bi3, _ := pii.NewBlindIndex(k)
	before := bi3.Sum("k", "v")
	k[0] ^= 1
	if !bytes.Equal(before, bi3.Sum("k", "v")) {
		t.Error("changing the caller's key slice changed the index")
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	ok := []struct{ in, want string }{
		{"13812345678", "13812345678"},
		{"19912345678", "19912345678"},
		{" 138 1234 5678 ", "13812345678"},
		{"138-1234-5678", "13812345678"},
		{"+8613812345678", "13812345678"},
		{"+86 138 1234 5678", "13812345678"},
		{"+86-138-1234-5678", "13812345678"},
		{"008613812345678", "13812345678"},
		{"0086 138 1234 5678", "13812345678"},
		{"１３８１２３４５６７８", "13812345678"},
		{"＋８６ １３８\u3000１２３４－５６７８", "13812345678"},
	}
	for _, tt := range ok {
		got, err := pii.NormalizePhone(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	bad := []string{
		"", "   ", "1381234567", "138123456789", "12812345678", "10812345678", "23812345678",
		"8613812345678",    // 86 without + or 00
		"+13812345678",     // + without 86
		"+8513812345678",   // other country code
		"+008613812345678", // + and 00
		"0013812345678",
		"138 1234 567a", "(138)12345678", "138.1234.5678", "1381234567８9", "138\x001234 5678",
		"+86+8613812345678", "13812345678+", "+86 ", strings.Repeat("1", 100),
		"\xff13812345678",
	}
	for _, in := range bad {
		got, err := pii.NormalizePhone(in)
		if !errors.Is(err, pii.ErrInvalidPhone) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want ErrInvalidPhone", in, got, err)
			continue
		}
		if errs.KindOf(err) != errs.Invalid || strings.Contains(err.Error(), "1381234") {
			t.Errorf("NormalizePhone(%q): error %q is not a clean user error", in, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	ok := []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"  Alice@Example.COM\n", "alice@example.com"},
		{"a.b+tag@sub.example.cn", "a.b+tag@sub.example.cn"},
		{"张三@例子.中国", "张三@例子.中国"},
		{"ÄBC@Example.de", "äbc@example.de"},
	}
	for _, tt := range ok {
		got, err := pii.NormalizeEmail(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	bad := []string{
		"", "  ", "alice", "@example.com", "alice@", "a@b@c", "al ice@example.com", "alice@exa\tmple.com",
		"alice@example.com\x00", "\xffalice@example.com", strings.Repeat("a", 250) + "@b.cn",
	}
	for _, in := range bad {
		if got, err := pii.NormalizeEmail(in); !errors.Is(err, pii.ErrInvalidEmail) || errs.KindOf(err) != errs.Invalid {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want ErrInvalidEmail", in, got, err)
		}
	}
}

func TestBlindIndexZeroValuePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Sum on a zero BlindIndex did not panic")
		}
	}()
	new(pii.BlindIndex).Sum(pii.KindPhone, "13812345678")
}
