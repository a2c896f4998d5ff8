package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/leakdesk/leakdesk/internal/appi"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/reminder"
)

// lawHarness is the HTTP harness with the deadlines index hook registered and a case service on
// the same store (real clock: the server reads time.Now).
type lawHarness struct {
	*harness
	svc *casework.Service
}

func newLawHarness(t *testing.T) *lawHarness {
	t.Helper()
	h := newHarness(t)
	if _, err := reminder.New(h.db.Store, reminder.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		t.Fatal(err)
	}
	for key, role := range map[string]auth.Role{
		"staff": auth.RoleStaff, "manager": auth.RoleManager, "privacy": auth.RolePrivacyOfficer, "ceo": auth.RoleExecutive,
		"hr": auth.RoleHR, "auditor": auth.RoleAuditor, "admin": auth.RoleAdmin, "staff2": auth.RoleStaff,
	} {
		h.user(key, role)
	}
	return &lawHarness{harness: h, svc: casework.New(h.db.Store)}
}

func (h *lawHarness) actor(key string) incident.Actor {
	u := h.users[key]
	a := incident.Actor{UserID: u.ID, Name: u.Name}
	for _, r := range u.Roles {
		a.Roles = append(a.Roles, incident.Role(r))
	}
	return a
}

// jstAgo formats now−d as a facts datetime (JST, minutes).
func jstAgo(d time.Duration) string {
	return time.Now().Add(-d).In(appi.JST).Format("2006-01-02T15:04")
}

