package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/testdb"
)

// quadraticGrams is the first definition of leakdesk_grams (migration 00006) plus the ASCII 3- and
// 4-grams of 00011, written the plain way (substr at every position), kept here as the reference
// the linear one must agree with.
const quadraticGrams = `SELECT ARRAY(
	SELECT DISTINCT g FROM (
		SELECT substr(s, i, 1) AS g FROM (SELECT leakdesk_search_norm($1) AS s) n, generate_series(1, char_length(s)) i
		UNION ALL
		SELECT substr(s, i, 2) FROM (SELECT leakdesk_search_norm($1) AS s) n, generate_series(1, char_length(s) - 1) i
		UNION ALL
		SELECT substr(s, i, k) FROM (SELECT leakdesk_search_norm($1) AS s) n, generate_series(3, 4) k,
			generate_series(1, char_length(s) - k + 1) i WHERE substr(s, i, k) ~ '^[!-~]+$'
	) x
	WHERE g !~ '[[:space:]]'
	ORDER BY g)`

func TestSearchGrams_LinearMatchesTheFirstDefinition(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	inputs := []string{"", "a", " ", "漏洩", "顧客リストの誤送信 USB メモリ\t紛失\n", "ＡＢＣ ①髙﨑～", "😀👨‍👩‍👧 x", "a  b", "\u202Eabc\u202C",
		"e\u0301 café", strings.Repeat("長ｱ ", 300), "<script>alert(1)</script>", "ab", "abc", "abcd", "R-495582",
		"PPC-46122 受付 ＲＡ-１２３", "顧客17827名", "a1b2 c3d4e", "2026-0001\n顧客情報の漏洩（USBメモリの紛失）", "x\ty\nz"}
	for _, in := range inputs {
		var want, got []string
		if err := db.Store.Pool.QueryRow(ctx, quadraticGrams, in).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.Pool.QueryRow(ctx, `SELECT leakdesk_grams($1)`, in).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(want, got) {
			t.Errorf("%.40q: grams differ\nfirst:  %q\nlinear: %q", in, want, got)
		}
	}
	// The size that took minutes before: it must simply complete with the right set.
	var n int
	if err := db.Store.Pool.QueryRow(ctx, `SELECT cardinality(leakdesk_grams($1))`, strings.Repeat("長", 9_000)+strings.Repeat("ｱ", 1_000)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 5 { // 長, ア (NFKC), 長長, 長ア, アア
		t.Fatalf("10 000-character text: %d grams, want 5", n)
	}
}

// TestSearchGrams_QueryNarrowsASCII pins what the index can tell apart (migration 00011): a short
// ASCII/digit term must not make every case with the same characters a candidate, while a real
// occurrence — also after NFKC (full-width digits) — always is one. The strpos recheck keeps the
// search exact either way; this is about how many rows reach it.
func TestSearchGrams_QueryNarrowsASCII(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	tests := []struct {
		text, query string
		candidate   bool
	}{
		// r-, -0 and 00 are all here (the pairs alone made it a candidate); -00 is not.
		{"受理番号 R-049558、顧客10000名", "R-0000", false},
		{"受理番号 R-000012", "R-0000", true},
		{"受理番号 Ｒ－０００００１", "r-0000", true},
		{"PPC-46122", "PPC-4612", true},
		{"PPC-46122 と R-612", "PPC-612", false},
		{"顧客情報の漏洩", "漏洩", true},
		{"顧客情報の漏れ", "漏洩", false},
		{"USB", "U", true},
		{"US", "USB", false},
	}
	// Only a term's longest grams go to the index (migration 00014): the parts of a longer gram
	// are implied by it and their posting lists are the longest.
	for q, want := range map[string][]string{"R-0000": {"-000", "0000", "r-00"}, "漏洩": {"漏洩"}, "abc": {"abc"},
		"誤送信": {"誤送", "送信"}, "R-1号": {"1号", "r-1"}, "U": {"u"}} {
		var got []string
		if err := db.Store.Pool.QueryRow(ctx, `SELECT leakdesk_query_grams($1)`, q).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("query grams of %q: %q, want %q", q, got, want)
		}
	}
	for _, tt := range tests {
		var got bool
		if err := db.Store.Pool.QueryRow(ctx, `SELECT leakdesk_grams($1) @> leakdesk_query_grams($2)`, tt.text, tt.query).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.candidate {
			t.Errorf("text %q, query %q: candidate = %v, want %v", tt.text, tt.query, got, tt.candidate)
		}
	}
}
