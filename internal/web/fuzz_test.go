package web

// Fuzz tests for everything in this package that reads untrusted input before the domain sees it:
// the form decoders (formPatch, personForm, the list filters, the redirect guard) and the JSON API
// decoder with each API input struct. Seed corpora are committed under testdata/fuzz/<FuzzName>;
// `make fuzz` runs each for a few seconds in CI and `make soak` for longer.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leakdesk/leakdesk/internal/csvimport"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// formRequest is a POST of body as an HTML form would send it, already parsed (checkCSRF parses
// every form before a handler runs). ok is false when the body does not parse: the middleware
// answers 400 then and no handler sees it.
func formRequest(body string) (*http.Request, bool) {
	r := httptest.NewRequest(http.MethodPost, "/cases/1/facts", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r, r.ParseForm() == nil
}

// FuzzFormPatch: the case-page form → merge patch. The patch holds only the stage's fields, with
// the three shapes the domain accepts (nil, trimmed string, list of strings), and the domain's
// validation of it never panics; what it accepts is stable (normalising twice changes nothing).
func FuzzFormPatch(f *testing.F) {
	f.Add("discovery", "initial_description=%E8%AA%A4%E9%80%81%E4%BF%A1&recognized_at=2026-04-30T22%3A40&_sets=data_items&data_items=name")
	f.Add("investigation", "_sets=data_items&estimated_count_max=12&reportability_finding=")
	f.Add("discipline", "discipline_decision=%3Cscript%3E&_sets=x&x=1")
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, stage, body string) {
		st := incident.Stage(stage)
		if !st.Valid() {
			st = incident.StageDiscovery
		}
		r, ok := formRequest(body)
		if !ok {
			return
		}
		fields := incident.FieldsOf(st)
		byName := map[string]incident.Field{}
		for _, fd := range fields {
			byName[fd.Name] = fd
		}
		patch := formPatch(r, fields)
		for k, v := range patch {
			fd, ok := byName[k]
			if !ok {
				t.Fatalf("patch key %q is not a field of %s", k, st)
			}
			switch x := v.(type) {
			case nil:
			case string:
				if x == "" || x != strings.TrimSpace(x) {
					t.Fatalf("%s: untrimmed or empty value %q (empty must be nil)", k, x)
				}
			case []any:
				if fd.Kind != incident.KindSet {
					t.Fatalf("%s: a list for a %v field", k, fd.Kind)
				}
				for _, e := range x {
					if _, ok := e.(string); !ok {
						t.Fatalf("%s: list element %T", k, e)
					}
				}
			default:
				t.Fatalf("%s: value of type %T", k, v)
			}
		}
		facts, errs := incident.NormalizePatch(patch, now)
		if len(errs) > 0 {
			return
		}
		again, errs := incident.NormalizePatch(map[string]any(facts), now)
		if len(errs) > 0 {
			t.Fatalf("normalised facts refused on a second pass: %+v (facts %#v)", errs, facts)
		}
		if !reflect.DeepEqual(jsonOf(t, facts), jsonOf(t, again)) {
			t.Fatalf("normalising is not stable:\n%s\n%s", jsonOf(t, facts), jsonOf(t, again))
		}
	})
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("facts do not encode as JSON: %v", err)
	}
	return string(b)
}

