package pii

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize is NFKC (full-width Latin and digits to ASCII, half-width kana to full-width) with
// surrounding white space trimmed. It is the form values are compared in (blind indexes,
// de-duplication, search); stored values keep what was typed (after trimming).
func Normalize(s string) string {
	return strings.TrimFunc(norm.NFKC.String(s), unicode.IsSpace)
}

// NormalizeEmail is Normalize, lower-cased.
func NormalizeEmail(s string) string { return strings.ToLower(Normalize(s)) }

// NormalizePhone keeps the digits only; a Japanese number written internationally (+81 90 …)
// becomes its domestic form (090…), so both spellings index alike.
func NormalizePhone(s string) string {
	n := Normalize(s)
	var b strings.Builder
	for _, r := range n {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if strings.HasPrefix(n, "+81") && len(d) > 2 {
		d = "0" + strings.TrimPrefix(d[2:], "0")
	}
	return d
}

// NormalizeCustomerID is Normalize: customer numbers are compared exactly, after trimming.
func NormalizeCustomerID(s string) string { return Normalize(s) }

// NormalizeNameAddress joins name and address with every space removed, for the last-resort
// dedupe key. It is "" when the name is empty.
func NormalizeNameAddress(name, address string) string {
	n := stripSpace(Normalize(name))
	if n == "" {
		return ""
	}
	return n + "\x00" + stripSpace(Normalize(address))
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
