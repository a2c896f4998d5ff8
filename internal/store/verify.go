package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/chain"
	"github.com/leakdesk/leakdesk/internal/incident"
)

// BadLink names the first place where the history does not verify.
type BadLink struct {
	CaseID int64  `json:"case_id"`
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// VerifyResult is the verdict of Verify.
type VerifyResult struct {
	OK       bool     `json:"ok"`
	Checked  int64    `json:"checked"` // events whose hash was recomputed
	Cases    int64    `json:"cases"`
	FirstBad *BadLink `json:"first_bad"`
}

// Verify recomputes the hash chains: every event of every case (or of one case), the global
// registry of cases (a case whose row and history were deleted is missing from it), and the head
// anchors (trailing events deleted after an anchor are missing from it). It stops at the first bad
// link. It reads in one repeatable-read snapshot, so concurrent writes cannot cause false alarms.
func (s *Store) Verify(ctx context.Context, caseID int64) (VerifyResult, error) {
	var res VerifyResult
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		bad, err := verifyRegistry(ctx, tx, caseID, &res)
		if err != nil || bad != nil {
			res.FirstBad = bad
			return err
		}
		bad, err = verifyEvents(ctx, tx, caseID, &res)
		if err != nil || bad != nil {
			res.FirstBad = bad
			return err
		}
		bad, err = verifyAnchors(ctx, tx, caseID)
		res.FirstBad = bad
		return err
	})
	if err != nil {
		return res, fmt.Errorf("store: verify: %w", err)
	}
	res.OK = res.FirstBad == nil
	return res, nil
}

