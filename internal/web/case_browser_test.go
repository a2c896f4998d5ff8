package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// TestBrowser_CaseStory walks the engine's whole story in headless Chromium: staff opens a case,
// records the discovery and investigation facts and requests completion; the same staff cannot
// approve; a manager approves from the inbox; an auditor sees the events and a green chain verdict.
func TestBrowser_CaseStory(t *testing.T) {
	h := newHarness(t)
	h.user("staff", auth.RoleStaff)
	h.user("manager", auth.RoleManager)
	h.user("auditor", auth.RoleAuditor)
	b := h.newBrowser()

	// Staff opens the case with the discovery facts.
	b.login("staff")
	b.open("/cases/new")
	b.do(chromedp.SendKeys(chromedp.CSS(`[data-testid="case-title"]`), "USBメモリ紛失（顧客3,000名）"))
	b.fill(map[string]string{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50",
		"containment_ordered_at": "2026-05-01T09:00", "prelim_screen": "suspected",
		"exec_notification_decision": "not_needed", "involves_my_number": "no",
		"suspected_route": "media_lost", "estimated_count_max": "3000",
	})
	b.submit("create-case", `[data-testid="case-page"]`)
	caseURL := b.location()
	caseID := caseURL[strings.LastIndex(caseURL, "/")+1:]
	if i := strings.IndexAny(caseID, "?#"); i >= 0 {
		caseID = caseID[:i]
	}
	if got := b.text(`[data-testid="stage-discovery"] .stage-state`); got != "対応中" {
		t.Fatalf("discovery state %q", got)
	}
	// Checklist item with its article, then request G1.
	if cite := b.text(`[data-testid="cite-discovery.direct_report_30min"]`); !strings.Contains(cite, "SEED003") {
		t.Fatalf("checklist citation %q", cite)
	}
	b.submit("tick-discovery.evidence_preserved", `[data-testid="untick-discovery.evidence_preserved"]`)
	b.submit("request-complete", `[data-testid="stage-discovery"][data-state="awaiting_approval"]`)

	// The requester sees no approve button and a direct POST is refused.
	if b.exists(`[data-testid^="approve-form-"]`) {
		t.Fatal("the requester is offered the approve button")
	}
	staffClient := h.client().loginAs("staff")
	c := h.caseByID(caseID)
	rq := c.PendingRequests()[0]
	if r := staffClient.postForm("/cases/"+caseID, "/requests/"+strconv.FormatInt(rq.ID, 10)+"/approve", url.Values{"version": {strconv.FormatInt(c.Version, 10)}, "note": {"自己承認"}}); r.Status != http.StatusForbidden {
		t.Fatalf("self-approval answered %d", r.Status)
	}
	b.logout()

	// Manager approves G1 from the inbox.
	b.login("manager")
	b.open("/approvals")
	b.screenshot("inbox.png")
	b.submit("open-request-"+strconv.FormatInt(rq.ID, 10), `[data-testid="approve-`+strconv.FormatInt(rq.ID, 10)+`"]`)
	b.do(chromedp.SendKeys(`#approve-note-`+strconv.FormatInt(rq.ID, 10), "第一報の内容を確認した"))
	b.submit("approve-"+strconv.FormatInt(rq.ID, 10), `[data-testid="stage-discovery"][data-state="done"]`)
	for _, st := range []string{"investigation", "containment", "police_report", "regulator_report"} {
		if got := b.text(`[data-testid="stage-` + st + `"] .stage-state`); got != "対応中" {
			t.Errorf("after G1 %s is %q, want 対応中 (parallel stages)", st, got)
		}
	}
	b.logout()

	// Staff records the investigation facts and requests completion.
	b.login("staff")
	b.open("/cases/" + caseID + "?stage=investigation")
	b.fill(map[string]string{
		"occurred_at": "2026-04-30T18:00", "certainty": "suspected", "route": "media_lost",
		"cause_category": "human_error", "cause_actor": "own_employee", "root_cause": "持出し規程に反しUSBで持ち帰った",
		"medium": "usb", "affected_count": "3000", "secondary_damage_exists": "unknown", "impact_scope": "顧客3,000名",
		"reportability_finding": "reportable",
	}, "event_types=leak", "event_types=loss", "data_items=name", "data_items=address", "data_items=phone", "data_items=purchase_history", "data_subject_types=customer")
	b.submit("save-facts", `[data-testid="flash-success"]`)
	for _, item := range []string{"investigation.basic_facts", "investigation.four_points", "investigation.cause_four_angles", "investigation.staff_interviews", "investigation.legal_definitions"} {
		b.submit("tick-"+item, `[data-testid="untick-`+item+`"]`)
	}
	if b.exists(`[data-testid="missing"]`) {
		t.Fatalf("exit criteria still unmet: %s", b.text(`[data-testid="missing"]`))
	}
	b.submit("request-complete", `[data-testid="stage-investigation"][data-state="awaiting_approval"]`)
	if b.exists(`[data-testid^="approve-form-"]`) {
		t.Fatal("the requester is offered the approve button for the investigation")
	}
	b.screenshot("case-page.png")
	b.logout()

	// Manager approves from the inbox.
	c = h.caseByID(caseID)
	inv := c.PendingRequests()[0]
	invID := strconv.FormatInt(inv.ID, 10)
	b.login("manager")
	b.open("/approvals")
	b.submit("open-request-"+invID, `[data-testid="approve-`+invID+`"]`)
	b.do(chromedp.SendKeys(`#approve-note-`+invID, "調査結果を確認した"))
	b.submit("approve-"+invID, `[data-testid="stage-investigation"][data-state="done"]`)
	if got := b.text(`[data-testid="stage-investigation"] .stage-state`); got != "完了" {
		t.Fatalf("investigation after approval: %q", got)
	}
	b.logout()

	// The auditor sees both events and a green chain verdict, and has no write buttons.
	b.login("auditor")
	b.open("/cases/" + caseID)
	if !b.exists(`[data-testid="chain-ok"]`) {
		t.Fatal("no green chain verdict for the auditor")
	}
	timeline := b.text(`[data-testid="timeline"]`)
	for _, want := range []string{"承認依頼", "承認"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	if b.exists(`[data-testid="facts-form"]`) || b.exists(`[data-testid^="approve-form-"]`) {
		t.Fatal("the auditor is offered a write form")
	}
}

func (h *harness) caseByID(id string) *incident.Case {
	h.t.Helper()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		h.t.Fatalf("case id %q", id)
	}
	c, err := h.db.Store.GetCase(context.Background(), n)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}
