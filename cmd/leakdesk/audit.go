package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/leakdesk/leakdesk/internal/archive"
	"github.com/leakdesk/leakdesk/internal/checkpoint"
)

// errVerifyFailed makes the process exit non-zero after the verdict was printed.
var errVerifyFailed = errors.New("verification failed")

// cmdAudit runs `leakdesk audit verify [--case N]` (recompute the hash chains in the database) and
// `leakdesk audit verify-export FILE` (check an exported case file offline, without a database).
// Both print their verdict; a failed verification returns an error, so the exit status is 1.
func cmdAudit(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	sub, err := group(stdout, args, "audit", "Check the tamper-evident records.", []subcommand{
		{"verify", "recompute the hash chains in the database (and check them against the witnessed checkpoints)"},
		{"verify-export", "check an exported case file offline, and which key signed it"},
		{"keygen", "create an Ed25519 checkpoint signing key"},
		{"pubkey", "print the signing key's public key and fingerprint"}})
	if err != nil {
		return err
	}
	switch sub {
	case "verify":
		fs := newFlags(stdout, "audit verify", "audit verify [--case N] | audit verify --witness DIR [--pubkey KEY]...",
			"Recompute the hash chains of the case events and review comments in the database (DATABASE_URL).\n"+
				"With --witness, also check the database against every signed checkpoint witnessed in DIR:\n"+
				"each tree consistent with the next, every case head included. Exit 1 naming the first bad event or case.")
		caseID := fs.Int64("case", 0, "verify only this case id (0: every case)")
		witness := fs.String("witness", "", "also check the database against every checkpoint witnessed in `DIR`")
		var pubkeys multiFlag
		fs.Var(&pubkeys, "pubkey", "a trusted public `KEY` (or a file holding one); repeatable")
		if err := fs.parse(args[1:], 0, 0); err != nil {
			return err
		}
		if *caseID < 0 {
			return fs.misuse("audit verify: --case must be a case id")
		}
		if *witness != "" && *caseID != 0 {
			return fs.misuse("audit verify: --witness checks every case; leave out --case")
		}
		if err := auditVerify(ctx, *caseID, getenv, stdout); err != nil || *witness == "" {
			return err
		}
		return auditVerifyWitness(ctx, *witness, pubkeys, getenv, stdout)
	case "keygen":
		return auditKeygen(args[1:], stdout)
	case "pubkey":
		if err := newFlags(stdout, "audit pubkey", "audit pubkey",
			"Print the public key and fingerprint of the checkpoint signing key (LEAKDESK_SIGNING_KEY_FILE).").parse(args[1:], 0, 0); err != nil {
			return err
		}
		return auditPubkey(getenv, stdout)
	default:
		fs := newFlags(stdout, "audit verify-export", "audit verify-export FILE [--pubkey KEY]...",
			"Check an exported case file (ZIP) offline, without a database: every file against the sealed\n"+
				"manifest, every event and comment against the chain heads, and the signed checkpoint with the\n"+
				"inclusion proof of the case's head. Says which key signed it. Exit 1 when anything does not match.")
		var pubkeys multiFlag
		fs.Var(&pubkeys, "pubkey", "a trusted public `KEY` (or a file holding one); repeatable")
		// FILE may come before or after the flags.
		rest := args[1:]
		var file string
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") && rest[0] != "help" {
			file, rest = rest[0], rest[1:]
		}
		want := 1 // FILE after the flags
		if file != "" {
			want = 0
		}
		if err := fs.parse(rest, want, want); err != nil {
			return err
		}
		if file == "" {
			file = fs.Arg(0)
		}
		var keys []string
		for _, k := range pubkeys {
			keys = append(keys, readKeyArg(k))
		}
		return auditVerifyExport(file, keys, stdout)
	}
}

func auditVerify(ctx context.Context, caseID int64, getenv func(string) string, stdout io.Writer) error {
	st, _, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Verify(ctx, caseID)
	if err != nil {
		return err
	}
	cres, err := st.VerifyAuditComments(ctx, caseID)
	if err != nil {
		return err
	}
	ok := true
	if res.OK {
		fmt.Fprintf(stdout, "events: ok — %d events in %d cases recomputed; no tampering detected (改ざんは検出されませんでした)\n", res.Checked, res.Cases)
	} else {
		ok = false
		fmt.Fprintf(stdout, "events: BROKEN — first bad: case %d, seq %d: %s\n", res.FirstBad.CaseID, res.FirstBad.Seq, res.FirstBad.Reason)
	}
	if cres.OK {
		fmt.Fprintf(stdout, "review comments: ok — %d comments recomputed\n", cres.Checked)
	} else {
		ok = false
		fmt.Fprintf(stdout, "review comments: BROKEN — first bad: case %d, comment %d: %s\n", cres.FirstBad.CaseID, cres.FirstBad.Seq, cres.FirstBad.Reason)
	}
	if !ok {
		return errVerifyFailed
	}
	return nil
}

