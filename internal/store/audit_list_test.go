package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

func TestAuditCases_ShortJapaneseWordsFoundThroughTheGramIndex(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	open := func(title, desc string, drill bool) *incident.Case {
		c, err := e.svc.Open(ctx, e.actors["staff"], title, map[string]any{"initial_description": desc}, drill)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	leak := open("顧客名簿の漏洩", "営業部のUSBメモリ紛失", false)
	miss := open("請求書の誤送信", "ＦＡＸで誤送した", false)
	drill := open("訓練: 漏洩対応", "年次訓練", true)
	open("無関係な案件", "問い合わせ対応", false)
	find := func(q string, drills bool) []int64 {
		t.Helper()
		rows, err := e.db.Store.AuditCases(ctx, store.AuditFilter{Query: q, Drills: drills, Now: e.now})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		return ids
	}
	same := func(got []int64, want ...int64) bool {
		if len(got) != len(want) {
			return false
		}
		m := map[int64]bool{}
		for _, id := range got {
			m[id] = true
		}
		for _, id := range want {
			if !m[id] {
				return false
			}
		}
		return true
	}
	for _, tc := range []struct {
		q      string
		drills bool
		want   []int64
	}{
		{"漏洩", false, []int64{leak.ID}},
		{"漏洩", true, []int64{leak.ID, drill.ID}},
		{"誤送", false, []int64{miss.ID}},
		{"誤", false, []int64{miss.ID}},
		{"誤送信", false, []int64{miss.ID}},
		{"fax", false, []int64{miss.ID}}, // full-width ＦＡＸ in the text, NFKC + lower case
		{"ＵＳＢ", false, []int64{leak.ID}}, // full-width query, half-width text
		{"漏洩 USB", false, []int64{leak.ID}},
		{"漏洩 請求書", false, nil},
		{leak.Number, false, []int64{leak.ID}},
		{"送誤", false, nil}, // the pairs must be adjacent in that order
		{"%", false, nil},
	} {
		if got := find(tc.q, tc.drills); !same(got, tc.want...) {
			t.Errorf("search %q (drills %v): %v, want %v", tc.q, tc.drills, got, tc.want)
		}
	}
	// The plan uses the gram index for a two-character word.
	conn, err := e.db.Store.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	rows, err := conn.Query(ctx, `EXPLAIN SELECT id FROM cases c WHERE c.search_grams @> leakdesk_query_grams($1)
		AND strpos(leakdesk_search_norm(c.search_text), $1) > 0`, "漏洩")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		rows.Scan(&line)
		plan.WriteString(line + "\n")
	}
	if !strings.Contains(plan.String(), "cases_search_grams_idx") {
		t.Fatalf("the search does not use the gram index:\n%s", plan.String())
	}
	conn.Exec(ctx, `RESET enable_seqscan`)
}

func TestAuditCases_FiltersAndKeysetPages(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	full := e.auditStory("USBメモリ紛失", false, nil)
	var ids []int64
	for i := 0; i < 4; i++ {
		c, err := e.svc.Open(ctx, e.actors["staff"], "軽微な誤送信", map[string]any{"suspected_route": "email_missend",
			"recognized_at": "2026-06-01T10:00", "reported_to_soumu_at": "2026-06-01T10:05", "estimated_count_max": 3}, i == 3)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	list := func(f store.AuditFilter) []store.AuditCaseRow {
		t.Helper()
		f.Now = e.now
		rows, err := e.db.Store.AuditCases(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	if got := list(store.AuditFilter{}); len(got) != 4 {
		t.Fatalf("default list (drills hidden): %d rows", len(got))
	}
	if got := list(store.AuditFilter{Drills: true}); len(got) != 5 {
		t.Fatalf("with drills: %d rows", len(got))
	}
	if got := list(store.AuditFilter{Reportable: "yes"}); len(got) != 1 || got[0].ID != full.ID || got[0].Reportability != "reportable" {
		t.Fatalf("reportable: %+v", got)
	}
	if got := list(store.AuditFilter{Route: "email_missend"}); len(got) != 3 {
		t.Fatalf("route: %d", len(got))
	}
	if got := list(store.AuditFilter{DataItems: []string{"purchase_history"}}); len(got) != 1 || got[0].ID != full.ID {
		t.Fatalf("data items: %+v", got)
	}
	if got := list(store.AuditFilter{Status: "closed"}); len(got) != 0 {
		t.Fatalf("status closed: %+v", got)
	}
	// The full story's first internal report was late: a missed deadline.
	if got := list(store.AuditFilter{Missed: true}); len(got) != 1 || got[0].ID != full.ID || got[0].Missed == 0 {
		t.Fatalf("missed: %+v", got)
	}
	from := time.Date(2026, 5, 15, 0, 0, 0, 0, auditJST)
	if got := list(store.AuditFilter{From: from}); len(got) != 3 {
		t.Fatalf("recognised from 05-15: %d", len(got))
	}
	// Keyset pages of 2 cover every row once.
	seen := map[int64]bool{}
	f := store.AuditFilter{Drills: true, Limit: 2}
	for page := 0; page < 5; page++ {
		rows := list(f)
		for _, r := range rows {
			if seen[r.ID] {
				t.Fatalf("case %d on two pages", r.ID)
			}
			seen[r.ID] = true
		}
		if len(rows) < 2 {
			break
		}
		f.AfterCreated, f.AfterID = rows[len(rows)-1].CreatedAt, rows[len(rows)-1].ID
	}
	if len(seen) != 5 {
		t.Fatalf("pages covered %d of 5 cases", len(seen))
	}
}
