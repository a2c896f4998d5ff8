package store

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// RecomputeEveryHash is the attacker of the tamper tests: on a superuser connection with triggers
// off, after an event was edited, it recomputes every SHA-256 the database holds — each case's
// event chain, the anchored heads and the anchor chain — exactly as the store writes them, so that
// Verify (which uses no secret) finds nothing. It rewrites the kept canonical bytes (canon) with
// the hashes, as an attacker who understands the schema would. What it cannot do is sign.
func RecomputeEveryHash(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT case_id, seq, type, COALESCE(actor_id, 0), at, payload FROM case_events ORDER BY case_id, seq`)
	if err != nil {
		return err
	}
	type upd struct {
		cid, seq          int64
		prev, hash, canon []byte
	}
	var ups []upd
	var cur int64 = -1
	var prev []byte
	for rows.Next() {
		var cid int64
		var e incident.Event
		var payload []byte
		if err := rows.Scan(&cid, &e.Seq, &e.Type, &e.ActorID, &e.At, &payload); err != nil {
			return err
		}
		if cid != cur {
			cur, prev = cid, chain.GenesisPrev
		}
		if e.Payload, err = decodePayload(payload); err != nil {
			return err
		}
		canon, err := e.Canonical(cid)
		if err != nil {
			return err
		}
		h := chain.Hash(prev, canon)
		ups = append(ups, upd{cid, e.Seq, prev, h, canon})
		prev = h
	}
	rows.Close()
	for _, u := range ups {
		if _, err := conn.Exec(ctx, `UPDATE case_events SET prev_hash = $3, hash = $4, canon = $5 WHERE case_id = $1 AND seq = $2`, u.cid, u.seq, u.prev, u.hash, u.canon); err != nil {
			return err
		}
	}
	if _, err := conn.Exec(ctx, `UPDATE chain_anchor_heads h SET hash = e.hash FROM case_events e WHERE e.case_id = h.case_id AND e.seq = h.seq`); err != nil {
		return err
	}
	// The anchor chain: each anchor's head list from the (rewritten) heads, re-hashed in order.
	arows, err := conn.Query(ctx, `SELECT seq, at FROM chain_anchors ORDER BY seq`)
	if err != nil {
		return err
	}
	type anchor struct {
		seq int64
		at  time.Time
	}
	anchors, err := pgx.CollectRows(arows, func(r pgx.CollectableRow) (anchor, error) {
		var a anchor
		return a, r.Scan(&a.seq, &a.at)
	})
	if err != nil {
		return err
	}
	prev = chain.GenesisPrev
	for _, a := range anchors {
		hrows, err := conn.Query(ctx, `SELECT case_id, seq, hash FROM chain_anchor_heads WHERE anchor_seq = $1 ORDER BY case_id`, a.seq)
		if err != nil {
			return err
		}
		var list [][3]any
		for hrows.Next() {
			var cid, seq int64
			var h []byte
			if err := hrows.Scan(&cid, &seq, &h); err != nil {
				return err
			}
			list = append(list, [3]any{json.Number(fmt.Sprint(cid)), json.Number(fmt.Sprint(seq)), hex.EncodeToString(h)})
		}
		hrows.Close()
		canon, err := anchorCanonical(a.seq, a.at, list)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(list)
		if err != nil {
			return err
		}
		h := chain.Hash(prev, canon)
		if _, err := conn.Exec(ctx, `UPDATE chain_anchors SET heads = $2, prev_hash = $3, hash = $4 WHERE seq = $1`, a.seq, raw, prev, h); err != nil {
			return err
		}
		prev = h
	}
	return nil
}
