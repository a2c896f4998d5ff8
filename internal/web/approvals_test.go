package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// TestApprovePage_ReasonRequired: on the case page an approval or a send-back without a reason is
// refused with 422 and the Japanese message naming the reason, and nothing is written (§5.2(8)).
func TestApprovePage_ReasonRequired(t *testing.T) {
	e := newAPIEnv(t)
	c := e.open()
	rq := e.readyForG1(c)
	before := e.version(c.ID)
	mgr := e.client().loginAs("manager")
	from := fmt.Sprintf("/cases/%d", c.ID)
	for _, action := range []string{"approve", "send-back"} {
		for _, note := range []string{"", "　 "} {
			r := mgr.postForm(from, fmt.Sprintf("/requests/%d/%s", rq.ID, action), url.Values{"version": {fmt.Sprint(e.version(c.ID))}, "note": {note}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "理由・コメントを入力してください。") {
				t.Fatalf("%s with note %q: %d", action, note, r.Status)
			}
		}
	}
	if v := e.version(c.ID); v != before {
		t.Fatalf("a refused decision wrote: version %d → %d", before, v)
	}
	if r := mgr.postForm(from, fmt.Sprintf("/requests/%d/approve", rq.ID), url.Values{"version": {fmt.Sprint(e.version(c.ID))}, "note": {"第一報の内容を確認した"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("approve with a reason: %d", r.Status)
	}
}

// TestInboxAndRoute_WaitForTheSlotNow: the inbox lists a request only for the people of the slot
// its route waits for now; the case page draws the route as 印 boxes (drafter, stamped, waiting,
// to come), marks the slot that sent it back, and the request made again is round 2.
func TestInboxAndRoute_WaitForTheSlotNow(t *testing.T) {
	e := newAPIEnv(t)
	c := e.open()
	r := e.api("POST", fmt.Sprintf("/api/v1/cases/%d/requests", c.ID), e.tok["staff"], `{"kind":"close_not_incident","note":"誤報：USBは机の中にあった"}`, "If-Match", fmt.Sprint(e.version(c.ID)))
	if r.Status != http.StatusCreated {
		t.Fatalf("request: %d %s", r.Status, r.Body)
	}
	rq := decode[apiRequestOut](t, r)
	row := fmt.Sprintf(`data-testid="inbox-%d"`, rq.ID)
	mgr, po, staff := e.client().loginAs("manager"), e.client().loginAs("privacy"), e.client().loginAs("staff")
	inbox := func(cl *client) string { return cl.get("/approvals").Body }
	if !strings.Contains(inbox(mgr), row) || strings.Contains(inbox(po), row) || strings.Contains(inbox(staff), row) {
		t.Fatal("the inbox must list the request for the first slot (manager) only")
	}
	page := func(cl *client) string { return cl.get(fmt.Sprintf("/cases/%d", c.ID)).Body }
	box := func(n int, state string) string {
		return fmt.Sprintf(`data-testid="route-%d-%d" data-state="%s"`, rq.ID, n, state)
	}
	if p := page(po); !strings.Contains(p, box(1, "waiting")) || !strings.Contains(p, box(2, "later")) || !strings.Contains(p, "起案") {
		t.Fatal("route boxes before the first stamp")
	}
	if r := po.postForm(fmt.Sprintf("/cases/%d", c.ID), fmt.Sprintf("/requests/%d/approve", rq.ID), url.Values{"version": {fmt.Sprint(e.version(c.ID))}, "note": {"先に確認"}}); r.Status != http.StatusForbidden ||
		!strings.Contains(r.Body, "「総務部長・副部長」の承認を待っています") {
		t.Fatalf("out of route order: %d", r.Status)
	}
	if r := mgr.postForm(fmt.Sprintf("/cases/%d", c.ID), fmt.Sprintf("/requests/%d/approve", rq.ID), url.Values{"version": {fmt.Sprint(e.version(c.ID))}, "note": {"誤報を確認した"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("manager stamp: %d", r.Status)
	}
	if strings.Contains(inbox(mgr), row) || !strings.Contains(inbox(po), row) {
		t.Fatal("after the first stamp the inbox must list it for the officer only")
	}
	p := page(po)
	if !strings.Contains(p, box(1, "approved")) || !strings.Contains(p, box(2, "waiting")) || !strings.Contains(p, "テスト manager") || !strings.Contains(p, "誤報を確認した") {
		t.Fatal("the officer must see the earlier stamp and its reason")
	}
	if r := po.postForm(fmt.Sprintf("/cases/%d", c.ID), fmt.Sprintf("/requests/%d/send-back", rq.ID), url.Values{"version": {fmt.Sprint(e.version(c.ID))}, "note": {"拾得物の記録を添付してください"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("send back: %d", r.Status)
	}
	if p := page(staff); !strings.Contains(p, box(2, "sent_back")) || !strings.Contains(p, "拾得物の記録を添付してください") {
		t.Fatal("the requester must see where and why it was sent back")
	}
	r = e.api("POST", fmt.Sprintf("/api/v1/cases/%d/requests", c.ID), e.tok["staff"], `{"kind":"close_not_incident","note":"拾得物の記録を添付した"}`, "If-Match", fmt.Sprint(e.version(c.ID)))
	if r.Status != http.StatusCreated {
		t.Fatalf("round 2: %d %s", r.Status, r.Body)
	}
	rq2 := decode[apiRequestOut](t, r)
	if p := page(staff); !strings.Contains(p, fmt.Sprintf(`data-testid="request-round-%d"`, rq2.ID)) ||
		!strings.Contains(p, fmt.Sprintf(`data-testid="route-%d-1" data-state="waiting"`, rq2.ID)) {
		t.Fatal("round 2 must start from the first slot")
	}
	if !strings.Contains(inbox(mgr), fmt.Sprintf(`data-testid="inbox-%d"`, rq2.ID)) {
		t.Fatal("round 2 waits for the manager again")
	}
}

// TestDelegation_OnlyRegisteredDeputyInPeriod: 代理承認 needs an admin's registration of the deputy
// for the absent principal covering now (logged in admin_events); without one, or outside its
// period, the approval is refused in Japanese and nothing is written; inside it the deputy fills the
// principal's slot and the approval names both people.
func TestDelegation_OnlyRegisteredDeputyInPeriod(t *testing.T) {
	e := newAPIEnv(t)
	c := e.open()
	r := e.api("POST", fmt.Sprintf("/api/v1/cases/%d/requests", c.ID), e.tok["staff"], `{"kind":"close_not_incident","note":"誤報：USBは机の中にあった"}`, "If-Match", fmt.Sprint(e.version(c.ID)))
	rq := decode[apiRequestOut](t, r)
	ap := fmt.Sprintf("/api/v1/requests/%d/approve", rq.ID)
	if r := e.api("POST", ap, e.tok["manager"], `{"note":"誤報を確認した"}`, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusOK {
		t.Fatalf("manager: %d %s", r.Status, r.Body)
	}
	officer, deputy := e.users["privacy"], e.users["manager2"]
	body := fmt.Sprintf(`{"note":"管理者出張中のため代理承認","on_behalf_of":%d}`, officer.ID)
	from := fmt.Sprintf("/cases/%d", c.ID)
	mgr2 := e.client().loginAs("manager2")
	if r := mgr2.postForm(from, fmt.Sprintf("/requests/%d/approve", rq.ID), url.Values{"version": {fmt.Sprint(e.version(c.ID))}, "note": {"代理"}, "on_behalf_of": {fmt.Sprint(officer.ID)}}); r.Status != http.StatusForbidden ||
		!strings.Contains(r.Body, "代理として登録されていません") {
		t.Fatalf("unregistered deputy on the page: %d", r.Status)
	}
	admin := e.client().loginAs("admin")
	register := func(from, until time.Time) {
		t.Helper()
		r := admin.postForm("/admin/delegations", "/admin/delegations", url.Values{"principal_id": {fmt.Sprint(officer.ID)}, "deputy_id": {fmt.Sprint(deputy.ID)},
			"valid_from": {from.In(incident.JST()).Format("2006-01-02T15:04")}, "valid_until": {until.In(incident.JST()).Format("2006-01-02T15:04")}, "reason": {"海外出張"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
	}
	if r := admin.postForm("/admin/delegations", "/admin/delegations", url.Values{"principal_id": {fmt.Sprint(officer.ID)}, "deputy_id": {fmt.Sprint(officer.ID)},
		"valid_from": {"2026-05-01T09:00"}, "valid_until": {"2026-05-01T08:00"}, "reason": {""}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "本人を自分の代理人にはできません") || !strings.Contains(r.Body, "終了日時は開始日時より後") {
		t.Fatalf("bad registration: %d", r.Status)
	}
	register(time.Now().Add(-72*time.Hour), time.Now().Add(-24*time.Hour))
	before := e.version(c.ID)
	if r := e.api("POST", ap, e.tok["manager2"], body, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "代理の期間外です") {
		t.Fatalf("outside the period: %d %s", r.Status, r.Body)
	}
	if v := e.version(c.ID); v != before {
		t.Fatal("a refused 代理承認 wrote")
	}
	register(time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if p := mgr2.get(from).Body; !strings.Contains(p, fmt.Sprintf(`data-testid="on-behalf-%d"`, rq.ID)) {
		t.Fatal("the registered deputy is not offered the 代理承認 choice")
	}
	r = e.api("POST", ap, e.tok["manager2"], body, "If-Match", fmt.Sprint(e.version(c.ID)))
	if r.Status != http.StatusOK {
		t.Fatalf("registered deputy: %d %s", r.Status, r.Body)
	}
	got := decode[apiRequestOut](t, r)
	last := got.Approvals[len(got.Approvals)-1]
	if got.State != "approved" || last["user_id"] != float64(deputy.ID) || last["on_behalf_of_id"] != float64(officer.ID) || last["as_deputy"] != true || last["role"] != "privacy_officer" {
		t.Fatalf("approval %+v", got)
	}
	var logged int
	if err := e.db.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM admin_events WHERE action = 'delegation_created' AND target_id = $1`, deputy.ID).Scan(&logged); err != nil || logged != 2 {
		t.Fatalf("admin_events rows: %d %v", logged, err)
	}
}

// TestCompensationAboveAmount_ReadFromTheRegister: the compensation total the CEO slot reads comes
// from the affected-person register in the database (no per-person amount in the facts): two
// people at ¥600,000 are above the default ¥1,000,000, so the head of general affairs alone does not
// complete the customer notice.
func TestCompensationAboveAmount_ReadFromTheRegister(t *testing.T) {
	e := newAPIEnv(t)
	c := e.open()
	rq := e.readyForG1(c)
	if r := e.api("POST", fmt.Sprintf("/api/v1/requests/%d/approve", rq.ID), e.tok["manager"], `{"note":"受理"}`, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusOK {
		t.Fatalf("G1: %d %s", r.Status, r.Body)
	}
	for i, amount := range []int{600_000, 600_000} {
		if _, err := e.db.Store.CreatePerson(context.Background(), e.keys, c.ID, e.users["staff"].ID, store.PersonData{Name: "山田 太郎", Email: fmt.Sprintf("t%d@example.jp", i)},
			store.PersonNotice{CompensationKind: "cash", CompensationAmount: amount}); err != nil {
			t.Fatal(err)
		}
	}
	path := fmt.Sprintf("/api/v1/cases/%d", c.ID)
	e.approvedDocument(c.ID, "notice", "manager") // notice_started_at needs the approved notice
	facts := `{"facts":{"occurred_at":"2026-04-30T18:00","data_items":["name","address"],"root_cause":"誤送信","secondary_damage_exists":"unknown",
		"notice_decision":"notify_individually","notice_method":["letter"],"notice_started_at":"2026-05-08T10:00","notice_completed_at":"2026-05-12T10:00",
		"publication_done":false,"publication_omission_reason":"個別通知で足りる","inquiry_desk_opened_at":"2026-05-08T09:00","inquiry_desk_close_date":"2026-08-31",
		"compensation_form":"cash","unjust_claims_procedure":"弁護士に相談の上で拒否"}}`
	if r := e.api("PATCH", path, e.tok["staff"], facts, "If-Match", fmt.Sprint(e.version(c.ID))); r.Status != http.StatusOK {
		t.Fatalf("facts: %d %s", r.Status, r.Body)
	}
	r := e.api("POST", path+"/requests", e.tok["staff"], `{"stage":"customer_notice","kind":"complete","note":"通知完了"}`, "If-Match", fmt.Sprint(e.version(c.ID)))
	if r.Status != http.StatusCreated {
		t.Fatalf("request: %d %s", r.Status, r.Body)
	}
	notice := decode[apiRequestOut](t, r)
	r = e.api("POST", fmt.Sprintf("/api/v1/requests/%d/approve", notice.ID), e.tok["manager"], `{"note":"補償額を確認した"}`, "If-Match", fmt.Sprint(e.version(c.ID)))
	if r.Status != http.StatusOK || decode[apiRequestOut](t, r).State != "pending" || !strings.Contains(r.Body, `"executive"`) {
		t.Fatalf("a register total of ¥1,200,000 must keep the CEO slot: %d %s", r.Status, r.Body)
	}
}
