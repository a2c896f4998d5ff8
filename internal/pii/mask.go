package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The masks below show just enough to tell rows apart (family name, last four digits of a phone,
// first letter and domain of an e-mail) to users whose role may not see personal data.

// MaskName keeps the family name when the name is written with a space ("山田 太郎" → "山田 **"),
// otherwise the first character ("山田太郎" → "山**").
func MaskName(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if i := strings.IndexFunc(s, unicode.IsSpace); i > 0 {
		return s[:i] + " **"
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + "**"
}

// MaskPhone keeps the last four digits: "***-****-1234".
func MaskPhone(s string) string {
	d := NormalizePhone(s)
	if d == "" {
		return ""
	}
	if len(d) < 6 {
		return "***-****-****"
	}
	return "***-****-" + d[len(d)-4:]
}

// MaskEmail keeps the first character and the domain: "t***@example.jp".
func MaskEmail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + "***" + s[at:]
}

// MaskPostal hides the whole postal code.
func MaskPostal(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return "***-****"
}

// MaskAddress keeps the prefecture when the address starts with one ("東京都 ****").
func MaskAddress(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	runes := []rune(s)
	for i := 1; i < len(runes) && i < 4; i++ {
		switch runes[i] {
		case '都', '道', '府', '県':
			return string(runes[:i+1]) + " ****"
		}
	}
	return "****"
}

// MaskCustomerID keeps the last three characters of a long ID.
func MaskCustomerID(s string) string {
	r := []rune(strings.TrimSpace(s))
	switch {
	case len(r) == 0:
		return ""
	case len(r) <= 6:
		return "****"
	}
	return "****" + string(r[len(r)-3:])
}