// auditVerifyWitness checks the database against the witness directory (store.VerifyWitness).
func auditVerifyWitness(ctx context.Context, dir string, pubkeys []string, getenv func(string) string, stdout io.Writer) error {
	st, cfg, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	trusted, err := trustedKeys(cfg, pubkeys)
	if err != nil {
		return err
	}
	if len(trusted) == 0 {
		return errors.New("no trusted public key: set LEAKDESK_SIGNING_KEY_FILE or LEAKDESK_VERIFY_KEYS_FILE, or pass --pubkey")
	}
	v, err := st.VerifyWitness(ctx, dir, trusted)
	var f *checkpoint.Failure
	if errors.As(err, &f) {
		fmt.Fprintf(stdout, "witness: BROKEN — %s\n", f.Error())
		return errVerifyFailed
	}
	if err != nil {
		return err
	}
	if v.Checkpoints == 0 {
		fmt.Fprintf(stdout, "witness: NOTHING WITNESSED — %s holds no checkpoint, so it proves nothing (is LEAKDESK_WITNESS_DIR this directory?)\n", dir)
		return errVerifyFailed
	}
	fmt.Fprintf(stdout, "witness: ok — %d signed checkpoints in %s, %d leaves (%d cases registered), every witnessed head stored unchanged\n",
		v.Checkpoints, dir, v.Leaves, v.Registry)
	for _, k := range v.Keys {
		fmt.Fprintf(stdout, "  signed by %s (fingerprint %s)\n", k, checkpoint.Fingerprint(k))
	}
	if v.Checkpoints > 0 {
		fmt.Fprintf(stdout, "  last checkpoint: anchor %d at %s, tree size %d\n", v.Last.Anchor, v.Last.At.Format(time.RFC3339), v.Last.Size)
	}
	if v.Unwitnessed > 0 {
		fmt.Fprintf(stdout, "  %d cases changed since the last witnessed checkpoint (covered by the next one)\n", v.Unwitnessed)
	}
	return nil
}

func auditVerifyExport(path string, trusted []string, stdout io.Writer) error {
	res, err := archive.VerifyFileWith(path, trusted)
	var mm *archive.Mismatch
	switch {
	case errors.As(err, &mm):
		fmt.Fprintln(stdout, "FAILED:", mm.Error())
		return errVerifyFailed
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "ok — %d files match the manifest; %d events and %d comments recompute to the chain heads in the manifest\n",
		res.Files, res.Events, res.Comments)
	for _, c := range res.Manifest.Cases {
		drill := ""
		if c.Drill {
			drill = " [drill]"
		}
		fmt.Fprintf(stdout, "  %s%s: %d events, head %s\n", c.Number, drill, c.Events, c.ChainHead)
	}
	fmt.Fprintf(stdout, "exported %s by %s; seal %s\n", res.Manifest.CreatedAt, res.Manifest.CreatedBy.Name, res.Manifest.Seal)
	for _, o := range res.Origins {
		trust := "a key you gave (--pubkey)"
		if !o.Trusted {
			trust = "the key the file names — compare its fingerprint with the one on the auditor's verify page or `leakdesk audit pubkey`"
		}
		fmt.Fprintf(stdout, "  %s: event %d is in the signed checkpoint of anchor %d (%s, %d leaves)\n    signed by %s\n    fingerprint %s — %s\n",
			o.Number, o.Seq, o.Head.Anchor, o.Head.At.Format(time.RFC3339), o.Head.Size, o.VerifierKey, o.Fingerprint, trust)
	}
	if len(res.Origins) < len(res.Manifest.Cases) {
		fmt.Fprintf(stdout, "  %d of %d cases carry no signed checkpoint (exported before the first one covered them)\n",
			len(res.Manifest.Cases)-len(res.Origins), len(res.Manifest.Cases))
	}
	return nil
}
