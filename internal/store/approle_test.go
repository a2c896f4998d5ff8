package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// historyTables are the append-only tables: the app role may read and append, nothing else
// (migrations/00030_app_role.sql and later grants).
var historyTables = []string{
	"case_events", "case_registry", "chain_anchors", "chain_anchor_heads", "access_log", "admin_events",
	"audit_comments", "audit_log", "document_finalisations", "case_evidence", "reminders_sent",
	"chain_checkpoints", "chain_tree_hashes",
	"approval_delegations", "person_history", "register_grants", // 00080_later_history_grants
	"case_document_editors", // 00090_document_editors
	"rule_events",           // 00160_rule_versions
}

// ownerExec runs SQL as the role that owns the tables (the one `leakdesk migrate` connects as).
func ownerExec(t testing.TB, url, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestAppRole_HistoryIsAppendOnly proves with the app's own connection that no statement that
// changes or removes history succeeds, not even the ones that would first switch the triggers off,
// and that the grants themselves (not only the triggers) refuse it: each statement must fail with
// "permission denied" or "must be owner".
func TestAppRole_HistoryIsAppendOnly(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	// Every table with an append-only trigger must be in historyTables, so a new one cannot be
	// forgotten in the grants.
	rows, err := conn.Query(ctx, `SELECT DISTINCT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
		JOIN pg_proc p ON p.oid = g.tgfoid WHERE p.proname = 'leakdesk_forbid_change' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	guarded, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	// Rows updated but never removed: the app may not DELETE or TRUNCATE them either.
	for _, tbl := range []string{"cases", "case_documents", "case_evidence_blobs", "rule_versions"} {
		for _, q := range []string{`DELETE FROM ` + tbl + ` WHERE false`, `TRUNCATE ` + tbl + ` CASCADE`} {
			if _, err := conn.Exec(ctx, q); pgCode(err) != "42501" {
				t.Errorf("%s as the app role: want permission denied (42501), got %v", q, err)
			}
		}
	}
	for _, tbl := range guarded {
		if !slices.Contains(historyTables, tbl) && tbl != "cases" && tbl != "case_documents" && tbl != "case_evidence_blobs" {
			t.Errorf("%s has an append-only trigger but is not in historyTables (grant it SELECT, INSERT only)", tbl)
		}
	}

	var super, owns bool
	if err := conn.QueryRow(ctx, `SELECT rolsuper, EXISTS (SELECT 1 FROM pg_class WHERE relowner = r.oid)
		FROM pg_roles r WHERE rolname = current_user`).Scan(&super, &owns); err != nil {
		t.Fatal(err)
	}
	if super || owns {
		t.Fatalf("the app role is superuser=%v, owns tables=%v", super, owns)
	}
	for _, tbl := range historyTables {
		var sel, ins bool
		if err := conn.QueryRow(ctx, `SELECT has_table_privilege($1, 'SELECT'), has_table_privilege($1, 'INSERT')`, tbl).Scan(&sel, &ins); err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		if !sel || !ins {
			t.Errorf("%s: the app role lacks SELECT (%v) or INSERT (%v)", tbl, sel, ins)
		}
		for _, q := range []string{
			`UPDATE ` + tbl + ` SET ctid = ctid WHERE false`,
			`DELETE FROM ` + tbl + ` WHERE false`,
			`TRUNCATE ` + tbl + ` CASCADE`,
			`ALTER TABLE ` + tbl + ` DISABLE TRIGGER ALL`,
			`ALTER TABLE ` + tbl + ` DISABLE TRIGGER USER`,
			`DROP TABLE ` + tbl + ` CASCADE`,
			`SET session_replication_role = replica`,
		} {
			if q == `UPDATE `+tbl+` SET ctid = ctid WHERE false` {
				// ctid cannot be assigned; any real column works for the privilege check, but not an
				// identity column (GENERATED ALWAYS refuses the assignment before privileges are asked).
				var col string
				if err := conn.QueryRow(ctx, `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0
					AND NOT attisdropped AND attidentity = '' AND attgenerated = '' ORDER BY attnum LIMIT 1`, tbl).Scan(&col); err != nil {
					t.Fatal(err)
				}
				q = `UPDATE ` + tbl + ` SET ` + col + ` = ` + col + ` WHERE false`
			}
			_, err := conn.Exec(ctx, q)
			if err == nil {
				t.Errorf("%s succeeded as the app role", q)
				continue
			}
			// Only the grants answer: a WHERE false statement never reaches a row trigger.
			if code := pgCode(err); code != "42501" {
				t.Errorf("%s: want permission denied (42501), got %v", q, err)
			}
		}
	}
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// TestHistoryRights: serve's warning names a role that could rewrite history, and is silent for the
// app role.
func TestHistoryRights(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	if why, err := db.Store.HistoryRights(ctx); err != nil || why != "" {
		t.Fatalf("app role: %q, %v", why, err)
	}
	for _, tc := range []struct{ url, want string }{{db.OwnerURL, "owns the tables"}, {db.SuperURL, "superuser"}} {
		st, err := store.Open(ctx, tc.url)
		if err != nil {
			t.Fatal(err)
		}
		why, err := st.HistoryRights(ctx)
		st.Close()
		if err != nil || !strings.Contains(why, tc.want) {
			t.Errorf("%s: %q, %v; want %q", tc.url, why, err, tc.want)
		}
	}
}
