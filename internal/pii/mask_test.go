package pii_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"yuanxu/internal/pii"
)

func TestMasks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fn   func(string) string
		in   string
		want string
	}{
		{"Phone", pii.MaskPhone, "13812345678", "138****5678"},
		{"PhoneSpelled", pii.MaskPhone, "+86 138-1234-5678", "138****5678"},
		{"PhoneFullWidth", pii.MaskPhone, "１３８１２３４５６７８", "138****5678"},
		{"PhoneForeign", pii.MaskPhone, "4155550100", "********00"},
		{"PhoneShort", pii.MaskPhone, "12345", "*****"},
		{"PhoneEmpty", pii.MaskPhone, "", ""},
		{"Email", pii.MaskEmail, "alice@example.com", "a***@example.com"},
		{"EmailTwoChars", pii.MaskEmail, "al@example.com", "a***@example.com"},
		{"EmailOneChar", pii.MaskEmail, "a@example.com", "***@example.com"},
		{"EmailChinese", pii.MaskEmail, "张三丰@例子.中国", "张***@例子.中国"},
		{"EmailNoAt", pii.MaskEmail, "alice", "*****"},
		{"EmailEmptyLocal", pii.MaskEmail, "@example.com", "***@example.com"},
		{"EmailEmpty", pii.MaskEmail, "", ""},
		{"ID", pii.MaskIDNumber, "110101199003078515", "1101**********8515"},
		{"IDWithX", pii.MaskIDNumber, "11010119900307851X", "1101**********851X"},
		{"IDSpaces", pii.MaskIDNumber, " 110101199003078515 ", "1101**********8515"},
		{"ID15", pii.MaskIDNumber, "110101900307851", "*************51"},
		{"IDShort", pii.MaskIDNumber, "1101011", "*******"},
		{"IDEight", pii.MaskIDNumber, "11010119", "******19"},
		{"IDRunes", pii.MaskIDNumber, "一二三四五六七八九十一二三四五六七八", "一二三四**********五六七八"},
		{"IDEmpty", pii.MaskIDNumber, "", ""},
		{"Name", pii.MaskName, "张三丰", "张**"},
		{"NameTwo", pii.MaskName, "张三", "张*"},
		{"NameOne", pii.MaskName, "张", "*"},
		{"NameLatin", pii.MaskName, "Alice", "A****"},
		{"NameEmoji", pii.MaskName, "😀😀", "😀*"},
		{"NameEmpty", pii.MaskName, "", ""},
		{"MaskPhone", pii.Mask, "13812345678", "138****5678"},
		{"MaskEmail", pii.Mask, "alice@example.com", "a***@example.com"},
		{"MaskID", pii.Mask, "110101199003078515", "1101**********8515"},
		{"MaskIDLowerX", pii.Mask, "11010119900307851x", "1101**********851x"},
		{"MaskName", pii.Mask, "张三丰", "******"},
		{"MaskPassword", pii.Mask, "hunter2hunter2", "******"},
		{"MaskEmpty", pii.Mask, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.fn(tt.in); got != tt.want {
				t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestSecretNeverLeaks prints, encodes and logs Secrets every ordinary way
// and checks that only the masked form comes out.
func TestSecretNeverLeaks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		secret pii.Secret
		masked string
		leaks  []string // substrings of the plaintext that must not appear
	}{
		{"Phone", "13812345678", "138****5678", []string{"1381234", "12345678"}},
		{"Email", "alice@example.com", "a***@example.com", []string{"alice"}},
		{"ID", "110101199003078515", "1101**********8515", []string{"19900307", "0101199"}},
		{"Opaque", "张三丰 hunter2", "******", []string{"三丰", "hunter2"}},
	}
	type exported struct {
		Phone pii.Secret
		Ptr   *pii.Secret
		Any   any
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.secret
			var outs []string
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-8v"} {
				outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, &s), fmt.Sprintf(verb, exported{s, &s, s}))
				outs = append(outs, fmt.Sprintf(verb, []pii.Secret{s}), fmt.Sprintf(verb, map[string]pii.Secret{"k": s}))
			}
			outs = append(outs, fmt.Sprint(s), fmt.Sprintln(s), s.String(), s.GoString(), fmt.Errorf("wrap: %w %v", errTest, s).Error())

			// Not map keys: encoding/json writes string-kind keys as they are
			// (a documented limit of Secret).
			for _, v := range []any{s, &s, exported{s, &s, s}, map[string]pii.Secret{"k": s}} {
				b, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, string(b))
			}
			x, err := xml.Marshal(xmlDoc{P: s})
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, string(x))

			var buf bytes.Buffer
			for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
				l := slog.New(h)
				l.Info("login", "phone", s, "ptr", &s, "struct", exported{s, &s, s}, slog.Any("any", s))
				l.Info("group", slog.Group("g", "p", s))
				l.With("phone", s).Info("with")
			}
			outs = append(outs, buf.String())

			for _, out := range outs {
				for _, leak := range tt.leaks {
					if strings.Contains(out, leak) {
						t.Errorf("output leaks %q: %s", leak, out)
					}
				}
			}
			if got := fmt.Sprint(s); got != tt.masked {
				t.Errorf("Sprint = %q, want %q", got, tt.masked)
			}
			if got := fmt.Sprintf("%#v", s); got != fmt.Sprintf("pii.Secret(%q)", tt.masked) {
				t.Errorf("%%#v = %s", got)
			}
			if got := fmt.Sprintf("%q", s); got != fmt.Sprintf("%q", tt.masked) {
				t.Errorf("%%q = %s", got)
			}
			if b, _ := json.Marshal(s); string(b) != fmt.Sprintf("%q", tt.masked) {
				t.Errorf("json = %s", b)
			}
			if !strings.Contains(buf.String(), tt.masked) {
				t.Errorf("log lacks the masked form %q:\n%s", tt.masked, buf.String())
			}
			if s.Reveal() != string(tt.secret) {
				t.Errorf("Reveal = %q", s.Reveal())
			}
		})
	}
}

var errTest = fmt.Errorf("test")

type xmlDoc struct{ P pii.Secret }

func TestSecretDecodesPlain(t *testing.T) {
	t.Parallel()
	var req struct {
		Phone pii.Secret `json:"phone"`
		Email pii.Secret `json:"email,omitzero"`
	}
	if err := json.Unmarshal([]byte(`{"phone":"13812345678"}`), &req); err != nil {
		t.Fatal(err)
	}
	if req.Phone.Reveal() != "13812345678" || !req.Email.IsZero() {
		t.Fatalf("decoded %q, %q", req.Phone.Reveal(), req.Email.Reveal())
	}
	b, err := json.Marshal(req)
	if err != nil || string(b) != `{"phone":"138****5678"}` {
		t.Fatalf("encoded %s, %v", b, err)
	}
}
