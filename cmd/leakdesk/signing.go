package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
	"github.com/leakdesk/leakdesk/internal/config"
	"github.com/leakdesk/leakdesk/internal/store"
)

// loadSigner reads the checkpoint signing key. serve refuses to start without one: it never signs
// with a key it made up (a key nobody kept proves nothing), so the message names the variable.
func loadSigner(cfg config.Config) (*checkpoint.Signer, error) {
	if cfg.SigningKeyFile == "" {
		return nil, errors.New("LEAKDESK_SIGNING_KEY_FILE is not set: serve signs every anchor with an Ed25519 key kept outside the database; create one with `leakdesk audit keygen --out FILE` (docs/operations.md, \"Signing key and witness\")")
	}
	b, err := os.ReadFile(cfg.SigningKeyFile)
	if err != nil {
		return nil, fmt.Errorf("LEAKDESK_SIGNING_KEY_FILE: %w", err)
	}
	s, err := checkpoint.NewSigner(string(b))
	if err != nil {
		return nil, fmt.Errorf("LEAKDESK_SIGNING_KEY_FILE %s: %w", cfg.SigningKeyFile, err)
	}
	return s, nil
}

// trustedKeys are the public keys a verification accepts: the current signing key's (when its file
// is readable), the earlier ones of LEAKDESK_VERIFY_KEYS_FILE, and any given with --pubkey.
func trustedKeys(cfg config.Config, extra []string) ([]string, error) {
	var keys []string
	if cfg.SigningKeyFile != "" {
		if s, err := loadSigner(cfg); err == nil {
			keys = append(keys, s.VerifierKey())
		}
	}
	if cfg.VerifyKeysFile != "" {
		f, err := os.Open(cfg.VerifyKeysFile)
		if err != nil {
			return nil, fmt.Errorf("LEAKDESK_VERIFY_KEYS_FILE: %w", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
				keys = append(keys, l)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("LEAKDESK_VERIFY_KEYS_FILE: %w", err)
		}
	}
	for _, k := range extra {
		keys = append(keys, readKeyArg(k))
	}
	return keys, nil
}

// readKeyArg accepts a public key or the name of a file holding one.
func readKeyArg(k string) string {
	if b, err := os.ReadFile(k); err == nil {
		return strings.TrimSpace(string(b))
	}
	return strings.TrimSpace(k)
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// auditKeygen writes a new signing key (mode 0600, never over an existing file) and prints its
// public key and fingerprint.
func auditKeygen(args []string, stdout io.Writer) error {
	fs := newFlags(stdout, "audit keygen", "audit keygen --out FILE [--name N]",
		"Create an Ed25519 checkpoint signing key (for LEAKDESK_SIGNING_KEY_FILE), mode 0600, never over\nan existing file, and print its public key and fingerprint.")
	out := fs.String("out", "", "`FILE` to write the private key to (required)")
	name := fs.String("name", "", "key name (default leakdesk-YYYYMMDD)")
	if err := fs.parse(args, 0, 0); err != nil {
		return err
	}
	if *out == "" {
		return fs.misuse("audit keygen: --out is required")
	}
	if *name == "" {
		*name = "leakdesk-" + time.Now().UTC().Format("20060102")
	}
	skey, vkey, err := checkpoint.GenerateKey(*name)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	if _, err := fmt.Fprintln(f, skey); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "public key   %s\nfingerprint  %s\n", vkey, checkpoint.Fingerprint(vkey))
	return nil
}

// auditPubkey prints the public key of LEAKDESK_SIGNING_KEY_FILE and the earlier trusted keys.
func auditPubkey(getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	s, err := loadSigner(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "current  %s\n         fingerprint %s\n", s.VerifierKey(), checkpoint.Fingerprint(s.VerifierKey()))
	keys, err := trustedKeys(config.Config{VerifyKeysFile: cfg.VerifyKeysFile}, nil)
	if err != nil {
		return err
	}
	for _, k := range keys {
		fmt.Fprintf(stdout, "earlier  %s\n         fingerprint %s\n", k, checkpoint.Fingerprint(k))
	}
	return nil
}

// problemSetter is the part of the readiness tracker the anchor loop reports to.
type problemSetter interface{ SetProblem(key, reason string) }

// anchorLoop writes a chain anchor (and, with it, a signed checkpoint) every few minutes, so that
// deleting the newest events of a case is detectable, and copies every checkpoint to the witness
// directory. A witness directory that is missing or not writable is reported on /readyz and
// retried every 30 s; the checkpoints wait in the database meanwhile, and the next successful copy
// writes every one it missed.
func anchorLoop(ctx context.Context, st *store.Store, witness string, ready problemSetter, log *slog.Logger) {
	anchor := time.NewTicker(5 * time.Minute)
	defer anchor.Stop()
	retry := time.NewTicker(30 * time.Second)
	defer retry.Stop()
	witnessed := true
	sync := func() {
		if witness == "" {
			return
		}
		if _, err := st.SyncWitness(ctx, witness); err != nil {
			if ctx.Err() == nil {
				log.Warn("witness directory", "err", err)
				ready.SetProblem("witness", err.Error())
			}
			witnessed = false
			return
		}
		ready.SetProblem("witness", "")
		witnessed = true
	}
	for {
		if _, err := st.WriteAnchor(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("chain anchor", "err", err)
		}
		sync()
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return
			case <-anchor.C:
				waiting = false
			case <-retry.C:
				if !witnessed {
					sync()
				}
			}
		}
	}
}
