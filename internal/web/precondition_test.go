package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// preconditionRoute: every route that writes the case itself (caseWriteRoute: it adds events)
// plus asking for a document's finalisation, which is an approval request on the case.
func preconditionRoute(route string) bool {
	return caseWriteRoute(route) || strings.HasSuffix(route, "/documents/{kind}/finalise")
}

// TestPrecondition_EveryCaseWrite holds every write to a case, page and API, to one rule: the
// version the writer saw is required (the form's hidden version, If-Match on the API), a write
// without it is 428, a stale one 409, and neither changes the case; the same body with the current
// version succeeds. The routes come from the router, the bodies from the authorisation matrix.
func TestPrecondition_EveryCaseWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("database test")
	}
	env := newAuthzEnv(t)
	h := env.h
	checked := 0
	for _, key := range walkRoutes(t, h) {
		method, route, _ := strings.Cut(key, " ")
		if method == http.MethodGet || !preconditionRoute(route) {
			continue
		}
		rw, ok := authzTable[key]
		if !ok {
			t.Errorf("%s: no row in authzTable", key)
			continue
		}
		col := -1
		for c := colStaff; c < nCols; c++ {
			if rw.want[c] < 400 {
				col = c
				break
			}
		}
		if col < 0 {
			t.Errorf("%s: no column of authzTable may write it", key)
			continue
		}
		checked++
		for _, tc := range []struct {
			name      string
			versionAs func(int64) string
			want      int
		}{
			{"without a version", func(int64) string { return "" }, http.StatusPreconditionRequired},
			{"with a stale version", func(v int64) string { return itoa(v - 1) }, http.StatusConflict},
			{"with the current version", nil, 0},
		} {
			e := &cellEnv{env: env, t: t, col: authzColumns[col], colIdx: col, otherID: env.users[colOther].ID, seq: env.seq,
				email: env.users[col].Email, password: testPassword, versionAs: tc.versionAs}
			e.caseID, e.requestID, e.personID, e.personVersion = env.fixture(t, rw.fix)
			e.recordID, e.recordVersion, e.evidenceID = env.lastRecord, env.lastRecordVersion, env.lastEvidence
			v := env.victim(t)
			e.victimID, e.victimVersion, e.seq = v.ID, v.Version, env.seq
			path := authzFillPath(t, route, e)
			before := caseVersion(t, h, e.caseID)
			r := env.send(t, col, method, path, rw, e)
			after := caseVersion(t, h, e.caseID)
			what := key + " [" + authzColumns[col] + "] " + tc.name
			if tc.want == 0 {
				if r.Status >= 400 || after == before {
					t.Errorf("%s: status %d, version %d → %d; want success and a new version; body: %.300s", what, r.Status, before, after, strings.TrimSpace(stripTags(r.Body)))
				}
				continue
			}
			if r.Status != tc.want {
				t.Errorf("%s: status %d, want %d; body: %.300s", what, r.Status, tc.want, strings.TrimSpace(stripTags(r.Body)))
			}
			if after != before {
				t.Errorf("%s: refused but the case changed from version %d to %d", what, before, after)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d case write routes found: the enumeration is broken", checked)
	}
}
