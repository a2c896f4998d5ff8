package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakdesk/leakdesk/internal/chain"
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
// anchors (trailing events deleted after an anchor are missing from it). For one case it reads only
// that case's rows, so the verdict costs the same at any number of cases; for all cases it also
// proves that those per-case rows (chain_anchor_heads) are exactly the anchors' heads. It stops at
// the first bad link. It reads in one repeatable-read snapshot, so concurrent writes cannot cause
// false alarms.
func (s *Store) Verify(ctx context.Context, caseID int64) (VerifyResult, error) {
	return s.VerifyProgress(ctx, caseID, nil)
}

// VerifyProgress is Verify that reports, for all cases, how many of the ranges of cases it cuts the
// history into are checked (done of total) each time one is; progress may be called from several
// goroutines at once. A background job shows it and stops the verification by cancelling ctx.
func (s *Store) VerifyProgress(ctx context.Context, caseID int64, progress func(done, total int64)) (VerifyResult, error) {
	var res VerifyResult
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		bad, err := verifyRegistry(ctx, tx, caseID, &res)
		if err != nil || bad != nil {
			res.FirstBad = bad
			return err
		}
		bad, err = s.verifyEvents(ctx, tx, caseID, &res, progress)
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

// verifyEvents checks each case's chain (one case: streamed on tx; all cases: in parallel
// ranges on the same snapshot, verifyAllEvents), then that each case's version is its newest seq.
func (s *Store) verifyEvents(ctx context.Context, tx pgx.Tx, onlyCase int64, res *VerifyResult, progress func(done, total int64)) (*BadLink, error) {
	args := []any{}
	var heads map[int64]int64
	if onlyCase != 0 {
		args = append(args, onlyCase)
		rows, err := tx.Query(ctx, eventColumns+` WHERE e.case_id = $1 ORDER BY e.case_id, e.seq`, onlyCase)
		if err != nil {
			return nil, err
		}
		r, err := verifyEventRows(rows)
		res.Checked, res.Cases = res.Checked+r.checked, res.Cases+r.cases
		if err != nil || r.bad != nil {
			return r.bad, err
		}
		heads = r.heads
	} else {
		h, bad, err := s.verifyAllEvents(ctx, tx, res, progress)
		if err != nil || bad != nil {
			return bad, err
		}
		heads = h
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

// anchorHead is one case's head in one anchor: the case's newest event when the anchor was written.
type anchorHead struct {
	caseID, anchor, seq int64
	hash                []byte
}

// compareHeads orders heads as chain_anchor_heads' primary key does: by case, then anchor.
func compareHeads(a, b anchorHead) int {
	if c := cmp.Compare(a.caseID, b.caseID); c != 0 {
		return c
	}
	return cmp.Compare(a.anchor, b.anchor)
}

func verifyAnchors(ctx context.Context, tx pgx.Tx, onlyCase int64) (*BadLink, error) {
	if onlyCase != 0 {
		return verifyAnchoredHeads(ctx, tx, onlyCase)
	}
	all, bad, err := readAnchorChain(ctx, tx)
	if err != nil || bad != nil {
		return bad, err
	}
	return compareAnchorHeads(ctx, tx, all)
}

// readAnchorChain walks the anchor chain and returns every anchored head, sorted by case and anchor.
func readAnchorChain(ctx context.Context, tx pgx.Tx) ([]anchorHead, *BadLink, error) {
	rows, err := tx.Query(ctx, `SELECT seq, at, heads, prev_hash, hash FROM chain_anchors ORDER BY seq`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var all []anchorHead
	prev := chain.GenesisPrev
	var want int64 = 1
	for rows.Next() {
		var seq int64
		var at time.Time
		var headsRaw, prevHash, hash []byte
		if err := rows.Scan(&seq, &at, &headsRaw, &prevHash, &hash); err != nil {
			return nil, nil, err
		}
		var heads [][3]any
		dec := json.NewDecoder(bytes.NewReader(headsRaw))
		dec.UseNumber()
		if err := dec.Decode(&heads); err != nil {
			return nil, &BadLink{Reason: fmt.Sprintf("anchor %d is unreadable", seq)}, nil
		}
		canon, err := anchorCanonical(seq, at, heads)
		if err != nil {
			return nil, nil, err
		}
		if seq != want || !bytes.Equal(prevHash, prev) || !bytes.Equal(hash, chain.Hash(prevHash, canon)) {
			return nil, &BadLink{Reason: fmt.Sprintf("anchor %d was altered or removed", seq)}, nil
		}
		for _, h := range heads {
			head, ok := parseHead(seq, h)
			if !ok {
				return nil, &BadLink{Reason: fmt.Sprintf("anchor %d is unreadable", seq)}, nil
			}
			all = append(all, head)
		}
		prev, want = hash, seq+1
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	// WriteAnchor lists heads by case, but the order is not part of what the chain proves.
	slices.SortFunc(all, compareHeads)
	return all, nil, nil
}

// parseHead reads one [case_id, seq, hash_hex] entry of an anchor's head list.
func parseHead(anchor int64, h [3]any) (anchorHead, bool) {
	cid, ok1 := h[0].(json.Number)
	hs, ok2 := h[1].(json.Number)
	hx, ok3 := h[2].(string)
	if !ok1 || !ok2 || !ok3 {
		return anchorHead{}, false
	}
	c, err1 := cid.Int64()
	s, err2 := hs.Int64()
	b, err3 := hex.DecodeString(hx)
	if err1 != nil || err2 != nil || err3 != nil {
		return anchorHead{}, false
	}
	return anchorHead{caseID: c, anchor: anchor, seq: s, hash: b}, true
}

// compareAnchorHeads checks, in one streamed merge, that chain_anchor_heads holds exactly the heads
// of the anchors (the one-case verdict reads that table and trusts it: someone who deletes a case's
// trailing events and its rows there is found here), and that every anchored event is still
// stored with the anchored hash. One query in the primary key's order, so the whole check is
// O(heads) with no round trip per head.
func compareAnchorHeads(ctx context.Context, tx pgx.Tx, all []anchorHead) (*BadLink, error) {
	rows, err := tx.Query(ctx, `SELECT h.case_id, h.anchor_seq, h.seq, h.hash, e.case_id IS NOT NULL, e.hash
		FROM chain_anchor_heads h LEFT JOIN case_events e ON e.case_id = h.case_id AND e.seq = h.seq
		ORDER BY h.case_id, h.anchor_seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var got anchorHead
		var found bool
		var stored []byte
		if err := rows.Scan(&got.caseID, &got.anchor, &got.seq, &got.hash, &found, &stored); err != nil {
			return nil, err
		}
		if i < len(all) && compareHeads(all[i], got) < 0 {
			return headMissing(all[i]), nil
		}
		if i == len(all) || compareHeads(got, all[i]) < 0 {
			return &BadLink{CaseID: got.caseID, Seq: got.seq, Reason: fmt.Sprintf("chain_anchor_heads holds a head that anchor %d does not (anchored heads added)", got.anchor)}, nil
		}
		want := all[i]
		if got.seq != want.seq || !bytes.Equal(got.hash, want.hash) {
			return &BadLink{CaseID: want.caseID, Seq: want.seq, Reason: fmt.Sprintf("chain_anchor_heads differs from anchor %d (anchored heads altered)", want.anchor)}, nil
		}
		if bad := checkAnchoredEvent(want.caseID, want.seq, want.hash, found, stored); bad != nil {
			return bad, nil
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if i < len(all) {
		return headMissing(all[i]), nil
	}
	return nil, nil
}

func headMissing(h anchorHead) *BadLink {
	return &BadLink{CaseID: h.caseID, Seq: h.seq, Reason: fmt.Sprintf("anchor %d holds a head that chain_anchor_heads does not (anchored heads deleted)", h.anchor)}
}

// checkAnchoredEvent compares an anchored head with the event stored at its seq, if any.
func checkAnchoredEvent(caseID, seq int64, anchored []byte, found bool, stored []byte) *BadLink {
	switch {
	case !found:
		return &BadLink{CaseID: caseID, Seq: seq, Reason: "an anchored event is missing (history truncated)"}
	case !bytes.Equal(stored, anchored):
		return &BadLink{CaseID: caseID, Seq: seq, Reason: "an anchored event has a different hash (history rewritten)"}
	}
	return nil
}

// verifyAnchoredHeads checks the anchored heads of one case against its events. It reads them from
// chain_anchor_heads, an index range scan on the case, so the verdict on one case costs the same
// however many heads the anchors hold (reading them out of every anchor's jsonb list cost ≈ 0.1 s
// at 100 k cases: docs/performance.md, "Scale"). The anchor chain itself, and that the table holds
// exactly the anchors' heads, are checked by Verify for all cases (compareAnchorHeads).
func verifyAnchoredHeads(ctx context.Context, tx pgx.Tx, caseID int64) (*BadLink, error) {
	rows, err := tx.Query(ctx, `SELECT h.seq, h.hash, e.case_id IS NOT NULL, e.hash
		FROM chain_anchor_heads h LEFT JOIN case_events e ON e.case_id = h.case_id AND e.seq = h.seq
		WHERE h.case_id = $1 ORDER BY h.anchor_seq`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var anchored, stored []byte
		var found bool
		if err := rows.Scan(&seq, &anchored, &found, &stored); err != nil {
			return nil, err
		}
		if bad := checkAnchoredEvent(caseID, seq, anchored, found, stored); bad != nil {
			return bad, nil
		}
	}
	return nil, rows.Err()
}

func anchorCanonical(seq int64, at time.Time, heads [][3]any) ([]byte, error) {
	list := make([]any, len(heads))
	for i, h := range heads {
		list[i] = []any{h[0], h[1], h[2]}
	}
	return chain.Canonical(map[string]any{"seq": seq, "at": at.UTC().Format(time.RFC3339Nano), "heads": list})
}

// WriteAnchor records the chain heads of every case that changed since the previous anchor, in the
// anchor chain, and the same heads in chain_anchor_heads (indexed by case, for the one-case
// verdict). Run periodically (serve does, every few minutes) and before backups; safe to run from
// several instances at once (an advisory lock orders them).
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
		heads, err := changedHeads(ctx, tx, seq+1, since)
		if err != nil {
			return err
		}
		if len(heads) == 0 {
			// Nothing new to anchor; an anchor written while signing was off is still signed.
			return s.maybeCheckpoint(ctx, tx)
		}
		list := make([][3]any, len(heads))
		for i, h := range heads {
			list[i] = [3]any{json.Number(fmt.Sprint(h.caseID)), json.Number(fmt.Sprint(h.seq)), hex.EncodeToString(h.hash)}
		}
		at := Now(now)
		canon, err := anchorCanonical(seq+1, at, list)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(list)
		if err != nil {
			return err
		}
		n = len(heads)
		if _, err := tx.Exec(ctx, `INSERT INTO chain_anchors (seq, at, heads, prev_hash, hash) VALUES ($1, $2, $3, $4, $5)`,
			seq+1, at, raw, prev, chain.Hash(prev, canon)); err != nil {
			return err
		}
		if err := copyAnchorHeads(ctx, tx, heads); err != nil {
			return err
		}
		return s.maybeCheckpoint(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("store: write anchor: %w", err)
	}
	return n, nil
}

// anchorOverlap is how far before the previous anchor's time changedHeads looks. A change is
// stamped (updated_at) when its transaction runs but becomes visible only at commit: a change
// stamped just before an anchor and committed just after the anchor's snapshot was in neither that
// anchor nor — selected by time alone — the next one, and stayed unanchored until the case changed
// again. Looking back an hour (no write transaction lasts that long) and skipping heads already
// anchored catches it without anchoring anything twice.
const anchorOverlap = time.Hour

// changedHeads lists, by case, every head not yet anchored among the cases changed since shortly
// before the previous anchor.
func changedHeads(ctx context.Context, tx pgx.Tx, anchor int64, since time.Time) ([]anchorHead, error) {
	rows, err := tx.Query(ctx, `SELECT e.case_id, e.seq, e.hash FROM cases c
		JOIN case_events e ON e.case_id = c.id AND e.seq = c.version
		WHERE c.updated_at >= $1
		  AND NOT EXISTS (SELECT 1 FROM chain_anchor_heads h WHERE h.case_id = c.id AND h.seq = c.version)
		ORDER BY c.id`, since.Add(-anchorOverlap))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var heads []anchorHead
	for rows.Next() {
		h := anchorHead{anchor: anchor}
		if err := rows.Scan(&h.caseID, &h.seq, &h.hash); err != nil {
			return nil, err
		}
		heads = append(heads, h)
	}
	return heads, rows.Err()
}

// copyAnchorHeads writes an anchor's heads to chain_anchor_heads with COPY: the seed's anchor holds
// one head per case, a million rows at a million cases.
func copyAnchorHeads(ctx context.Context, tx pgx.Tx, heads []anchorHead) error {
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"chain_anchor_heads"}, []string{"case_id", "anchor_seq", "seq", "hash"},
		pgx.CopyFromSlice(len(heads), func(i int) ([]any, error) {
			h := heads[i]
			return []any{h.caseID, h.anchor, h.seq, h.hash}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy anchor heads: %w", err)
	}
	if n != int64(len(heads)) {
		return fmt.Errorf("copy anchor heads: %d of %d rows written", n, len(heads))
	}
	return nil
}
