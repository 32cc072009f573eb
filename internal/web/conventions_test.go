package web_test

import (
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/web"
)

type cursorKey struct {
	CreatedAt int64  `json:"c"`
	ID        string `json:"i"`
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	in := cursorKey{CreatedAt: 1_780_000_000_000, ID: "0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"}
	s, err := web.EncodeCursor(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base64.RawURLEncoding.DecodeString(s); err != nil {
		t.Errorf("cursor %q is not unpadded base64url: %v", s, err)
	}
	var out cursorKey
	if err := web.DecodeCursor(s, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("round trip: %+v, want %+v", out, in)
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	t.Parallel()
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	long := make([]byte, 2000)
	for i := range long {
		long[i] = 'A'
	}
	tests := []struct{ name, cursor string }{
		{"empty", ""},
		{"not base64url", "!!!"},
		{"padded std base64", base64.StdEncoding.EncodeToString([]byte(`{"c":1}`)) + "=="},
		{"not json", enc("hello")},
		{"json array", enc(`[1,2]`)},
		{"unknown field", enc(`{"c":1,"x":2}`)},
		{"wrong type", enc(`{"c":"one"}`)},
		{"trailing data", enc(`{"c":1}{}`)},
		{"too long", string(long)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := cursorKey{ID: "untouched"}
			err := web.DecodeCursor(tt.cursor, &out)
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != "request.invalid_cursor" || web.StatusOf(err) != http.StatusBadRequest {
				t.Fatalf("DecodeCursor(%q) = %v, want a 400 request.invalid_cursor", tt.cursor, err)
			}
			if len(e.Fields) != 1 || e.Fields[0].Field != "query.cursor" {
				t.Errorf("fields = %+v", e.Fields)
			}
			if out.ID != "untouched" || out.CreatedAt != 0 {
				t.Errorf("v was written on failure: %+v", out)
			}
		})
	}
}

func FuzzDecodeCursor(f *testing.F) {
	good, _ := web.EncodeCursor(cursorKey{CreatedAt: 5, ID: "x"})
	for _, s := range []string{good, "", "e30", "W10", "eyJjIjoxfQ", "!!", "eyJjIjoxLCJpIjoieCJ9eyJ9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var k cursorKey
		err := web.DecodeCursor(s, &k)
		if err != nil {
			if web.StatusOf(err) != http.StatusBadRequest {
				t.Fatalf("DecodeCursor(%q): %v is not a 400", s, err)
			}
			return
		}
		// Whatever decodes re-encodes to a cursor that decodes the same.
		again, err := web.EncodeCursor(k)
		if err != nil {
			t.Fatal(err)
		}
		var k2 cursorKey
		if err := web.DecodeCursor(again, &k2); err != nil || k2 != k {
			t.Fatalf("re-encoded %q → %+v, %v; want %+v", again, k2, err, k)
		}
	})
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"25h", 25 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"2d", 48 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"0d", 0, true},
		{"-1d", -24 * time.Hour, true},
		{"+2d1h", 49 * time.Hour, true},
		{"-2h", -2 * time.Hour, true},
		{"0", 0, true},
		{"", 0, false},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"1d-1h", 0, false},
		{"1d1d", 0, false},
		{"-+1d", 0, false},
		{"25 hours", 0, false},
		{"2days", 0, false},
		{"106752d", 0, false},
		{"106751d23h59m59s", 0, false},
		{"9223372036854775807ns", math.MaxInt64, true},
	}
	for _, tt := range tests {
		got, err := web.ParseDuration(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"25h", "2d", "1d12h", "-1d", "106751d", "1d9223372036854775807ns", "+d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := web.ParseDuration(s)
		if err != nil {
			return
		}
		// Anything Go accepts, we accept the same.
		if g, gerr := time.ParseDuration(s); gerr == nil && g != d {
			t.Fatalf("ParseDuration(%q) = %v, time.ParseDuration = %v", s, d, g)
		}
	})
}
