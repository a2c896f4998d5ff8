package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/testdb"
)

// quadraticGrams is the first definition of leakdesk_grams (migration 00006), kept here as the
// reference the linear one (00007) must agree with.
const quadraticGrams = `SELECT ARRAY(
	SELECT DISTINCT g FROM (
		SELECT substr(s, i, 1) AS g FROM (SELECT leakdesk_search_norm($1) AS s) n, generate_series(1, char_length(s)) i
		UNION ALL
		SELECT substr(s, i, 2) FROM (SELECT leakdesk_search_norm($1) AS s) n, generate_series(1, char_length(s) - 1) i
	) x
	WHERE g !~ '[[:space:]]'
	ORDER BY g)`

func TestSearchGrams_LinearMatchesTheFirstDefinition(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	inputs := []string{"", "a", " ", "漏洩", "顧客リストの誤送信 USB メモリ\t紛失\n", "ＡＢＣ ①髙﨑～", "😀👨‍👩‍👧 x", "a  b", "\u202Eabc\u202C",
		"e\u0301 café", strings.Repeat("長ｱ ", 300), "<script>alert(1)</script>"}
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
