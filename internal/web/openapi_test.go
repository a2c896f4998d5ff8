package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/leakdesk/leakdesk/web"
)

// TestOpenAPI_DocsCopyAndEveryAPIRoute keeps docs/openapi.json identical to the served document and
// fails when an /api/v1 route exists in the router without a path in the document.
func TestOpenAPI_DocsCopyAndEveryAPIRoute(t *testing.T) {
	docs, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, web.OpenAPI) {
		t.Fatal("docs/openapi.json differs from web/openapi.json: cp web/openapi.json docs/openapi.json")
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(web.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	h := newHarness(t)
	routes, ok := h.srv.Router().(chi.Routes)
	if !ok {
		t.Fatal("router is not a chi.Routes")
	}
	err = chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if !strings.HasPrefix(route, "/api/v1/") {
			return nil
		}
		route = strings.TrimSuffix(route, "/")
		ops, ok := doc.Paths[route]
		if !ok {
			t.Errorf("route %s %s is not in openapi.json", method, route)
			return nil
		}
		if _, ok := ops[strings.ToLower(method)]; !ok {
			t.Errorf("method %s of %s is not in openapi.json", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
