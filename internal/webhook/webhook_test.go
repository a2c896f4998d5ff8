package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/leakdesk/leakdesk/internal/auth"
	"github.com/leakdesk/leakdesk/internal/casework"
	"github.com/leakdesk/leakdesk/internal/incident"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/testdb"
	"github.com/leakdesk/leakdesk/internal/webhook"
)

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url          string
		allowPrivate bool
		want         error
	}{
		{"https://hooks.example.com/leakdesk", false, nil},
		{"https://93.184.216.34/x", false, nil},
		{"http://hooks.example.com/x", false, webhook.ErrScheme},
		{"ftp://hooks.example.com/x", false, webhook.ErrScheme},
		{"https://user:pw@hooks.example.com/x", false, webhook.ErrURL},
		{"/relative", false, webhook.ErrURL},
		{"https://10.1.2.3/x", false, webhook.ErrPrivate},
		{"https://192.168.0.10/x", false, webhook.ErrPrivate},
		{"https://172.16.5.4/x", false, webhook.ErrPrivate},
		{"https://169.254.169.254/latest/meta-data", false, webhook.ErrPrivate},
		{"https://[fd00::1]/x", false, webhook.ErrPrivate},
		{"https://[::ffff:10.0.0.1]/x", false, webhook.ErrPrivate},
		{"https://100.64.0.1/x", false, webhook.ErrPrivate},
		{"https://0.0.0.0/x", false, webhook.ErrPrivate},
		{"http://127.0.0.1:9000/x", false, webhook.ErrPrivate},
		{"http://localhost:9000/x", false, webhook.ErrPrivate},
		{"http://127.0.0.1:9000/x", true, nil},
		{"https://10.1.2.3/x", true, nil},
		{"http://10.1.2.3/x", true, webhook.ErrScheme},
	} {
		if got := webhook.CheckURL(tc.url, tc.allowPrivate); !errors.Is(got, tc.want) {
			t.Errorf("CheckURL(%q, %v) = %v, want %v", tc.url, tc.allowPrivate, got, tc.want)
		}
	}
}

// receiver is a local webhook endpoint recording what it got; fail makes it answer 500 to the
// first n deliveries.
type receiver struct {
	mu   sync.Mutex
	got  []delivered
	fail int
	srv  *httptest.Server
}

type delivered struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, fail int) *receiver {
	rc := &receiver{fail: fail}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, delivered{r.Header.Clone(), b})
		failing := rc.fail > 0
		rc.fail--
		rc.mu.Unlock()
		if failing {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) deliveries() []delivered {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

type env struct {
	t     *testing.T
	db    *testdb.DB
	keys  *pii.Keyring
	svc   *casework.Service
	staff incident.Actor
	mgr   incident.Actor
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testdb.New(t)
	material := make([]byte, 32)
	_, _ = rand.Read(material)
	key, err := pii.NewKey(material)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, keys: pii.NewKeyring(key), svc: casework.New(db.Store)}
	for _, u := range []struct {
		key  string
		role auth.Role
		a    *incident.Actor
	}{{"staff", auth.RoleStaff, &e.staff}, {"manager", auth.RoleManager, &e.mgr}} {
		su, err := db.Store.CreateUser(context.Background(), 0, u.key+"@example.jp", "利用者 "+u.key, []auth.Role{u.role}, "x")
		if err != nil {
			t.Fatal(err)
		}
		*u.a = incident.Actor{UserID: su.ID, Name: su.Name, Roles: []incident.Role{incident.Role(u.role)}}
	}
	return e
}

