package web_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/checkpoint"
)

// TestAudit_VerifyPageShowsKeyAndExportProvesOrigin: the auditor's verify page shows the signing
// key's fingerprint and every key that signed; a case export carries the signed checkpoint and the
// inclusion proof of the case's head, which verify offline with that key only.
func TestAudit_VerifyPageShowsKeyAndExportProvesOrigin(t *testing.T) {
	f := newAuditFixture(t)
	st := f.h.db.Store
	cl := f.h.client().loginAs("auditor")
	if r := cl.get("/audit/verify"); !strings.Contains(r.Body, `data-testid="signing-key-missing"`) {
		t.Fatal("the verify page does not say that no signing key is configured")
	}
	skey, vkey, err := checkpoint.GenerateKey("leakdesk-web-test")
	if err != nil {
		t.Fatal(err)
	}
	if st.Signer, err = checkpoint.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriteAnchor(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	r := cl.get("/audit/verify")
	fp := checkpoint.Fingerprint(vkey)
	if !strings.Contains(r.Body, fp) || !strings.Contains(r.Body, `data-testid="signing-keys-known"`) || !strings.Contains(r.Body, vkey) {
		t.Fatalf("the verify page does not show the key %s / %s", vkey, fp)
	}
	r = cl.get("/audit/cases/" + strconv.FormatInt(f.c.ID, 10) + "/export")
	if r.Status != 200 {
		t.Fatalf("export: %d", r.Status)
	}
	body := []byte(r.Body)
	res, err := archive.VerifyWith(bytes.NewReader(body), int64(len(body)), []string{vkey})
	if err != nil || len(res.Origins) != 1 || !res.Origins[0].Trusted || res.Origins[0].Fingerprint != fp || res.Origins[0].CaseID != f.c.ID {
		t.Fatalf("export origin: %+v %v", res.Origins, err)
	}
	_, other, _ := checkpoint.GenerateKey("someone-else")
	if _, err := archive.VerifyWith(bytes.NewReader(body), int64(len(body)), []string{other}); err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("export verified with another key: %v", err)
	}
}

// TestReadyz_WitnessProblem: a witness directory that cannot be written makes /readyz answer 503
// naming it, while the app keeps serving; once the anchor loop writes again it is ready.
func TestReadyz_WitnessProblem(t *testing.T) {
	h := newHarness(t)
	cl := h.client()
	if r := cl.get("/readyz"); r.Status != 200 {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}
	h.srv.Ready().SetProblem("witness", "witness directory /w is not writable")
	r := cl.get("/readyz")
	if r.Status != 503 || !strings.Contains(r.Body, "witness directory /w is not writable") {
		t.Fatalf("readyz with a witness problem: %d %s", r.Status, r.Body)
	}
	if r := cl.get("/login"); r.Status != 200 {
		t.Fatalf("the app stopped serving over a witness problem: %d", r.Status)
	}
	h.srv.Ready().SetProblem("witness", "")
	if r := cl.get("/readyz"); r.Status != 200 {
		t.Fatalf("readyz after the witness recovered: %d %s", r.Status, r.Body)
	}
}
