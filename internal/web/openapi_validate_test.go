package web_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/leakdesk/leakdesk/web"
)

// checkAgainstOpenAPI makes every API call of the harness check its request and real response
// against the served OpenAPI document with libopenapi-validator; failures are reported at the end.
func checkAgainstOpenAPI(t *testing.T, h *harness) {
	t.Helper()
	doc, err := libopenapi.NewDocument(web.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("openapi validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("openapi.json is not a valid OpenAPI 3.1 document: %s", e.Error())
		}
	}
	var mu sync.Mutex
	checked := 0
	h.exchange = func(req *http.Request, reqBody []byte, r *http.Response, body []byte) {
		mu.Lock()
		defer mu.Unlock()
		q := req.Clone(req.Context())
		q.Body = io.NopCloser(bytes.NewReader(reqBody))
		q.URL.Scheme, q.URL.Host = "", ""
		rs := *r
		rs.Body = io.NopCloser(bytes.NewReader(body))
		rs.Request = q
		ok, verrs := v.ValidateHttpRequestResponse(q, &rs)
		checked++
		if !ok {
			for _, e := range verrs {
				msg := e.Message
				if e.Reason != "" {
					msg += ": " + e.Reason
				}
				for _, se := range e.SchemaValidationErrors {
					msg += " [" + se.FieldPath + ": " + se.Reason + "]"
				}
				t.Errorf("%s %s → %d does not match openapi.json: %s", req.Method, req.URL.Path, r.StatusCode, strings.TrimSpace(msg))
			}
		}
	}
	t.Cleanup(func() {
		if checked == 0 {
			t.Error("no API exchange was checked against openapi.json")
		} else {
			t.Logf("%d API exchanges checked against openapi.json", checked)
		}
	})
}