// instance builds and starts one app instance's delivery workers on st.
func (e *env) instance(st *store.Store, hook bool) *webhook.Service {
	e.t.Helper()
	s, err := webhook.New(st, webhook.Config{Keys: e.keys, NoHook: !hook, RetryBase: time.Millisecond, Timeout: 5 * time.Second,
		FetchPollInterval: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return s
}

func (e *env) register(s *webhook.Service, url string, events ...string) string {
	e.t.Helper()
	_, secret, err := s.Register(context.Background(), e.mgr.UserID, webhook.NewEndpoint{URL: url, Events: events, AllowPrivate: true}, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// piiCase opens a case whose title and facts are full of things a webhook must never carry, and
// takes it through a request and its approval.
func (e *env) piiCase() *incident.Case {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.svc.Open(ctx, e.staff, "山田太郎様の顧客リスト誤送信", map[string]any{
		"recognized_at": time.Now().Add(-time.Hour).Format("2006-01-02T15:04"), "reported_to_soumu_at": time.Now().Add(-50 * time.Minute).Format("2006-01-02T15:04"),
		"initial_description": "山田太郎 yamada@example.jp 090-1234-5678 を誤送信", "containment_ordered_at": time.Now().Add(-40 * time.Minute).Format("2006-01-02T15:04"),
		"prelim_screen": "suspected", "exec_notification_decision": "not_needed", "involves_my_number": "no", "estimated_count_max": 3,
	}, false)
	if err != nil {
		e.t.Fatal(err)
	}
	if c, _, err = e.svc.Do(ctx, c.ID, c.Version, e.staff, incident.TickChecklist{ItemID: "discovery.evidence_preserved", Checked: true}); err != nil {
		e.t.Fatal(err)
	}
	c, req, err := e.svc.Submit(ctx, c.ID, c.Version, e.staff, incident.SubmitRequest{Kind: incident.KindComplete, Stage: incident.StageDiscovery, Note: "山田様へ連絡済み"})
	if err != nil {
		e.t.Fatal(err)
	}
	if c, _, err = e.svc.Approve(ctx, req.ID, e.mgr, "承認（山田様）", 0); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// Every delivery verifies with the Standard Webhooks reference library under the endpoint's
// secret and carries ids, number, stage and state only.
func TestDelivery_SignedWithoutPersonalData(t *testing.T) {
	e := newEnv(t)
	s := e.instance(e.db.Store, true)
	rc := newReceiver(t, 0)
	secret := e.register(s, rc.srv.URL+"/hook", webhook.EventTypes...)
	c := e.piiCase()
	// opened, discovery in progress, request waiting, request decided, discovery done and the
	// stages the approval opened.
	waitFor(t, "deliveries", func() bool { return len(rc.deliveries()) >= 5 })
	time.Sleep(300 * time.Millisecond)
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	ids := map[string]bool{}
	for _, d := range rc.deliveries() {
		if err := wh.Verify(d.body, d.header); err != nil {
			t.Errorf("signature does not verify: %v (%s)", err, d.header.Get("webhook-signature"))
		}
		if id := d.header.Get("webhook-id"); ids[id] {
			t.Errorf("message %s delivered twice", id)
		} else {
			ids[id] = true
		}
		for _, pii := range []string{"山田", "yamada", "090-1234", "誤送信", "承認"} {
			if strings.Contains(string(d.body), pii) {
				t.Errorf("delivery carries %q: %s", pii, d.body)
			}
		}
		var m struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(d.body, &m); err != nil {
			t.Fatal(err)
		}
		types[m.Type]++
		for k := range m.Data {
			if !slices.Contains([]string{"case_id", "number", "status", "drill", "stage", "state", "request_id", "kind", "due_at", "reminder"}, k) {
				t.Errorf("unexpected data field %q", k)
			}
		}
		if m.Data["number"] != c.Number {
			t.Errorf("number %v, want %s", m.Data["number"], c.Number)
		}
	}
	for _, want := range []string{webhook.CaseOpened, webhook.StageChanged, webhook.RequestWaiting, webhook.RequestDecided} {
		if types[want] == 0 {
			t.Errorf("no %s delivered (got %v)", want, types)
		}
	}
	// A tampered body does not verify.
	d := rc.deliveries()[0]
	if err := wh.Verify(append([]byte(" "), d.body...), d.header); err == nil {
		t.Error("a tampered body verified")
	}
}

// A receiver that fails is retried with backoff until it answers, and the log shows each attempt.
func TestDelivery_FailingReceiverRetriedAndLogged(t *testing.T) {
	e := newEnv(t)
	s := e.instance(e.db.Store, true)
	rc := newReceiver(t, 2)
	e.register(s, rc.srv.URL, webhook.CaseOpened)
	c, err := e.svc.Open(context.Background(), e.staff, "件名", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var log []webhook.Delivery
	waitFor(t, "three attempts", func() bool {
		log, err = s.Deliveries(context.Background(), 10)
		return err == nil && len(log) >= 3
	})
	slices.Reverse(log)
	for i, want := range []int{500, 500, 204} {
		d := log[i]
		if d.Attempt != i+1 || d.Status != want || d.CaseID != c.ID || d.EventType != webhook.CaseOpened {
			t.Errorf("attempt %d logged as %+v, want status %d", i+1, d, want)
		}
		if want == 500 && !strings.Contains(d.Error, "500") {
			t.Errorf("attempt %d error %q", i+1, d.Error)
		}
	}
	if !log[1].At.After(log[0].At) {
		t.Error("the retry was not later than the first attempt")
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(rc.deliveries()); n != 3 {
		t.Errorf("receiver got %d requests, want 3", n)
	}
}

// Two app instances working the same queue deliver each message once.
func TestDelivery_TwoInstancesEachMessageOnce(t *testing.T) {
	e := newEnv(t)
	a := e.instance(e.db.Store, true)
	second, err := store.Open(context.Background(), e.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(second.Close)
	e.instance(second, false)
	rc := newReceiver(t, 0)
	e.register(a, rc.srv.URL, webhook.CaseOpened, webhook.StageChanged)
	const cases = 8
	for i := range cases {
		if _, err := e.svc.Open(context.Background(), e.staff, "件名", map[string]any{"estimated_count_max": i}, false); err != nil {
			t.Fatal(err)
		}
	}
	// Each case: opened + discovery stage opened.
	waitFor(t, "all deliveries", func() bool { return len(rc.deliveries()) >= 2*cases })
	time.Sleep(time.Second)
	seen := map[string]int{}
	for _, d := range rc.deliveries() {
		seen[d.header.Get("webhook-id")]++
	}
	if len(seen) != 2*cases {
		t.Errorf("%d distinct messages, want %d", len(seen), 2*cases)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s delivered %d times", id, n)
		}
	}
}

// Registration refuses plain http, internal addresses and unknown event types, writing nothing.
func TestRegister_Refusals(t *testing.T) {
	e := newEnv(t)
	g := webhook.NewRegistry(e.db.Store, e.keys)
	for _, in := range []webhook.NewEndpoint{
		{URL: "http://hooks.example.com/x", Events: []string{webhook.CaseOpened}},
		{URL: "https://10.0.0.5/x", Events: []string{webhook.CaseOpened}},
		{URL: "https://169.254.169.254/x", Events: []string{webhook.CaseOpened}},
		{URL: "https://hooks.example.com/x", Events: []string{"case.deleted"}},
		{URL: "https://hooks.example.com/x"},
		{URL: "https://hooks.example.com/x", Events: []string{webhook.CaseOpened}, Secret: "short"},
	} {
		_, _, err := g.Register(context.Background(), e.mgr.UserID, in, time.Now())
		var de *incident.Error
		if !errors.As(err, &de) || de.Code != incident.CodeInvalid || len(de.Fields) == 0 {
			t.Errorf("%+v: err %v, want invalid with fields", in, err)
		}
	}
	if eps, err := g.Endpoints(context.Background()); err != nil || len(eps) != 0 {
		t.Errorf("endpoints after refusals: %v %v", eps, err)
	}
}

// A deadline reminder's transaction queues "deadline missed" for the endpoints that want it.
func TestDelivery_DeadlineMissedFromReminder(t *testing.T) {
	e := newEnv(t)
	s := e.instance(e.db.Store, true)
	rc := newReceiver(t, 0)
	e.register(s, rc.srv.URL, webhook.DeadlineMissed)
	c, err := e.svc.Open(context.Background(), e.staff, "件名", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tx, err := e.db.Store.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(-time.Minute)
	if err := s.EnqueueDeadlineTx(ctx, tx, c.ID, c.Number, false, "prelim_target", due, "missed"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deadline message", func() bool { return len(rc.deliveries()) == 1 })
	var m struct {
		Type string       `json:"type"`
		Data webhook.Data `json:"data"`
	}
	if err := json.Unmarshal(rc.deliveries()[0].body, &m); err != nil {
		t.Fatal(err)
	}
	if m.Type != webhook.DeadlineMissed || m.Data.Kind != "prelim_target" || m.Data.CaseID != c.ID || m.Data.DueAt != due.UTC().Format(time.RFC3339) {
		t.Errorf("deadline message %+v", m)
	}
}
