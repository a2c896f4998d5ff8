package web_test

// The authorisation matrix's world: one harness, a user and client per column, and the fixtures each row needs.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/auditjob"
	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/documents"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/store"
)

// authzEnv is the matrix's world: one harness, a user and a client per column.
type authzEnv struct {
	h       *harness
	svc     *casework.Service
	actors  [nCols]incident.Actor
	users   [nCols]store.User
	clients [nCols]*client
	tokens  [nCols]string
	setup   incident.Actor // a manager outside the columns: marks involvement, approves in fixtures
	seq     int64
	// the record and evidence file of the last fixRecord fixture
	lastRecord, lastRecordVersion, lastEvidence int64
	// auditJob is a finished verification job, for the /audit/jobs/{jid} routes (doneJob)
	auditJob int64
}

// doneJob records, once, a verification job that has finished with a verdict.
func (env *authzEnv) doneJob(t *testing.T) int64 {
	t.Helper()
	if env.auditJob != 0 {
		return env.auditJob
	}
	ctx := context.Background()
	st := env.h.db.Store
	id, err := st.CreateAuditJob(ctx, store.AuditJobVerify, env.setup.UserID, func(context.Context, pgx.Tx, int64) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartAuditJob(ctx, id, "test", time.Minute); err != nil {
		t.Fatal(err)
	}
	res, _ := json.Marshal(auditjob.VerifyResult{Job: id, History: store.VerifyResult{OK: true}, Comments: store.VerifyResult{OK: true}})
	if err := st.FinishAuditJob(ctx, id, "test", "done", 1, 1, res, ""); err != nil {
		t.Fatal(err)
	}
	env.auditJob = id
	return id
}

// cellEnv is what one cell's request is built from.
type cellEnv struct {
	env           *authzEnv
	t             *testing.T
	col           string
	colIdx        int
	email         string
	password      string
	caseID        int64
	requestID     int64
	personID      int64
	personVersion int64
	recordID      int64
	recordVersion int64
	evidenceID    int64
	otherID       int64
	victimID      int64
	victimVersion int64
	seq           int64
	// versionAs, when set, turns the case's current version into what the request sends as its
	// version (TestPrecondition_EveryCaseWrite: none, or a stale one).
	versionAs func(current int64) string
}

func (e *cellEnv) itoa(n int64) string { return strconv.FormatInt(n, 10) }

// draft saves a draft of the cell case's report_prelim (by the fixtures' manager), which a
// finalisation request then freezes.
func (e *cellEnv) draft() {
	e.t.Helper()
	if e.caseID == 0 {
		return
	}
	if _, err := e.env.h.db.Store.SaveDocumentDraft(context.Background(), e.caseID, documents.ReportPrelim, "速報", map[string]string{"item9": "追完予定"}, e.env.setup.UserID, time.Now()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *cellEnv) version() string {
	e.t.Helper()
	c, err := e.env.h.db.Store.GetCase(context.Background(), e.caseID)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.versionAs != nil {
		return e.versionAs(c.Version)
	}
	return e.itoa(c.Version)
}

// uploadToken stages a one-person CSV for the cell's own user, as the preview page would.
func (e *cellEnv) uploadToken() string {
	e.t.Helper()
	if e.colIdx == colAnon {
		return "none"
	}
	csv := []byte("氏名,メールアドレス\n鈴木 次郎,jiro@example.jp\n")
	tok, err := e.env.h.db.Store.SaveImportUpload(context.Background(), e.env.h.keys, e.caseID, e.env.users[e.colIdx].ID, csv, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func newAuthzEnv(t *testing.T) *authzEnv {
	t.Helper()
	h := newHarness(t)
	e := &authzEnv{h: h, svc: casework.New(h.db.Store)}
	for i := colStaff; i < nCols; i++ {
		u := h.user(authzColumns[i], authzRoles[i]...)
		e.users[i] = u
		e.actors[i] = actorOf(u)
		e.tokens[i] = h.token(authzColumns[i])
	}
	e.setup = actorOf(h.user("setup-manager", auth.RoleManager))
	for i := range nCols {
		e.clients[i] = h.client()
		if i != colAnon {
			e.clients[i].loginAs(authzColumns[i])
		}
	}
	// "other" handles a case of their own.
	if _, err := e.svc.Open(context.Background(), e.actors[colOther], "別の案件", nil, false); err != nil {
		t.Fatal(err)
	}
	return e
}

func actorOf(u store.User) incident.Actor {
	a := incident.Actor{UserID: u.ID, Name: u.Name}
	for _, r := range u.Roles {
		a.Roles = append(a.Roles, incident.Role(r))
	}
	return a
}

// fixture opens a case as staff, marks the "involved" column involved, adds one person and, per
// kind, a pending request or a completed discovery stage.
func (e *authzEnv) fixture(t *testing.T, kind fixKind) (caseID, requestID, personID, personVersion int64) {
	t.Helper()
	ctx := context.Background()
	staff := e.actors[colStaff]
	c, err := e.svc.Open(ctx, staff, "顧客リストの誤送信", map[string]any{
		"recognized_at": "2026-04-30T22:40", "reported_to_soumu_at": "2026-05-01T08:50",
		"containment_ordered_at": "2026-05-01T09:00", "prelim_screen": "suspected",
		"exec_notification_decision": "not_needed", "involves_my_number": "no",
		"suspected_route": "email_missend", "estimated_count_max": 3000,
		"initial_description": "取引先に顧客リストを誤送した。漏洩のおそれ。",
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c, _, err = e.svc.Do(ctx, c.ID, c.Version, staff, incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true}); err != nil {
		t.Fatal(err)
	}
	if c, _, err = e.svc.Do(ctx, c.ID, c.Version, e.setup, incident.MarkInvolved{UserID: e.users[colInvolved].ID, Involved: true, Reason: "誤送信した本人"}); err != nil {
		t.Fatal(err)
	}
	if kind != fixPlain {
		var req *incident.Request
		c, req, err = e.svc.Submit(ctx, c.ID, c.Version, staff, incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery, Note: "第一報完了"})
		if err != nil {
			t.Fatal(err)
		}
		requestID = req.ID
		if kind == fixDone || kind == fixRecord {
			if c, _, err = e.svc.Approve(ctx, req.ID, e.setup, "承認", 0); err != nil {
				t.Fatal(err)
			}
		}
		if kind == fixRecord {
			if c, _, err = e.svc.Do(ctx, c.ID, c.Version, staff, incident.AddRecord{Kind: incident.RecMonitoring,
				Values: map[string]any{"date": "2026-05-02", "searched_where": "web", "result": "nothing_found"}}); err != nil {
				t.Fatal(err)
			}
			rec := c.Records[len(c.Records)-1]
			e.lastRecord, e.lastRecordVersion = rec.ID, rec.Version
			var ev *incident.Evidence
			if c, ev, err = e.svc.AttachEvidence(ctx, c.ID, c.Version, staff, incident.StageContainment, "deletion.pdf", "application/pdf", "削除確認書",
				[]byte("%PDF-1.4\n削除確認書\n%%EOF\n")); err != nil {
				t.Fatal(err)
			}
			e.lastEvidence = ev.ID
		}
	}
	personID, err = e.h.db.Store.CreatePerson(ctx, e.h.keys, c.ID, staff.UserID,
		store.PersonData{Name: "田中 太郎", Kana: "タナカ タロウ", Email: "taro@example.jp"}, store.PersonNotice{Status: "unnotified"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.h.db.Store.GetPerson(ctx, e.h.keys, c.ID, personID)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, requestID, personID, p.Version
}

func (e *authzEnv) victim(t *testing.T) store.User {
	t.Helper()
	e.seq++
	u, err := e.h.db.Store.CreateUser(context.Background(), 0, fmt.Sprintf("victim-%d@example.jp", e.seq), "対象 利用者", []auth.Role{auth.RoleStaff}, "x")
	if err != nil {
		t.Fatal(err)
	}
	return u
}
