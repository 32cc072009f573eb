package pii

import (
	"strings"
	"unicode/utf8"
)

// opaqueMask stands for a value whose shape Mask does not recognise; it is
// fixed so that not even the length shows.
const opaqueMask = "******"

// MaskPhone shows a mainland mobile number as its first 3 and last 4 digits
// ("138****5678"), whatever spelling NormalizePhone accepts. Any other input
// is masked entirely except its last 2 characters when it has at least 7.
func MaskPhone(s string) string {
	if p, err := NormalizePhone(s); err == nil {
		return p[:3] + "****" + p[7:]
	}
	return maskKeepLast(strings.TrimSpace(s), 7)
}

// MaskEmail keeps the domain and the first character of the local part,
// replacing the rest of the local part by a fixed "***" ("a***@example.com");
// a one-character local part is hidden too. Input without '@' is masked
// entirely, one '*' per character.
func MaskEmail(s string) string {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return stars(utf8.RuneCountInString(s))
	}
	local, domain := s[:at], s[at+1:]
	if utf8.RuneCountInString(local) < 2 {
		return "***@" + domain
	}
	first, _ := utf8.DecodeRuneInString(local)
	return string(first) + "***@" + domain
}

// MaskIDNumber keeps the first 4 and last 4 characters of an 18-character
// resident ID number ("1101**********8515"). Any other input is masked
// entirely except its last 2 characters when it has at least 8.
func MaskIDNumber(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) == 18 {
		return string(r[:4]) + stars(10) + string(r[14:])
	}
	return maskKeepLast(s, 8)
}

// MaskName keeps the first character of a name and masks each of the others
// ("张三丰" → "张**"); a one-character name is masked entirely.
func MaskName(s string) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n < 2 {
		return stars(n)
	}
	first, _ := utf8.DecodeRuneInString(s)
	return string(first) + stars(n-1)
}

// Mask masks a value of unknown kind by its shape: a mainland mobile number
// as MaskPhone, anything with '@' as MaskEmail, 17 digits and a digit or X as
// MaskIDNumber, the empty string as itself, and anything else as "******".
// Where the kind is known, the specific function shows more.
func Mask(s string) string {
	switch {
	case s == "":
		return ""
	case isPhone(s):
		return MaskPhone(s)
	case strings.Contains(s, "@"):
		return MaskEmail(s)
	case looksLikeIDNumber(strings.TrimSpace(s)):
		return MaskIDNumber(s)
	}
	return opaqueMask
}

func isPhone(s string) bool {
	_, err := NormalizePhone(s)
	return err == nil
}

func looksLikeIDNumber(s string) bool {
	if len(s) != 18 {
		return false
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	c := s[17]
	return '0' <= c && c <= '9' || c == 'X' || c == 'x'
}

// maskKeepLast masks every character of s but the last 2, or all of them
// when s has fewer than minLen characters.
func maskKeepLast(s string, minLen int) string {
	r := []rune(s)
	if len(r) < minLen {
		return stars(len(r))
	}
	return stars(len(r)-2) + string(r[len(r)-2:])
}

func stars(n int) string { return strings.Repeat("*", n) }