// FuzzNormalizeJSONFacts: the facts of an API body (any JSON object) through the domain's
// validation: no panic, every accepted value encodes as JSON (it goes into the hash chain) and
// normalising again is stable.
func FuzzNormalizeJSONFacts(f *testing.F) {
	f.Add(`{"recognized_at":"2026-04-30T22:40","estimated_count_max":3000,"data_items":["name","address"]}`)
	f.Add(`{"involves_my_number":true,"prelim_screen":"suspected","initial_description":"\u202eabc"}`)
	f.Add(`{"estimated_count_max":1e400,"recognized_at":"9999-12-31T23:59:59Z","data_items":"name"}`)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		var patch map[string]any
		dec := json.NewDecoder(strings.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&patch) != nil {
			patch = nil
			if json.Unmarshal([]byte(body), &patch) != nil {
				return
			}
		}
		facts, errs := incident.NormalizePatch(patch, now)
		for _, e := range errs {
			if e.JA == "" || e.EN == "" {
				t.Fatalf("field error without both messages: %+v", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		again, errs := incident.NormalizePatch(map[string]any(facts), now)
		if len(errs) > 0 {
			t.Fatalf("normalised facts refused on a second pass: %+v", errs)
		}
		if jsonOf(t, facts) != jsonOf(t, again) {
			t.Fatalf("normalising is not stable:\n%s\n%s", jsonOf(t, facts), jsonOf(t, again))
		}
	})
}

// FuzzPersonForm: the register's add/edit form. Accepted input always satisfies the rules the
// store relies on (a valid notice status and method, amounts in range, a real date, identity
// fields that pass the importer's own validation).
func FuzzPersonForm(f *testing.F) {
	f.Add("name=%E5%B1%B1%E7%94%B0&email=a%40example.jp&notice_status=notified&notice_method=post&notice_date=2026-05-10&compensation_amount=500&inquiries=2")
	f.Add("name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&phone=%3D1%2B1&notice_status=bogus&compensation_amount=-1")
	f.Add("name=%E2%80%AE&kana=%F0%9F%98%80&postal_code=100-0001&notice_date=2026-02-30&inquiries=99999999999999999999")
	s := &Server{}
	f.Fuzz(func(t *testing.T, body string) {
		r, ok := formRequest(body)
		if !ok {
			return
		}
		form, data, notice, valid := s.personForm(r)
		if !valid {
			if len(form.Errors) == 0 {
				t.Fatal("refused without an error message")
			}
			return
		}
		if !validOption(noticeStatuses, notice.Status) {
			t.Fatalf("status %q accepted", notice.Status)
		}
		if notice.Method != "" && !validOption(noticeMethods, notice.Method) {
			t.Fatalf("method %q accepted", notice.Method)
		}
		if notice.CompensationKind != "" && !validOption(compensationKinds, notice.CompensationKind) {
			t.Fatalf("compensation kind %q accepted", notice.CompensationKind)
		}
		if notice.CompensationAmount < 0 || notice.CompensationAmount > 10_000_000 || notice.Inquiries < 0 || notice.Inquiries > 100_000 {
			t.Fatalf("amounts out of range: %+v", notice)
		}
		if form.Date != "" && (notice.Date == nil || notice.Date.Format("2006-01-02") != form.Date) {
			t.Fatalf("date %q became %v", form.Date, notice.Date)
		}
		_, errs := csvimport.ValidateFields(map[csvimport.Field]string{
			csvimport.FieldName: data.Name, csvimport.FieldKana: data.Kana, csvimport.FieldPostal: data.Postal, csvimport.FieldAddress: data.Address,
			csvimport.FieldPhone: data.Phone, csvimport.FieldEmail: data.Email, csvimport.FieldCustomerID: data.CustomerID,
			csvimport.FieldDataItems: strings.Join(data.DataItems, "、"),
		})
		if len(errs) > 0 {
			t.Fatalf("accepted person fails re-validation: %+v (data %+v)", errs, data)
		}
		for _, v := range []string{data.Name, data.Kana, data.Address, data.Email, data.Phone, data.CustomerID} {
			if !utf8.ValidString(v) {
				t.Fatalf("invalid UTF-8 stored: %q", v)
			}
		}
	})
}

// FuzzDecodeJSON: every API input struct behind decodeJSON. The answer is 0 (accepted), 400
// (malformed) or 422 (shape check) with a code; an accepted value passes its shape check, and an
// oversize body is refused with 413, not read whole.
func FuzzDecodeJSON(f *testing.F) {
	f.Add(uint8(0), `{"title":"顧客リストの誤送信","facts":{"recognized_at":"2026-04-30T22:40"},"drill":false}`)
	f.Add(uint8(1), `{"facts":{"initial_description":null}}`)
	f.Add(uint8(2), `{"stage":"discovery","kind":"complete","note":"x","review_by":"2026-05-01"}`)
	f.Add(uint8(3), `{"note":"承認","as_deputy":true}`)
	f.Add(uint8(0), `{"title":"a"} {"title":"b"}`)
	f.Add(uint8(2), `{"stage":"discovery","kind":"complete","unknown":1}`)
	f.Add(uint8(0), `{"title":"`+strings.Repeat("長", 201)+`"}`)
	targets := []func() any{
		func() any { return &apiNewCase{} },
		func() any { return &apiPatch{} },
		func() any { return &requestInput{} },
		func() any { return &apiDecision{} },
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		v := targets[int(which)%len(targets)]()
		r := httptest.NewRequest(http.MethodPost, "/api/v1/cases", strings.NewReader(body))
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1<<16)
		status, ue := decodeJSON(r, v)
		switch status {
		case 0:
			if ue != nil {
				t.Fatalf("accepted with an error %+v", ue)
			}
			if fields := checkInput(v); len(fields) > 0 {
				t.Fatalf("accepted %#v but its shape check fails: %+v", v, fields)
			}
			if len(body) > 1<<16 {
				t.Fatalf("a %d-byte body was accepted past the limit", len(body))
			}
		case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
			if ue == nil || ue.Code == "" || ue.JA == "" || ue.EN == "" {
				t.Fatalf("status %d without a complete error: %+v", status, ue)
			}
		default:
			t.Fatalf("status %d for %q", status, body)
		}
	})
}

