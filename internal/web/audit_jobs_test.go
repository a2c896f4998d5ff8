package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/auditjob"
)

var jobPathRe = regexp.MustCompile(`^/audit/jobs/(\d+)$`)

// startVerify posts the auditor's "verify every case" and returns the progress page's path.
func startVerify(t *testing.T, cl *client) string {
	t.Helper()
	r := cl.postForm("/audit/verify", "/audit/verify", nil)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !jobPathRe.MatchString(loc) {
		t.Fatalf("start verify: %d %q: %.300s", r.Status, loc, r.Body)
	}
	return loc
}

// waitJob reloads the progress page, as the browser's meta refresh does, until the job's state is
// want.
func waitJob(t *testing.T, cl *client, path, want string) resp {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := cl.get(path)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", path, r.Status)
		}
		if strings.Contains(r.Body, `data-state="`+want+`"`) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not %s after 60 s: %.600s", path, want, stripTags(r.Body))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startJobs works the harness's audit jobs until the test ends.
func startJobs(t *testing.T, h *harness) {
	t.Helper()
	if err := h.srv.AuditJobs().Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = h.srv.AuditJobs().Stop(ctx)
	})
}

// TestAuditJobs_VerifyRunsInTheBackground: the auditor's "verify all" is a job, not a request. The
// progress page reloads itself (meta refresh, no script) while it is queued or running, shows a
// progress bar and a cancel button; the finished job shows the verdict, stops reloading, and its
// result downloads as JSON; the verify page then shows that verdict to the desk's other readers,
// who may not start, watch or download jobs.
func TestAuditJobs_VerifyRunsInTheBackground(t *testing.T) {
	f := newAuditFixture(t)
	cl := f.h.client().loginAs("auditor")
	if r := cl.get("/audit/verify"); !strings.Contains(r.Body, `data-testid="verify-none"`) || !strings.Contains(r.Body, `data-testid="verify-start"`) {
		t.Fatalf("verify page before any job: %.400s", stripTags(r.Body))
	}
	path := startVerify(t, cl)
	// No worker yet: the job waits, and its page says so and reloads itself.
	r := cl.get(path)
	for _, want := range []string{`data-state="queued"`, `<meta http-equiv="refresh" content="2">`, `data-testid="job-progress"`, `data-testid="job-cancel"`} {
		if !strings.Contains(r.Body, want) {
			t.Fatalf("queued job page lacks %s: %.600s", want, r.Body)
		}
	}
	if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, "style=") {
		t.Fatal("the progress page carries inline script or style (strict CSP)")
	}
	startJobs(t, f.h)
	r = waitJob(t, cl, path, "done")
	if !strings.Contains(r.Body, `data-testid="verify-ok"`) || strings.Contains(r.Body, `http-equiv="refresh"`) || strings.Contains(r.Body, `data-testid="job-cancel"`) {
		t.Fatalf("finished job page: %.600s", stripTags(r.Body))
	}
	if !strings.Contains(r.Body, `value="100"`) {
		t.Fatalf("finished job's progress is not 100%%: %.600s", r.Body)
	}
	dl := cl.get(path + "/result")
	if dl.Status != http.StatusOK || !strings.Contains(dl.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("result: %d %v", dl.Status, dl.Header)
	}
	var res auditjob.VerifyResult
	if err := json.Unmarshal([]byte(dl.Body), &res); err != nil || !res.History.OK || res.History.Checked == 0 || res.History.Cases == 0 || !res.Comments.OK {
		t.Fatalf("result %s: %+v %v", dl.Body, res, err)
	}
	// The desk's other readers see the verdict, not the jobs' controls.
	mg := f.h.client().loginAs("manager")
	r = mg.get("/audit/verify")
	if !strings.Contains(r.Body, `data-testid="verify-ok"`) || strings.Contains(r.Body, `data-testid="verify-start"`) || strings.Contains(r.Body, `href="/audit/jobs/`) {
		t.Fatalf("manager's verify page: %.600s", stripTags(r.Body))
	}
	for _, p := range []string{path, path + "/result"} {
		if r := mg.get(p); r.Status != http.StatusForbidden {
			t.Fatalf("manager GET %s: %d", p, r.Status)
		}
	}
}

// TestAuditJobs_CancelStopsARunningVerification: a cancel reaches a verification that is running
// (held here behind a lock on the events table, as a long read would be) and stops it: the job ends
// cancelled, with no result to download, and the verification's queries are gone.
func TestAuditJobs_CancelStopsARunningVerification(t *testing.T) {
	f := newAuditFixture(t)
	ctx := context.Background()
	lock, err := pgx.Connect(ctx, f.h.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(ctx)
	tx, err := lock.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE case_events IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	cl := f.h.client().loginAs("auditor")
	path := startVerify(t, cl)
	startJobs(t, f.h)
	r := waitJob(t, cl, path, "running")
	if !strings.Contains(r.Body, `http-equiv="refresh"`) {
		t.Fatal("a running job's page does not reload itself")
	}
	if r := cl.postForm(path, path+"/cancel", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", r.Status)
	}
	waitJob(t, cl, path, "cancelled")
	if r := cl.get(path + "/result"); r.Status != http.StatusNotFound {
		t.Fatalf("result of a cancelled job: %d", r.Status)
	}
	// The verification's query was cancelled on the server, not left waiting behind the lock.
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		var waiting int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE relation = 'case_events'::regclass AND NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 0 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%d queries of the cancelled verification still wait for the events", waiting)
		}
	}
	// Cancelling a finished job changes nothing.
	if r := cl.postForm(path, path+"/cancel", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("second cancel: %d", r.Status)
	}
	waitJob(t, cl, path, "cancelled")
}

// TestAuditJobs_CancelBeforeItStarts: a queued job that is cancelled never runs.
func TestAuditJobs_CancelBeforeItStarts(t *testing.T) {
	f := newAuditFixture(t)
	cl := f.h.client().loginAs("auditor")
	path := startVerify(t, cl)
	if r := cl.postForm(path, path+"/cancel", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", r.Status)
	}
	waitJob(t, cl, path, "cancelled")
	startJobs(t, f.h)
	time.Sleep(2 * time.Second) // River's fetch interval: the job had its chance to start
	waitJob(t, cl, path, "cancelled")
}