func verifyRegistry(ctx context.Context, tx pgx.Tx, onlyCase int64, res *VerifyResult) (*BadLink, error) {
	if onlyCase != 0 {
		return verifyRegistryEntry(ctx, tx, onlyCase)
	}
	rows, err := tx.Query(ctx, `SELECT r.seq, r.case_id, r.number, r.created_at, r.prev_hash, r.hash,
		c.id IS NOT NULL, EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = r.case_id AND e.seq = 1)
		FROM case_registry r LEFT JOIN cases c ON c.id = r.case_id ORDER BY r.seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	prev := chain.GenesisPrev
	var want int64 = 1
	for rows.Next() {
		var seq, cid int64
		var number string
		var at time.Time
		var prevHash, hash []byte
		var hasRow, hasFirst bool
		if err := rows.Scan(&seq, &cid, &number, &at, &prevHash, &hash, &hasRow, &hasFirst); err != nil {
			return nil, err
		}
		canon, err := registryCanonical(seq, cid, number, at)
		if err != nil {
			return nil, err
		}
		switch {
		case seq != want:
			return &BadLink{CaseID: cid, Seq: 0, Reason: fmt.Sprintf("case registry entry %d missing (found %d)", want, seq)}, nil
		case !bytes.Equal(prevHash, prev) || !bytes.Equal(hash, chain.Hash(prevHash, canon)):
			return &BadLink{CaseID: cid, Seq: 0, Reason: fmt.Sprintf("case registry entry %d was altered", seq)}, nil
		case (onlyCase == 0 || onlyCase == cid) && !hasRow:
			return &BadLink{CaseID: cid, Seq: 0, Reason: "the case was deleted (it is in the registry but its row is gone)"}, nil
		case (onlyCase == 0 || onlyCase == cid) && !hasFirst:
			return &BadLink{CaseID: cid, Seq: 1, Reason: "the case's history was deleted"}, nil
		}
		prev, want = hash, seq+1
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// A case row that never went through the registry was inserted behind the app's back.
	var stray int64
	q := `SELECT c.id FROM cases c LEFT JOIN case_registry r ON r.case_id = c.id WHERE r.case_id IS NULL`
	args := []any{}
	if onlyCase != 0 {
		q += ` AND c.id = $1`
		args = append(args, onlyCase)
	}
	err = tx.QueryRow(ctx, q+` ORDER BY c.id LIMIT 1`, args...).Scan(&stray)
	if err == nil {
		return &BadLink{CaseID: stray, Seq: 0, Reason: "the case is not in the case registry"}, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	return nil, nil
}

// verifyRegistryEntry checks one case's place in the registry chain: its entry hashes to itself,
// links to the entry before it and is linked to by the entry after it, and the case's row and first
// event exist. It reads three registry rows, so the verdict on one case (the case page an auditor
// opens) costs the same at a million cases as at a thousand; the whole chain is walked by Verify
// for all cases (docs/performance.md, "Scale").
func verifyRegistryEntry(ctx context.Context, tx pgx.Tx, caseID int64) (*BadLink, error) {
	var seq int64
	var number string
	var at time.Time
	var prevHash, hash, before, afterPrev []byte
	var hasRow, hasFirst, hasBefore, hasAfter bool
	err := tx.QueryRow(ctx, `SELECT r.seq, r.number, r.created_at, r.prev_hash, r.hash,
		EXISTS (SELECT 1 FROM cases c WHERE c.id = r.case_id),
		EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = r.case_id AND e.seq = 1),
		p.seq IS NOT NULL, p.hash, n.seq IS NOT NULL, n.prev_hash
		FROM case_registry r
		LEFT JOIN case_registry p ON p.seq = r.seq - 1
		LEFT JOIN case_registry n ON n.seq = r.seq + 1
		WHERE r.case_id = $1`, caseID).Scan(&seq, &number, &at, &prevHash, &hash, &hasRow, &hasFirst, &hasBefore, &before, &hasAfter, &afterPrev)
	if errors.Is(err, pgx.ErrNoRows) {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1)`, caseID).Scan(&exists); err != nil {
			return nil, err
		}
		if exists {
			return &BadLink{CaseID: caseID, Seq: 0, Reason: "the case is not in the case registry"}, nil
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	canon, err := registryCanonical(seq, caseID, number, at)
	if err != nil {
		return nil, err
	}
	switch {
	case seq > 1 && !hasBefore:
		return &BadLink{CaseID: caseID, Seq: 0, Reason: fmt.Sprintf("case registry entry %d missing (found %d)", seq-1, seq)}, nil
	case !bytes.Equal(hash, chain.Hash(prevHash, canon)),
		seq == 1 && !bytes.Equal(prevHash, chain.GenesisPrev),
		hasBefore && !bytes.Equal(prevHash, before),
		hasAfter && !bytes.Equal(afterPrev, hash):
		return &BadLink{CaseID: caseID, Seq: 0, Reason: fmt.Sprintf("case registry entry %d was altered", seq)}, nil
	case !hasRow:
		return &BadLink{CaseID: caseID, Seq: 0, Reason: "the case was deleted (it is in the registry but its row is gone)"}, nil
	case !hasFirst:
		return &BadLink{CaseID: caseID, Seq: 1, Reason: "the case's history was deleted"}, nil
	}
	return nil, nil
}

