package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/web"
)

// The register's CSV export through the API (POST …/persons/export): a reason is required (422
// naming it, nothing recorded), the CSV is the page's byte for byte, and the access log records it
// exactly as the page's export (page name, person IDs, reason), Shift_JIS checks included.
func TestPersonsExportAPI_SameFileSameRecords(t *testing.T) {
	h := newPersonsHarness(t, func(o *web.Options) { o.RateLimits = &web.RateLimits{} }) // the shared limit: TestPersonsExportAPI_SharesThePageLimit
	ctx := context.Background()
	for _, d := range []store.PersonData{
		{Name: "山田 太郎", Postal: "100-0001", Address: "東京都千代田区1", Email: "taro@example.jp"},
		{Name: "𠮷田 花子", Postal: "100-0002", Address: "東京都千代田区2", Email: "hanako@example.jp"},
	} {
		if _, err := h.db.Store.CreatePerson(ctx, h.keys, h.caseID, h.users["staff"].ID, d, store.PersonNotice{}); err != nil {
			t.Fatal(err)
		}
	}
	tok := h.token("privacy")
	path := fmt.Sprintf("/api/v1/cases/%d/persons/export", h.caseID)

	for _, tc := range []struct{ body, field string }{
		{`{"kind":"list"}`, "reason"},
		{`{"reason":"   "}`, "reason"},
		{`{"reason":"` + strings.Repeat("理", 201) + `"}`, "reason"},
		{`{"reason":"発送準備","kind":"everything"}`, "kind"},
		{`{"reason":"発送準備","enc":"latin1"}`, "enc"},
	} {
		r := h.api(http.MethodPost, path, tok, tc.body)
		if r.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") ||
			!strings.Contains(r.Body, `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s, want 422 naming %s", tc.body, r.Status, r.Body, tc.field)
		}
	}
	if log := h.accessLog("privacy"); len(log) != 0 {
		t.Fatalf("refused exports were recorded: %+v", log)
	}

	api := h.api(http.MethodPost, path, tok, `{"kind":"list","enc":"utf8bom","reason":"通知書の発送準備"}`)
	if api.Status != http.StatusOK || !strings.HasPrefix(api.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(api.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("API export: %d %v", api.Status, api.Header)
	}
	page := h.client().loginAs("privacy").get(h.path("/export?kind=list&enc=utf8bom&reason=" + url.QueryEscape("通知書の発送準備")))
	if page.Status != http.StatusOK || page.Body != api.Body {
		t.Fatalf("the API's CSV is not the page's:\nAPI  %q\npage %q", api.Body, page.Body)
	}
	log := h.accessLog("privacy")
	if len(log) != 2 || log[0].Page != "persons.export.list.utf8bom" || log[0].Reason != "通知書の発送準備" || len(log[0].Subjects) != 2 {
		t.Fatalf("records after the API's and the page's export: %+v", log)
	}
	if log[0].Page != log[1].Page || log[0].Reason != log[1].Reason || fmt.Sprint(log[0].Subjects) != fmt.Sprint(log[1].Subjects) {
		t.Errorf("the API's record %+v differs from the page's %+v", log[0], log[1])
	}

	// Shift_JIS: 𠮷 is not in CP932 — 422 naming replace, recorded as the page's check; replace writes 〓.
	sj := h.api(http.MethodPost, path, tok, `{"kind":"mailmerge","enc":"sjis","reason":"宛名印刷"}`)
	if sj.Status != http.StatusUnprocessableEntity || !strings.Contains(sj.Body, `"field":"replace"`) || strings.Contains(sj.Body, "𠮷") {
		t.Fatalf("sjis without replace: %d %s", sj.Status, sj.Body)
	}
	rep := h.api(http.MethodPost, path, tok, `{"kind":"mailmerge","enc":"sjis","reason":"宛名印刷","replace":true}`)
	if rep.Status != http.StatusOK || rep.Header.Get("X-Leakdesk-Replaced-Characters") != "1" || !strings.Contains(rep.Header.Get("Content-Type"), "shift_jis") {
		t.Fatalf("sjis with replace: %d %v", rep.Status, rep.Header)
	}
	log = h.accessLog("privacy")
	if n := len(log); n < 2 || log[n-2].Page != "persons.export.check" || len(log[n-2].Subjects) != 1 || log[n-1].Page != "persons.export.mailmerge.sjis" {
		t.Fatalf("sjis records: %+v", log)
	}

	// The roles are the page's: a masked reader gets 403 and nothing is recorded.
	if r := h.api(http.MethodPost, path, h.token("exec"), `{"reason":"見たい"}`); r.Status != http.StatusForbidden {
		t.Errorf("exec: %d", r.Status)
	}
	if len(h.accessLog("exec")) != 0 {
		t.Error("a refused export was recorded")
	}
}

// The API's export spends the page's allowance: five exports in a burst (DefaultRateLimits.Export),
// whichever door they come through, then 429 on both.
func TestPersonsExportAPI_SharesThePageLimit(t *testing.T) {
	h := newPersonsHarness(t)
	if _, err := h.db.Store.CreatePerson(context.Background(), h.keys, h.caseID, h.users["staff"].ID, store.PersonData{Name: "山田 太郎", Email: "taro@example.jp"}, store.PersonNotice{}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/cases/%d/persons/export", h.caseID)
	tok := h.token("privacy")
	cl := h.client().loginAs("privacy")
	page := h.path("/export?reason=" + url.QueryEscape("発送準備"))
	var got []int
	for i := range web.DefaultRateLimits.Export.Burst {
		if i%2 == 0 {
			got = append(got, h.api(http.MethodPost, path, tok, `{"reason":"発送準備"}`).Status)
		} else {
			got = append(got, cl.get(page).Status)
		}
	}
	for i, s := range got {
		if s != http.StatusOK {
			t.Fatalf("export %d within the burst: %d (%v)", i, s, got)
		}
	}
	if s := h.api(http.MethodPost, path, tok, `{"reason":"発送準備"}`).Status; s != http.StatusTooManyRequests {
		t.Errorf("API export past the shared burst: %d, want 429", s)
	}
	if s := cl.get(page).Status; s != http.StatusTooManyRequests {
		t.Errorf("page export past the shared burst: %d, want 429", s)
	}
}

// The page's export refuses what the API refuses with the same status (422, not 400 for a wrong
// kind or encoding) and says in Japanese which value is wrong; nothing is recorded.
func TestPersonsExportPage_BadInputIs422NamingTheValue(t *testing.T) {
	h := newPersonsHarness(t, func(o *web.Options) { o.RateLimits = &web.RateLimits{} })
	c := h.client().loginAs("privacy")
	for _, tc := range []struct{ query, want string }{
		{"kind=everything&reason=" + url.QueryEscape("発送準備"), "出力の種類は list または mailmerge です。"},
		{"enc=latin1&reason=" + url.QueryEscape("発送準備"), "文字コードは utf8bom または sjis です。"},
		{"kind=list", "出力の理由を200文字以内で入力してください"},
	} {
		r := c.get(h.path("/export?" + tc.query))
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.want) {
			t.Errorf("%s: %d, want 422 saying %q; body %.300s", tc.query, r.Status, tc.want, r.Body)
		}
	}
	if log := h.accessLog("privacy"); len(log) != 0 {
		t.Fatalf("refused exports were recorded: %+v", log)
	}
}
