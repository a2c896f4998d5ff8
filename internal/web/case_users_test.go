package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// A user id that names no account, as the case's handler or as someone involved, is bad input: 422
// naming user_id (the Japanese message on the page, problem+json on the API) and nothing written.
// Before, the owner was a foreign-key failure (500) and the involvement was stored as given.
func TestCaseUsers_UnknownUserIs422NothingWritten(t *testing.T) {
	f := newAuditFixture(t)
	h := f.h
	ctx := context.Background()
	var ghost int64
	if err := h.db.Store.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1000 FROM users`).Scan(&ghost); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(f.c.ID, 10)
	base := "/api/v1/cases/" + id
	v := func() string { return strconv.FormatInt(f.version(t), 10) }
	before := f.version(t)
	events := func() int {
		var n int
		if err := h.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_id = $1`, f.c.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	n0 := events()

	for _, tc := range []struct {
		name, method, path, token, body string
	}{
		{"API owner", http.MethodPut, base + "/owner", h.token("staff"), `{"user_id":` + strconv.FormatInt(ghost, 10) + `}`},
		{"API involved", http.MethodPost, base + "/involved", h.token("manager"), `{"user_id":` + strconv.FormatInt(ghost, 10) + `,"reason":"送信者"}`},
	} {
		r := h.api(tc.method, tc.path, tc.token, tc.body, "If-Match", v())
		if r.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") ||
			!strings.Contains(r.Body, `"field":"user_id"`) {
			t.Errorf("%s: %d %s %s, want 422 problem+json naming user_id", tc.name, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
	for _, tc := range []struct {
		name, user, path string
		form             url.Values
	}{
		{"page owner", "staff", "/cases/" + id + "/owner", url.Values{"user_id": {strconv.FormatInt(ghost, 10)}}},
		{"page involved", "manager", "/cases/" + id + "/involved", url.Values{"user_id": {strconv.FormatInt(ghost, 10)}, "involved": {"true"}, "reason": {"送信者"}}},
	} {
		c := h.client().loginAs(tc.user)
		tc.form.Set("version", v())
		r := c.postForm("/cases/"+id, tc.path, tc.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "そのユーザーは登録されていません。") {
			t.Errorf("%s: %d, want 422 with the Japanese message", tc.name, r.Status)
		}
	}
	if f.version(t) != before || events() != n0 {
		t.Errorf("something was written: version %d → %d, events %d → %d", before, f.version(t), n0, events())
	}
	var stored int
	if err := h.db.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE id = $1 AND ($2 = ANY(involved_ids) OR owner_id = $2)`, f.c.ID, ghost).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Error("the unknown user is stored on the case")
	}
}