// verifyEvents streams the events in (case, seq) order and checks each chain incrementally, so
// memory stays flat however many events there are.
func verifyEvents(ctx context.Context, tx pgx.Tx, onlyCase int64, res *VerifyResult) (*BadLink, error) {
	q := `SELECT e.case_id, e.seq, e.type, COALESCE(e.actor_id, 0), e.at, e.payload, e.prev_hash, e.hash FROM case_events e`
	args := []any{}
	if onlyCase != 0 {
		q += ` WHERE e.case_id = $1`
		args = append(args, onlyCase)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY e.case_id, e.seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cur int64 = -1
	var prev []byte
	var want int64
	heads := map[int64]int64{}
	for rows.Next() {
		var cid int64
		var e incident.Event
		var payload, prevHash, hash []byte
		if err := rows.Scan(&cid, &e.Seq, &e.Type, &e.ActorID, &e.At, &payload, &prevHash, &hash); err != nil {
			return nil, err
		}
		if cid != cur {
			cur, prev, want = cid, chain.GenesisPrev, 1
			res.Cases++
		}
		res.Checked++
		if e.Seq != want {
			return &BadLink{CaseID: cid, Seq: want, Reason: fmt.Sprintf("event %d is missing (next stored is %d)", want, e.Seq)}, nil
		}
		if !bytes.Equal(prevHash, prev) {
			return &BadLink{CaseID: cid, Seq: e.Seq, Reason: "prev hash does not match the previous event"}, nil
		}
		p, err := decodePayload(payload)
		if err != nil {
			return &BadLink{CaseID: cid, Seq: e.Seq, Reason: "payload is not valid JSON"}, nil
		}
		e.Payload = p
		canon, err := e.Canonical(cid)
		if err != nil {
			return &BadLink{CaseID: cid, Seq: e.Seq, Reason: "payload cannot be canonicalised"}, nil
		}
		if !bytes.Equal(hash, chain.Hash(prevHash, canon)) {
			return &BadLink{CaseID: cid, Seq: e.Seq, Reason: "hash does not match the event content (edited)"}, nil
		}
		prev, want = hash, want+1
		heads[cid] = e.Seq
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The projection's version is the newest seq: a deleted trailing event shows here until someone
	// also edits the projection, and then in the anchors.
	vq := `SELECT id, version FROM cases`
	if onlyCase != 0 {
		vq += ` WHERE id = $1`
	}
	vrows, err := tx.Query(ctx, vq+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer vrows.Close()
	for vrows.Next() {
		var id, version int64
		if err := vrows.Scan(&id, &version); err != nil {
			return nil, err
		}
		if heads[id] != version {
			return &BadLink{CaseID: id, Seq: heads[id] + 1, Reason: fmt.Sprintf("the case is at version %d but its history ends at %d (events deleted)", version, heads[id])}, nil
		}
	}
	return nil, vrows.Err()
}

func verifyAnchors(ctx context.Context, tx pgx.Tx, onlyCase int64) (*BadLink, error) {
	if onlyCase != 0 {
		return verifyAnchoredHeads(ctx, tx, onlyCase)
	}
	rows, err := tx.Query(ctx, `SELECT seq, at, heads, prev_hash, hash FROM chain_anchors ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	type head struct {
		caseID, seq int64
		hash        []byte
	}
	var all []head
	prev := chain.GenesisPrev
	var want int64 = 1
	for rows.Next() {
		var seq int64
		var at time.Time
		var headsRaw, prevHash, hash []byte
		if err := rows.Scan(&seq, &at, &headsRaw, &prevHash, &hash); err != nil {
			rows.Close()
			return nil, err
		}
		var heads [][3]any
		dec := json.NewDecoder(bytes.NewReader(headsRaw))
		dec.UseNumber()
		if err := dec.Decode(&heads); err != nil {
			rows.Close()
			return &BadLink{Reason: fmt.Sprintf("anchor %d is unreadable", seq)}, nil
		}
		canon, err := anchorCanonical(seq, at, heads)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if seq != want || !bytes.Equal(prevHash, prev) || !bytes.Equal(hash, chain.Hash(prevHash, canon)) {
			rows.Close()
			return &BadLink{Reason: fmt.Sprintf("anchor %d was altered or removed", seq)}, nil
		}
		for _, h := range heads {
			cid, _ := h[0].(json.Number).Int64()
			hs, _ := h[1].(json.Number).Int64()
			hx, _ := h[2].(string)
			hb, _ := hex.DecodeString(hx)
			all = append(all, head{cid, hs, hb})
		}
		prev, want = hash, seq+1
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, h := range all {
		if onlyCase != 0 && h.caseID != onlyCase {
			continue
		}
		var hash []byte
		err := tx.QueryRow(ctx, `SELECT hash FROM case_events WHERE case_id = $1 AND seq = $2`, h.caseID, h.seq).Scan(&hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return &BadLink{CaseID: h.caseID, Seq: h.seq, Reason: "an anchored event is missing (history truncated)"}, nil
		}
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(hash, h.hash) {
			return &BadLink{CaseID: h.caseID, Seq: h.seq, Reason: "an anchored event has a different hash (history rewritten)"}, nil
		}
	}
	return nil, nil
}

// verifyAnchoredHeads checks only the anchored heads of one case against its events; the anchor
// chain itself is checked by Verify for all cases. PostgreSQL picks the case's heads out of the
// anchors, instead of this process decoding and re-hashing every head of every anchor (1.5 s per
// case page at 100 k cases). It still reads every anchor's head list (≈ 0.1 s at 100 k): an
// index of anchored heads by case would make it constant (docs/performance.md, "Scale").
func verifyAnchoredHeads(ctx context.Context, tx pgx.Tx, caseID int64) (*BadLink, error) {
	rows, err := tx.Query(ctx, `SELECT (h->>1)::bigint, h->>2 FROM chain_anchors a, jsonb_array_elements(a.heads) h
		WHERE h->>0 = $1::text ORDER BY a.seq`, fmt.Sprint(caseID))
	if err != nil {
		return nil, err
	}
	type head struct {
		seq  int64
		hash []byte
	}
	var heads []head
	for rows.Next() {
		var h head
		var hx string
		if err := rows.Scan(&h.seq, &hx); err != nil {
			rows.Close()
			return nil, err
		}
		h.hash, _ = hex.DecodeString(hx)
		heads = append(heads, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, h := range heads {
		var hash []byte
		err := tx.QueryRow(ctx, `SELECT hash FROM case_events WHERE case_id = $1 AND seq = $2`, caseID, h.seq).Scan(&hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return &BadLink{CaseID: caseID, Seq: h.seq, Reason: "an anchored event is missing (history truncated)"}, nil
		}
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(hash, h.hash) {
			return &BadLink{CaseID: caseID, Seq: h.seq, Reason: "an anchored event has a different hash (history rewritten)"}, nil
		}
	}
	return nil, nil
}

func anchorCanonical(seq int64, at time.Time, heads [][3]any) ([]byte, error) {
	list := make([]any, len(heads))
	for i, h := range heads {
		list[i] = []any{h[0], h[1], h[2]}
	}
	return chain.Canonical(map[string]any{"seq": seq, "at": at.UTC().Format(time.RFC3339Nano), "heads": list})
}

// WriteAnchor records the chain heads of every case that changed since the previous anchor, in the
// anchor chain. Run periodically (serve does, every few minutes) and before backups; safe to run
// from several instances at once (an advisory lock orders them).
func (s *Store) WriteAnchor(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7310002)`); err != nil {
			return err
		}
		var seq int64
		var since time.Time
		prev := chain.GenesisPrev
		err := tx.QueryRow(ctx, `SELECT seq, at, hash FROM chain_anchors ORDER BY seq DESC LIMIT 1`).Scan(&seq, &since, &prev)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT e.case_id, e.seq, e.hash FROM cases c
			JOIN case_events e ON e.case_id = c.id AND e.seq = c.version
			WHERE c.updated_at >= $1 ORDER BY c.id`, since)
		if err != nil {
			return err
		}
		var heads [][3]any
		for rows.Next() {
			var cid, hs int64
			var h []byte
			if err := rows.Scan(&cid, &hs, &h); err != nil {
				rows.Close()
				return err
			}
			heads = append(heads, [3]any{json.Number(fmt.Sprint(cid)), json.Number(fmt.Sprint(hs)), hex.EncodeToString(h)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(heads) == 0 {
			return nil
		}
		at := Now(now)
		canon, err := anchorCanonical(seq+1, at, heads)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(heads)
		if err != nil {
			return err
		}
		n = len(heads)
		_, err = tx.Exec(ctx, `INSERT INTO chain_anchors (seq, at, heads, prev_hash, hash) VALUES ($1, $2, $3, $4, $5)`,
			seq+1, at, raw, prev, chain.Hash(prev, canon))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: write anchor: %w", err)
	}
	return n, nil
}