// FuzzListFilters: the query strings of the case list, the auditor's desk and the register. Unknown
// values only narrow nothing: whatever is passed on to the store is one of the known options, and
// the free-text search is bounded.
func FuzzListFilters(f *testing.F) {
	f.Add("status=open&stage=discovery&q=%E8%AA%A4%E9%80%81%E4%BF%A1&after=bogus")
	f.Add("status=%27%3B+DROP+TABLE+cases%3B--&data=name&data=zzz&from=2026-13-01&to=2026-02-29&reportable=yes&period=created")
	f.Add("q=" + strings.Repeat("%E6%BC%A2", 300))
	s := &Server{now: func() time.Time { return time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) }}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		_, cf := parseCaseFilter(q)
		if cf.Status != "" && !validOption(caseStatuses, cf.Status) {
			t.Fatalf("case list status %q passed on", cf.Status)
		}
		_, af := s.parseAuditFilter(q)
		if af.Status != "" && !validOption(caseStatuses, af.Status) {
			t.Fatalf("audit status %q passed on", af.Status)
		}
		if af.Stage != "" && !validOption(stageOptions, af.Stage) {
			t.Fatalf("audit stage %q passed on", af.Stage)
		}
		if utf8.RuneCountInString(af.Query) > 200 {
			t.Fatalf("audit search of %d characters", utf8.RuneCountInString(af.Query))
		}
		items := fieldOptions("data_items")
		for _, d := range af.DataItems {
			if !validOption(items, d) {
				t.Fatalf("data item %q passed on", d)
			}
		}
		pf := personFilter(1, q, "status", "q")
		if pf.Status != "" && !validOption(noticeStatuses, pf.Status) {
			t.Fatalf("register status %q passed on", pf.Status)
		}
		if len(pf.Search) > 254 {
			t.Fatalf("register search of %d bytes", len(pf.Search))
		}
	})
}

// FuzzSafeNext: the guard on post-login and language-switch redirects. Whatever it lets through
// must stay on this site as a browser reads the Location header: browsers drop tabs and newlines
// from a URL and read "\" as "/" (WHATWG URL), so "/\t/evil.example" would leave the site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/cases/1", "//evil.example", "/\\evil.example", "/\t/evil.example", "/%0d%0aSet-Cookie:x", "https://evil.example", "/\x00", "/ok?next=//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if !safeNext(p) {
			return
		}
		w := httptest.NewRecorder()
		http.Redirect(w, httptest.NewRequest(http.MethodPost, "/lang", nil), p, http.StatusSeeOther)
		loc := w.Header().Get("Location")
		// What a browser makes of it: tabs and newlines removed, backslashes as slashes.
		seen := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(strings.TrimLeft(loc, " \x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"))
		if !strings.HasPrefix(seen, "/") || strings.HasPrefix(seen, "//") {
			t.Fatalf("safeNext(%q) passed; the browser would go to %q", p, seen)
		}
		if bytes.ContainsAny([]byte(loc), "\r\n") {
			t.Fatalf("header injection through %q", p)
		}
	})
}