// openCase opens a reportable case (3,000 people) known d ago, with the first report made.
func (h *lawHarness) openCase(title string, known time.Duration, drill bool) *incident.Case {
	h.t.Helper()
	c, err := h.svc.Open(context.Background(), h.actor("staff"), title, map[string]any{
		"recognized_at": jstAgo(known), "reported_to_soumu_at": jstAgo(known - 10*time.Minute),
		"prelim_screen": "suspected", "involves_my_number": "no", "suspected_route": "media_lost",
		"estimated_count_max": 3000,
	}, drill)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func doc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDashboard_WorstFirstDrillsApartAndByRole(t *testing.T) {
	h := newLawHarness(t)
	old := h.openCase("10日前に認知した案件", 10*24*time.Hour, false) // 速報 and notice missed; 確報 in ~20 days (not shown)
	fresh := h.openCase("昨日認知した案件", 26*time.Hour, false)     // 速報 target, outer and notice due within 7 days
	drill := h.openCase("訓練: 標的型メール", 2*time.Hour, true)     // drill deadlines
	hidden := h.openCase("関係者がいる案件", 3*24*time.Hour, false)
	if _, _, err := h.svc.Do(context.Background(), hidden.ID, 0, h.actor("manager"), incident.MarkInvolved{UserID: h.users["staff2"].ID, Involved: true, Reason: "当事者"}); err != nil {
		t.Fatal(err)
	}

	c := h.client().loginAs("manager")
	r := c.get("/dashboard")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	d := doc(t, r.Body)
	var dues []time.Time
	var numbers []string
	missedSeen, openSeen := false, false
	d.Find(`[data-testid="dashboard-real"] [data-testid="dashboard-row"]`).Each(func(_ int, s *goquery.Selection) {
		ts, _ := s.Find("time").Attr("datetime")
		tm, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			t.Fatalf("datetime %q", ts)
		}
		dues = append(dues, tm)
		numbers = append(numbers, s.Find(".case-number").Text())
		if s.HasClass("overdue") {
			if openSeen {
				t.Error("a missed deadline is listed after an open one")
			}
			missedSeen = true
		} else {
			openSeen = true
		}
	})
	if !missedSeen || !openSeen {
		t.Fatalf("want missed and open rows, got %d rows", len(dues))
	}
	for i := 1; i < len(dues); i++ {
		if dues[i].Before(dues[i-1]) {
			t.Errorf("row %d due %s before row %d due %s", i, dues[i], i-1, dues[i-1])
		}
	}
	if numbers[0] != old.Number {
		t.Errorf("first row is case %s, want the longest-missed case %s", numbers[0], old.Number)
	}
	if !strings.Contains(r.Body, fresh.Number) || strings.Contains(d.Find(`[data-testid="dashboard-real"]`).Text(), "確報") {
		t.Error("the fresh case must show; the final report due in 20+ days must not")
	}
	if d.Find(`[data-testid="dashboard-real"]`).Text() == "" || strings.Contains(d.Find(`[data-testid="dashboard-real"]`).Text(), drill.Number) {
		t.Error("drill deadlines must not be mixed with real ones")
	}
	if !strings.Contains(d.Find(`[data-testid="dashboard-drills"]`).Text(), drill.Number) {
		t.Error("drill deadlines missing from the drill table")
	}
	if href, _ := d.Find(`[data-testid="dashboard-case"]`).First().Attr("href"); href == "" || !strings.HasPrefix(href, "/cases/") {
		t.Errorf("case link %q", href)
	}
	if !strings.Contains(r.Body, "施行規則8条1項") || !strings.Contains(r.Body, "JST") {
		t.Error("legal basis or JST due missing")
	}
	// The involved user does not see the case they are involved in.
	if body := h.client().loginAs("staff2").get("/dashboard").Body; strings.Contains(body, hidden.Number) {
		t.Error("an involved user sees the case on the dashboard")
	}

	for _, tc := range []struct {
		user string
		want int
	}{
		{"staff", 200}, {"manager", 200}, {"privacy", 200}, {"ceo", 200}, {"hr", 200}, {"auditor", 200}, {"admin", 403},
	} {
		t.Run(tc.user, func(t *testing.T) {
			if got := h.client().loginAs(tc.user).get("/dashboard").Status; got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
	if r := h.client().get("/dashboard"); r.Status == http.StatusOK {
		t.Error("anonymous user got the dashboard")
	}
	// The admin's job page: operational data only, admin only.
	jr := h.client().loginAs("admin").get("/admin/jobs")
	if jr.Status != 200 || !strings.Contains(jr.Body, old.Number) || strings.Contains(jr.Body, old.Title) {
		t.Errorf("admin jobs: status %d, must list case numbers and no titles", jr.Status)
	}
	if h.client().loginAs("manager").get("/admin/jobs").Status != 403 {
		t.Error("a manager opened /admin/jobs")
	}
}

// TestDashboard_ScreenshotAndCaseClocks renders the law panel on the case page's component and
// saves docs/screenshots/dashboard.png when LEAKDESK_SCREENSHOTS=1.
func TestDashboard_Screenshot(t *testing.T) {
	h := newLawHarness(t)
	h.openCase("USBメモリ紛失（顧客3,000名）", 10*24*time.Hour, false)
	h.openCase("委託先サーバーへの不正アクセス", 26*time.Hour, false)
	h.openCase("誤送信メール（取引先20名）", 3*time.Hour, false)
	h.openCase("訓練: 標的型メール", 2*time.Hour, true)
	b := h.newBrowser()
	b.login("manager")
	b.open("/dashboard")
	if !strings.Contains(b.text(`[data-testid="dashboard"]`), "期限ダッシュボード") {
		t.Fatal("dashboard not shown in the browser")
	}
	pngScreenshot(b, "dashboard.png")
}

// pngScreenshot saves a real PNG (quality 100; lower qualities make Chromium encode JPEG) under
// docs/screenshots when LEAKDESK_SCREENSHOTS=1.
func pngScreenshot(b *browser, name string) {
	b.t.Helper()
	if os.Getenv("LEAKDESK_SCREENSHOTS") != "1" {
		return
	}
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if !bytes.HasPrefix(buf, []byte("\x89PNG")) {
		b.t.Fatal("screenshot is not a PNG")
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", name), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
