package pii

import (
	"strconv"
	"strings"
)

// IndexText is the blind-index domain of the character pairs of a person's name, kana and
// address: what lets the register be searched for part of a name ("1子") or of an address
// ("(株)") without its plaintext in the database.
const IndexText = "text"

// textGramLen is how many bytes of each pair's HMAC are kept: the index only selects candidates,
// and every candidate is decrypted and compared again (MatchText), so a rare collision costs one
// decryption, never a wrong result, and the index stays a quarter of the size.
const textGramLen = 8

// SearchNorm is the form a search compares: Normalize (NFKC: ① → 1, ㈱ → (株), ３ → 3),
// lower-cased, with every white space removed, so "森 ①子" and "森1子" are the same text.
func SearchNorm(s string) string { return stripSpace(strings.ToLower(Normalize(s))) }

// TextGrams returns the distinct pairs of adjacent characters of SearchNorm of each part (pairs
// never span two parts). A search term of fewer than two characters has no pairs.
func TextGrams(parts ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range parts {
		r := []rune(SearchNorm(p))
		for i := 0; i+1 < len(r); i++ {
			g := string(r[i : i+2])
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out
}

// TextIndex is the blind index of each gram, scoped to one case (the same pair in two cases
// indexes differently, so the index does not link registers). nil when there are no grams.
func (k *Key) TextIndex(caseID int64, grams []string) [][]byte {
	if len(grams) == 0 {
		return nil
	}
	scope := strconv.FormatInt(caseID, 10) + "\x00"
	out := make([][]byte, len(grams))
	for i, g := range grams {
		out[i] = k.BlindIndex(IndexText, scope+g)[:textGramLen]
	}
	return out
}

// MatchText reports whether q (SearchNorm'd by the caller or not) is part of any of the values,
// compared in SearchNorm form: the exact check behind the text index.
func MatchText(q string, values ...string) bool {
	n := SearchNorm(q)
	if n == "" {
		return false
	}
	for _, v := range values {
		if strings.Contains(SearchNorm(v), n) {
			return true
		}
	}
	return false
}
