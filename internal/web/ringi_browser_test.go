package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// TestBrowser_RingiRouteWithSendBackAndDeputy walks a 稟議 route in headless Chromium: HR drafts the
// discipline decision with a criminal accusation, whose route is 人事 → 総務部長 → 代表取締役. In
// round 1 the head of HR stamps and the head of general affairs sends it back with a comment; in
// round 2, started from the first slot, the head of HR and the head of general affairs stamp and,
// the CEO being away, the deputy an administrator registered for the period stamps for the CEO
// (代理承認). Each approver sees the earlier stamps as 印 boxes; the inbox lists the request only
// for the slot it waits for.
func TestBrowser_RingiRouteWithSendBackAndDeputy(t *testing.T) {
	h := newHarness(t)
	for key, role := range map[string]auth.Role{"staff": auth.RoleStaff, "manager": auth.RoleManager, "hr": auth.RoleHR, "hrhead": auth.RoleHR,
		"ceo": auth.RoleExecutive, "vice": auth.RoleManager, "admin": auth.RoleAdmin} {
		h.user(key, role)
	}
	actor := func(key string) incident.Actor {
		u := h.users[key]
		a := incident.Actor{UserID: u.ID, Name: u.Name}
		for _, r := range u.Roles {
			a.Roles = append(a.Roles, incident.Role(r))
		}
		return a
	}
	// The case up to the discipline stage, through the case engine (the pages are tested elsewhere).
	ctx := context.Background()
	svc := casework.New(h.db.Store)
	c, err := svc.Open(ctx, actor("staff"), "社員による顧客名簿の持出し", map[string]any{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50", "containment_ordered_at": "2026-05-01T09:00",
		"prelim_screen": "suspected", "exec_notification_decision": "not_needed", "involves_my_number": "no",
		"suspected_route": "media_lost", "estimated_count_max": 3000}, false)
	if err != nil {
		t.Fatal(err)
	}
	do := func(key string, cmd incident.Command) {
		t.Helper()
		if _, _, err := svc.Do(ctx, c.ID, 0, actor(key), cmd); err != nil {
			t.Fatalf("%T by %s: %v", cmd, key, err)
		}
	}
	submit := func(key string, st incident.Stage) int64 {
		t.Helper()
		_, rq, err := svc.Submit(ctx, c.ID, 0, actor(key), incident.SubmitRequest{Kind: incident.KindComplete, Stage: st, Note: "記録完了"})
		if err != nil {
			t.Fatal(err)
		}
		return rq.ID
	}
	approve := func(key string, id int64) {
		t.Helper()
		if _, _, err := svc.Approve(ctx, id, actor(key), "確認しました", 0); err != nil {
			t.Fatal(err)
		}
	}
	do("staff", incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true})
	approve("manager", submit("staff", incident.StageDiscovery))
	do("staff", incident.PatchFacts{Patch: map[string]any{
		"occurred_at": "2026-04-30T18:00", "event_types": []any{"leak"}, "certainty": "confirmed",
		"route": "media_lost", "cause_category": "human_error", "cause_actor": "own_employee",
		"root_cause": "社員が名簿を不正に持ち出した", "data_items": []any{"name", "address"},
		"data_subject_types": []any{"customer"}, "medium": "usb", "affected_count": 3000,
		"secondary_damage_exists": "unknown", "impact_scope": "顧客3,000名", "reportability_finding": "reportable"}})
	for _, id := range []string{"investigation.basic_facts", "investigation.four_points", "investigation.cause_four_angles", "investigation.staff_interviews", "investigation.legal_definitions"} {
		do("staff", incident.TickChecklist{ItemID: id, Checked: true})
	}
	approve("manager", submit("staff", incident.StageInvestigation))
	do("hr", incident.PatchFacts{Patch: map[string]any{"sanction": "reprimand", "culpability": "intentional", "discipline_decided_at": "2026-06-01T10:00",
		"accusation_filed": true, "accusation_filed_at": "2026-06-02T10:00", "accusation_station": "新宿警察署"}})
	do("hr", incident.AddRecord{Kind: incident.RecCriminalComplaint, Values: map[string]any{"kind": "accusation", "against": "社員番号1234", "station": "新宿警察署", "filed_on": "2026-06-02"}})
	do("hr", incident.TickChecklist{ItemID: "discipline.work_rules", Checked: true})

	caseURL := "/cases/" + strconv.FormatInt(c.ID, 10)
	b := h.newBrowser()
	// stamp fills slot n of request id and waits until the page shows it stamped.
	stamp := func(id int64, n int, note string, onBehalf int64) {
		t.Helper()
		sid := strconv.FormatInt(id, 10)
		b.open(caseURL + "?stage=discipline")
		b.do(chromedp.SendKeys(chromedp.CSS("#approve-note-"+sid), note))
		if onBehalf != 0 {
			b.do(chromedp.SetValue(chromedp.CSS("#on-behalf-"+sid), strconv.FormatInt(onBehalf, 10)))
		}
		b.submit("approve-"+sid, `[data-testid="route-`+sid+`-`+strconv.Itoa(n)+`"][data-state="approved"]`)
	}
	box := func(id int64, n int) string {
		return `[data-testid="route-` + strconv.FormatInt(id, 10) + `-` + strconv.Itoa(n) + `"]`
	}
	state := func(id int64, n int) string {
		t.Helper()
		s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.querySelector("+jsString(box(id, n))+").dataset.state"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Round 1: HR drafts on the page; the head of HR stamps; the head of general affairs sends it back.
	b.login("hr")
	b.open(caseURL + "?stage=discipline")
	b.submit("request-complete", `[data-testid="stage-discipline"][data-state="awaiting_approval"]`)
	r1 := h.caseByID(strconv.FormatInt(c.ID, 10)).PendingRequests()[0].ID
	b.logout()
	b.login("manager")
	b.open("/approvals")
	if b.exists(`[data-testid="inbox-` + strconv.FormatInt(r1, 10) + `"]`) {
		t.Fatal("the inbox lists the request for the head of general affairs before the head of HR stamped")
	}
	b.logout()
	b.login("hrhead")
	stamp(r1, 1, "処分案を確認した（第1回）", 0)
	b.logout()
	b.login("manager")
	b.open("/approvals")
	b.submit("open-request-"+strconv.FormatInt(r1, 10), `[data-testid="approve-`+strconv.FormatInt(r1, 10)+`"]`)
	if state(r1, 1) != "approved" || state(r1, 2) != "waiting" || state(r1, 3) != "later" {
		t.Fatalf("round 1 route: %s %s %s", state(r1, 1), state(r1, 2), state(r1, 3))
	}
	if got := b.text(box(r1, 1)); !strings.Contains(got, h.users["hrhead"].Name) {
		t.Fatalf("the earlier stamp is not shown: %q", got)
	}
	b.screenshotAt("ringi-route-waiting.png", `[data-testid="requests"]`)
	b.do(chromedp.SendKeys(chromedp.CSS("#sb-note-"+strconv.FormatInt(r1, 10)), "告発状の写しを添付してください"))
	b.submit("send-back-"+strconv.FormatInt(r1, 10), `[data-testid="sent-back-note-`+strconv.FormatInt(r1, 10)+`"]`)
	b.logout()

	// The CEO is away: the administrator registers the deputy for the period.
	b.login("admin")
	b.open("/admin/delegations")
	now := time.Now().In(incident.JST())
	b.do(chromedp.SetValue(chromedp.CSS(`[data-testid="delegation-principal"]`), strconv.FormatInt(h.users["ceo"].ID, 10)))
	b.do(chromedp.SetValue(chromedp.CSS(`[data-testid="delegation-deputy"]`), strconv.FormatInt(h.users["vice"].ID, 10)))
	b.do(chromedp.SetValue(chromedp.CSS(`[data-testid="delegation-from"]`), now.Add(-time.Hour).Format("2006-01-02T15:04")))
	b.do(chromedp.SetValue(chromedp.CSS(`[data-testid="delegation-until"]`), now.Add(72*time.Hour).Format("2006-01-02T15:04")))
	b.do(chromedp.SendKeys(chromedp.CSS(`[data-testid="delegation-reason"]`), "海外出張"))
	b.submit("delegation-submit", `[data-testid="delegations-table"]`)
	b.screenshot("delegations.png")
	b.logout()

	// Round 2 starts from the first slot.
	b.login("hr")
	b.open(caseURL + "?stage=discipline")
	if got := b.text(box(r1, 2)); !strings.Contains(got, "差戻し") {
		t.Fatalf("the requester does not see where it was sent back: %q", got)
	}
	b.submit("request-complete", `[data-testid="stage-discipline"][data-state="awaiting_approval"]`)
	r2 := h.caseByID(strconv.FormatInt(c.ID, 10)).PendingRequests()[0].ID
	if !b.exists(`[data-testid="request-round-`+strconv.FormatInt(r2, 10)+`"]`) || state(r2, 1) != "waiting" {
		t.Fatal("round 2 must start from the first slot")
	}
	b.logout()
	b.login("hrhead")
	stamp(r2, 1, "添付を確認した（第2回）", 0)
	b.logout()
	b.login("manager")
	stamp(r2, 2, "告発は総務部として行う", 0)
	b.logout()
	b.login("vice")
	b.open("/approvals")
	if b.exists(`[data-testid="inbox-` + strconv.FormatInt(r2, 10) + `"]`) {
		t.Fatal("the deputy's inbox lists the CEO's slot (the deputy cannot fill it in their own right)")
	}
	stamp(r2, 3, "代表取締役出張中のため代理承認", h.users["ceo"].ID)
	if got := b.text(`[data-testid="stage-discipline"] .stage-state`); got != "完了" {
		t.Fatalf("discipline after the route: %q", got)
	}
	for n := 1; n <= 3; n++ {
		if state(r2, n) != "approved" {
			t.Fatalf("round 2 box %d: %s", n, state(r2, n))
		}
	}
	if got := b.text(box(r2, 3)); !strings.Contains(got, h.users["vice"].Name) || !strings.Contains(got, "代理") {
		t.Fatalf("the 代理承認 box: %q", got)
	}
	if got := b.text(`[data-testid="deputy-for"]`); !strings.Contains(got, h.users["ceo"].Name) {
		t.Fatalf("the absent principal is not named: %q", got)
	}
	b.screenshotAt("ringi-route-approved.png", `[data-testid="requests"]`)
}
