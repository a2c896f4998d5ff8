package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/leakdesk/leakdesk/internal/config"
)

// TestMetrics_LabelsAreBoundedAndTheEndpointGuarded (issue 21): arbitrary HTTP methods must not
// create new series (unknown methods count as OTHER, routes are patterns), and /metrics can be put
// behind a token (LEAKDESK_METRICS_TOKEN) or moved off the main listener (LEAKDESK_METRICS_ADDR).
func TestMetrics_LabelsAreBoundedAndTheEndpointGuarded(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.MetricsToken = "scrape-secret-0123456789" })
	for i := range 40 {
		req, _ := http.NewRequest("X"+strings.Repeat("Y", i%7)+string(rune('A'+i%26))+strconvI(int64(i)), h.ts.URL+"/cases/"+strconvI(int64(i))+"/whatever", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}
	anon := h.client().get("/metrics")
	if anon.Status != http.StatusUnauthorized {
		t.Fatalf("/metrics without the token: %d, want 401", anon.Status)
	}
	req, _ := http.NewRequest("GET", h.ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer scrape-secret-0123456789")
	r := h.client().do(req)
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics with the token: %d", r.Status)
	}
	methods := map[string]bool{}
	for _, m := range regexp.MustCompile(`leakdesk_http_requests_total\{[^}]*method="([^"]*)"`).FindAllStringSubmatch(r.Body, -1) {
		methods[m[1]] = true
	}
	for m := range methods {
		switch m {
		case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER":
		default:
			t.Errorf("method label %q: unknown methods must count as OTHER", m)
		}
	}
	if !methods["OTHER"] {
		t.Errorf("no OTHER series after 40 unknown methods: %v", methods)
	}
	if strings.Contains(r.Body, `route="/cases/1/whatever"`) {
		t.Error("a raw path became a route label")
	}

	// On a separate listen address, the main listener does not serve /metrics at all.
	h2 := newHarness(t, func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" })
	if r := h2.client().get("/metrics"); r.Status != http.StatusNotFound {
		t.Errorf("/metrics on the main listener with LEAKDESK_METRICS_ADDR set: %d, want 404", r.Status)
	}
}
