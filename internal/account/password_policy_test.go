package account_test

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"unicode"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	ctx := account.PasswordContext{Email: "Zhang.San2000@Example.com", Phone: "+86 138-1234-5678"}
	tests := []struct {
		name, pw string
		pc       account.PasswordContext
		code     string // "" if accepted
		rule     string
	}{
		{"Passphrase", "correct horse battery staple", ctx, "", ""},
		{"ChineseAndDigits", "我的猫叫咪咪2024年生", ctx, "", ""},
		{"ExactlyMin", "k7#Lq9!vZ2", ctx, "", ""},
		{"TooShort", "k7#Lq9!vZ", ctx, account.CodePasswordTooShort, "min_length"},
		{"ShortInRunes", "密码密码密码密码密", ctx, account.CodePasswordTooShort, "min_length"},
		{"Max", strings.Repeat("ab", 64), ctx, "", ""},
		{"TooLong", strings.Repeat("ab", 64) + "c", ctx, account.CodePasswordTooLong, "max_length"},
		{"WayTooLong", strings.Repeat("x", 5000), ctx, account.CodePasswordTooLong, "max_length"},
		{"Common", "password123", ctx, account.CodePasswordCommon, "not_common"},
		{"CommonUpper", "PASSWORD123", ctx, account.CodePasswordCommon, "not_common"},
		{"CommonMixed", "QwertyUiop", ctx, account.CodePasswordCommon, "not_common"},
		{"CommonFullWidth", "ｑｗｅｒｔｙｕｉｏｐ", ctx, account.CodePasswordCommon, "not_common"},
		{"CommonPinyin", "woaini1314520", ctx, account.CodePasswordCommon, "not_common"},
		{"CommonLucky", "5201314520", ctx, account.CodePasswordCommon, "not_common"},
		{"CommonKeyboard", "1qaz2wsx3edc", ctx, account.CodePasswordCommon, "not_common"},
		{"CommonNameYear", "zhangwei1990", ctx, account.CodePasswordCommon, "not_common"},
		{"Repeated", "mmmmmmmmmmmm", ctx, account.CodePasswordTooSimple, "not_simple"},
		{"Ascending", "abcdefghijklmn", ctx, account.CodePasswordTooSimple, "not_simple"},
		{"Descending", "zyxwvutsrqpo", ctx, account.CodePasswordTooSimple, "not_simple"},
		{"Email", "zhang.san2000@example.com", ctx, account.CodePasswordIdentifier, "not_identifier"},
		{"EmailLocalPart", "Zhang.San2000", ctx, account.CodePasswordIdentifier, "not_identifier"},
		{"Phone", "13812345678", ctx, account.CodePasswordIdentifier, "not_identifier"},
		{"PhonePlus86", "+8613812345678", ctx, account.CodePasswordIdentifier, "not_identifier"},
		{"PhoneAsTyped", "+86 138-1234-5678", ctx, account.CodePasswordIdentifier, "not_identifier"},
		{"NoContext", "zhang.san2000@example.com", account.PasswordContext{}, "", ""},
		{"InvalidUTF8", "abcdefghij\xff", ctx, account.CodePasswordEncoding, "encoding"},
		{"Control", "abcdefghij\x00k", ctx, account.CodePasswordEncoding, "encoding"},
		{"Newline", "a good pass\nphrase", ctx, account.CodePasswordEncoding, "encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := account.CheckPassword(tt.pw, tt.pc)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *errs.Error
			if !asErr(err, &e) || e.Kind != errs.Invalid || e.Code != tt.code || len(e.Fields) != 1 ||
				e.Fields[0].Field != "body.password" || e.Fields[0].Rule != tt.rule {
				t.Fatalf("CheckPassword = %#v, want %s/%s", err, tt.code, tt.rule)
			}
			if strings.Contains(e.Error(), tt.pw) {
				t.Error("error echoes the password")
			}
		})
	}
}

func TestPasswordPolicyParams(t *testing.T) {
	t.Parallel()
	if account.DefaultPasswordPolicy.MinLength != 10 || account.MinPasswordLength != 10 || account.DefaultPasswordPolicy.MaxLength != 128 {
		t.Fatalf("DefaultPasswordPolicy = %+v", account.DefaultPasswordPolicy)
	}
	err := account.DefaultPasswordPolicy.Check("short", account.PasswordContext{Field: "body.new_password"})
	var e *errs.Error
	if !asErr(err, &e) || e.Fields[0].Field != "body.new_password" || e.Fields[0].Params["min"] != 10 {
		t.Errorf("custom field: %#v", err)
	}
	strict := account.PasswordPolicy{MinLength: 16}
	if err := strict.Check("fifteen chars!!", account.PasswordContext{}); errs.CodeOf(err) != account.CodePasswordTooShort {
		t.Errorf("MinLength 16: %v", err)
	}
	// A lowered minimum still refuses short common passwords.
	lax := account.PasswordPolicy{MinLength: 6}
	if err := lax.Check("123456", account.PasswordContext{}); errs.CodeOf(err) != account.CodePasswordCommon {
		t.Errorf("MinLength 6, 123456: %v", err)
	}
}

// TestCommonPasswordList: the shipped list is large enough, clean, and
// every entry is refused.
func TestCommonPasswordList(t *testing.T) {
	t.Parallel()
	if n := account.CommonPasswordCount(); n < 1000 {
		t.Fatalf("only %d common passwords", n)
	}
	f, err := os.Open("common_passwords.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if strings.HasPrefix(s, "#") {
			continue
		}
		if s == "" || s != strings.ToLower(s) || strings.ContainsFunc(s, unicode.IsSpace) {
			t.Errorf("line %d: %q is not a clean lower-case entry", line, s)
		}
		if prev, dup := seen[s]; dup {
			t.Errorf("line %d: %q repeats line %d", line, s, prev)
		}
		seen[s] = line
		if !account.IsCommonPassword(strings.ToUpper(s)) {
			t.Errorf("line %d: %q not refused", line, s)
		}
	}
	for _, must := range []string{"123456", "password", "qwerty", "iloveyou", "woaini1314", "5201314", "aa123456", "zxcvbnm", "1qaz2wsx", "woaini"} {
		if !account.IsCommonPassword(must) {
			t.Errorf("%q missing", must)
		}
	}
	if account.IsCommonPassword("correct horse battery staple") {
		t.Error("a passphrase is listed")
	}
}
