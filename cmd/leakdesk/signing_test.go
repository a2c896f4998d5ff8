package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/seed"
	"github.com/leakdesk/leakdesk/internal/testdb"
)

// serve refuses to start without a readable signing key, naming the variable; it never makes one up.
func TestServe_RefusesWithoutSigningKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "data-key")
	if err := os.WriteFile(keyFile, []byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, signing := range map[string]string{"unset": "", "missing": filepath.Join(dir, "nope"), "garbage": keyFile} {
		env := map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/x", "LEAKDESK_DATA_KEY_FILE": keyFile,
			"LEAKDESK_SIGNING_KEY_FILE": signing, "LEAKDESK_ADDR": "127.0.0.1:0"}
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, nil, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "LEAKDESK_SIGNING_KEY_FILE") {
			t.Errorf("%s: serve returned %v, want a refusal naming LEAKDESK_SIGNING_KEY_FILE", name, err)
		}
		if strings.Contains(out.String(), "serving") {
			t.Errorf("%s: serve started", name)
		}
	}
}

// keygen, pubkey and verify --witness end to end: the witness verifies with the key, fails (exit 1)
// with a key that did not sign it, and with an empty directory.
func TestAudit_KeygenPubkeyVerifyWitness(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	keyFile, witness := filepath.Join(dir, "signing-key"), filepath.Join(dir, "witness")
	var out bytes.Buffer
	if err := run(ctx, []string{"audit", "keygen", "--out", keyFile, "--name", "leakdesk-test"}, os.Getenv, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"audit", "keygen", "--out", keyFile}, os.Getenv, nil, &out, &out); err == nil {
		t.Fatal("keygen overwrote an existing key")
	}
	env := map[string]string{"DATABASE_URL": db.URL, "LEAKDESK_SIGNING_KEY_FILE": keyFile}
	getenv := func(k string) string { return env[k] }
	out.Reset()
	if err := run(ctx, []string{"audit", "pubkey"}, getenv, nil, &out, &out); err != nil || !strings.Contains(out.String(), "leakdesk-test+") {
		t.Fatalf("pubkey: %v\n%s", err, out.String())
	}
	signer, err := loadSigner(mustConfig(t, getenv))
	if err != nil {
		t.Fatal(err)
	}
	db.Store.Signer = signer
	key, _ := pii.NewKey(bytes.Repeat([]byte{5}, 32))
	kr := pii.NewKeyring(key)
	if err := db.Store.CheckDataKey(ctx, kr); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Run(ctx, db.Store, kr, seed.Options{Cases: 3, Seed: 1, Batch: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.WriteAnchor(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(witness, 0o755); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"audit", "verify", "--witness", witness}, getenv, nil, &out, &out); err != errVerifyFailed || !strings.Contains(out.String(), "NOTHING WITNESSED") {
		t.Fatalf("empty witness: %v\n%s", err, out.String())
	}
	if _, err := db.Store.SyncWitness(ctx, witness); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"audit", "verify", "--witness", witness}, getenv, nil, &out, &out); err != nil || !strings.Contains(out.String(), "witness: ok") {
		t.Fatalf("verify --witness: %v\n%s", err, out.String())
	}
	_, other, _ := checkpoint.GenerateKey("someone-else")
	out.Reset()
	err = run(ctx, []string{"audit", "verify", "--witness", witness, "--pubkey", other},
		func(k string) string { return map[string]string{"DATABASE_URL": db.URL}[k] }, nil, &out, &out)
	if err != errVerifyFailed || !strings.Contains(out.String(), "not trusted") {
		t.Fatalf("verify with another key: %v\n%s", err, out.String())
	}
}

func mustConfig(t *testing.T, getenv func(string) string) config.Config {
	t.Helper()
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
