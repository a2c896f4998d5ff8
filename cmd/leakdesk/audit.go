package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/leakdesk/leakdesk/internal/archive"
)

// errVerifyFailed makes the process exit non-zero after the verdict was printed.
var errVerifyFailed = errors.New("verification failed")

// cmdAudit runs `leakdesk audit verify [--case N]` (recompute the hash chains in the database) and
// `leakdesk audit verify-export FILE` (check an exported case file offline, without a database).
// Both print their verdict; a failed verification returns an error, so the exit status is 1.
func cmdAudit(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	sub, err := group(stdout, args, "audit", "Check the tamper-evident records.", []subcommand{
		{"verify", "recompute the hash chains in the database"}, {"verify-export", "check an exported case file offline"}})
	if err != nil {
		return err
	}
	switch sub {
	case "verify":
		fs := newFlags(stdout, "audit verify", "audit verify [--case N]",
			"Recompute the hash chains of the case events and review comments in the database (DATABASE_URL).\nExit 1 naming the first bad event.")
		caseID := fs.Int64("case", 0, "verify only this case id (0: every case)")
		if err := fs.parse(args[1:], 0, 0); err != nil {
			return err
		}
		if *caseID < 0 {
			return fs.misuse("audit verify: --case must be a case id")
		}
		return auditVerify(ctx, *caseID, getenv, stdout)
	default:
		fs := newFlags(stdout, "audit verify-export", "audit verify-export FILE",
			"Check an exported case file (ZIP) offline, without a database: every file against the sealed\nmanifest, every event and comment against the chain heads. Exit 1 when anything does not match.")
		if err := fs.parse(args[1:], 1, 1); err != nil {
			return err
		}
		return auditVerifyExport(fs.Arg(0), stdout)
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

func auditVerifyExport(path string, stdout io.Writer) error {
	res, err := archive.VerifyFile(path)
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
	return nil
}
