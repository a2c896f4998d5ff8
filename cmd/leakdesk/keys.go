package main

// leakdesk key: data-key rotation and the register's text index.

import (
	"context"
	"fmt"
	"io"

	"github.com/leakdesk/leakdesk/internal/pii"
	"github.com/leakdesk/leakdesk/internal/store"
	"github.com/leakdesk/leakdesk/internal/webhook"
)

// cmdKey rotates the data key of the affected-person register.
func cmdKey(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	sub, err := group(stdout, args, "key", "The data key of the affected-person register (docs/persons.md).",
		[]subcommand{{"rotate", "re-encrypt the register under a new data key"}, {"reindex", "fill the register's text index of older rows"}})
	if err != nil {
		return err
	}
	if sub == "reindex" {
		return cmdKeyReindex(ctx, args[1:], getenv, stdout)
	}
	fs := newFlags(stdout, "key rotate", "key rotate --new-key-file F",
		"Re-encrypt and re-index the affected-person register, and re-seal the evidence files and webhook secrets,\nunder a new data key, in batches; safe to run again after an interruption. The current key comes from LEAKDESK_DATA_KEY(_FILE). Stop every server first.")
	newFile := fs.String("new-key-file", "", "file with the new key (base64 of 32 random bytes)")
	if err := fs.parse(args[1:], 0, 0); err != nil {
		return err
	}
	if *newFile == "" {
		return fs.misuse("key rotate needs --new-key-file")
	}
	st, cfg, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	old, err := pii.LoadKeyring(cfg.DataKey, cfg.DataKeyFile)
	if err != nil {
		return fmt.Errorf("current data key: %w", err)
	}
	newKey, err := pii.ReadKeyFile(*newFile)
	if err != nil {
		return fmt.Errorf("new data key: %w", err)
	}
	if err := store.Rotate(ctx, st, old, newKey, webhook.ResealSecrets(st)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rotated to key %s; point LEAKDESK_DATA_KEY(_FILE) at it and start the servers\n", newKey.ID())
	return nil
}

// cmdKeyReindex fills the text index (migration 00015) of persons written before it; serve does the
// same at start, this is for doing it in a maintenance window instead.
func cmdKeyReindex(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlags(stdout, "key reindex", "key reindex",
		"Fill the search index of part of names, kana and addresses for persons written before migration 00015,\n500 rows per transaction (serve does it at start too). Needs the data key, LEAKDESK_DATA_KEY(_FILE).")
	if err := fs.parse(args, 0, 0); err != nil {
		return err
	}
	st, cfg, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	keys, err := pii.LoadKeyring(cfg.DataKey, cfg.DataKeyFile)
	if err != nil {
		return fmt.Errorf("data key: %w", err)
	}
	if err := st.CheckDataKey(ctx, keys); err != nil {
		return fmt.Errorf("data key: %w", err)
	}
	n, err := st.IndexPersonText(ctx, keys)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "indexed %d persons\n", n)
	return nil
}
