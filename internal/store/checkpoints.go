package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakdesk/leakdesk/internal/checkpoint"
)

// ErrNoCheckpoint: no signed checkpoint covers the case yet (signing off, or no anchor since).
var ErrNoCheckpoint = errors.New("store: no signed checkpoint covers the case yet")

// dbTree reads the tree's stored hashes from chain_tree_hashes, with the hashes of the checkpoint
// being written (from index start on) kept in memory until they are copied in.
type dbTree struct {
	ctx   context.Context
	q     querier
	start int64
	fresh []tlog.Hash
	cache map[int64]tlog.Hash
}

func (t *dbTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	var missing []int64
	for i, x := range idx {
		if x >= t.start && x-t.start < int64(len(t.fresh)) {
			out[i] = t.fresh[x-t.start]
		} else if h, ok := t.cache[x]; ok {
			out[i] = h
		} else {
			missing = append(missing, x)
		}
	}
	if len(missing) > 0 {
		rows, err := t.q.Query(t.ctx, `SELECT idx, hash FROM chain_tree_hashes WHERE idx = ANY($1)`, missing)
		if err != nil {
			return nil, fmt.Errorf("store: tree hashes: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var x int64
			var b []byte
			if err := rows.Scan(&x, &b); err != nil {
				return nil, err
			}
			var h tlog.Hash
			copy(h[:], b)
			t.cache[x] = h
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for i, x := range idx {
			if x < t.start || x-t.start >= int64(len(t.fresh)) {
				h, ok := t.cache[x]
				if !ok {
					return nil, fmt.Errorf("store: tree hash %d is missing", x)
				}
				out[i] = h
			}
		}
	}
	return out, nil
}

// checkpointRow is one row of chain_checkpoints (zero: before the first).
type checkpointRow struct {
	seq, anchor, registry, size int64
	note, key                   string
	at                          time.Time
}

const checkpointCols = `seq, anchor_seq, registry_seq, tree_size, note, key, at`

func scanCheckpoint(row pgx.Row) (checkpointRow, error) {
	var c checkpointRow
	err := row.Scan(&c.seq, &c.anchor, &c.registry, &c.size, &c.note, &c.key, &c.at)
	return c, err
}

// lastCheckpoint is the newest checkpoint, or the zero row.
func lastCheckpoint(ctx context.Context, q querier) (checkpointRow, error) {
	c, err := scanCheckpoint(q.QueryRow(ctx, `SELECT `+checkpointCols+` FROM chain_checkpoints ORDER BY seq DESC LIMIT 1`))
	if errors.Is(err, pgx.ErrNoRows) {
		return checkpointRow{}, nil
	}
	return c, err
}

// leavesBetween lists the leaves a checkpoint adds after prev: the registry entries up to
// registry, then the heads of the anchors up to anchor.
func leavesBetween(ctx context.Context, q querier, prev checkpointRow, registry, anchor int64) ([]checkpoint.Leaf, error) {
	rows, err := q.Query(ctx, `SELECT true AS reg, case_id, seq, hash, 0::bigint AS a, seq AS k FROM case_registry WHERE seq > $1 AND seq <= $2
		UNION ALL
		SELECT false, case_id, seq, hash, anchor_seq, case_id FROM chain_anchor_heads WHERE anchor_seq > $3 AND anchor_seq <= $4
		ORDER BY reg DESC, a, k`,
		prev.registry, registry, prev.anchor, anchor)
	if err != nil {
		return nil, fmt.Errorf("store: checkpoint leaves: %w", err)
	}
	leaves, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (checkpoint.Leaf, error) {
		var l checkpoint.Leaf
		var a, k int64
		err := r.Scan(&l.Registry, &l.CaseID, &l.Seq, &l.Hash, &a, &k)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: checkpoint leaves: %w", err)
	}
	return leaves, nil
}

// writeCheckpoint signs a checkpoint covering every anchor not yet covered, in the anchor's
// transaction: the leaves are appended to the tree, its stored hashes copied in, the new head
// signed and recorded. Nothing to cover, nothing written.
func (s *Store) writeCheckpoint(ctx context.Context, tx pgx.Tx) error {
	prev, err := lastCheckpoint(ctx, tx)
	if err != nil {
		return fmt.Errorf("store: last checkpoint: %w", err)
	}
	var anchor, registry int64
	var at time.Time
	err = tx.QueryRow(ctx, `SELECT a.seq, a.at, COALESCE((SELECT max(seq) FROM case_registry), 0)
		FROM chain_anchors a ORDER BY a.seq DESC LIMIT 1`).Scan(&anchor, &at, &registry)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && anchor == prev.anchor) {
		return nil
	}
	if err != nil {
		return err
	}
	leaves, err := leavesBetween(ctx, tx, prev, registry, anchor)
	if err != nil {
		return err
	}
	tree := &dbTree{ctx: ctx, q: tx, start: tlog.StoredHashCount(prev.size), cache: map[int64]tlog.Hash{}}
	n := prev.size
	for _, l := range leaves {
		hs, err := tlog.StoredHashesForRecordHash(n, l.LeafHash(), tree)
		if err != nil {
			return fmt.Errorf("store: checkpoint tree: %w", err)
		}
		tree.fresh = append(tree.fresh, hs...)
		n++
	}
	root, err := tlog.TreeHash(n, tree)
	if err != nil {
		return fmt.Errorf("store: checkpoint root: %w", err)
	}
	head := checkpoint.Head{Anchor: anchor, At: at, Size: n, Root: root}
	note, err := s.Signer.Sign(head)
	if err != nil {
		return err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"chain_tree_hashes"}, []string{"idx", "hash"},
		pgx.CopyFromSlice(len(tree.fresh), func(i int) ([]any, error) {
			return []any{tree.start + int64(i), tree.fresh[i][:]}, nil
		})); err != nil {
		return fmt.Errorf("store: copy tree hashes: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO chain_checkpoints (seq, anchor_seq, registry_seq, tree_size, root, note, key, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, prev.seq+1, anchor, registry, n, root[:], string(note), s.Signer.VerifierKey(), at)
	if err != nil {
		return fmt.Errorf("store: insert checkpoint: %w", err)
	}
	return nil
}

// SyncWitness writes to dir every checkpoint it does not hold yet, in order, and returns how many.
// A directory that was missing or unwritable for a while is caught up on the next call: nothing
// is lost, the checkpoints wait in the database.
func (s *Store) SyncWitness(ctx context.Context, dir string) (int, error) {
	if err := checkpoint.CheckDir(dir); err != nil {
		return 0, err
	}
	last, err := checkpoint.LastWitnessed(dir)
	if err != nil {
		return 0, err
	}
	var prev checkpointRow
	if last > 0 {
		if prev, err = scanCheckpoint(s.Pool.QueryRow(ctx, `SELECT `+checkpointCols+` FROM chain_checkpoints WHERE seq = $1`, last)); err != nil {
			return 0, fmt.Errorf("store: witnessed checkpoint %d: %w", last, err)
		}
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+checkpointCols+` FROM chain_checkpoints WHERE seq > $1 ORDER BY seq`, last)
	if err != nil {
		return 0, err
	}
	todo, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (checkpointRow, error) { return scanCheckpoint(r) })
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range todo {
		leaves, err := leavesBetween(ctx, s.Pool, prev, c.registry, c.anchor)
		if err != nil {
			return n, err
		}
		if err := checkpoint.WriteWitness(dir, c.seq, []byte(c.note), leaves); err != nil {
			return n, err
		}
		prev = c
		n++
	}
	return n, nil
}

// StoredLeafHashes is checkpoint.Stored over the database: for each leaf, the hash stored now for
// its registry entry or event, nil when the row is gone.
func (s *Store) StoredLeafHashes(ctx context.Context, leaves []checkpoint.Leaf) ([][]byte, error) {
	ids := make([]int64, len(leaves))
	seqs := make([]int64, len(leaves))
	reg := make([]bool, len(leaves))
	for i, l := range leaves {
		ids[i], seqs[i], reg[i] = l.CaseID, l.Seq, l.Registry
	}
	rows, err := s.Pool.Query(ctx, `SELECT t.i, CASE WHEN t.reg THEN r.hash ELSE e.hash END
		FROM unnest($1::bigint[], $2::bigint[], $3::bool[]) WITH ORDINALITY AS t(cid, seq, reg, i)
		LEFT JOIN case_registry r ON t.reg AND r.seq = t.seq AND r.case_id = t.cid
		LEFT JOIN case_events e ON NOT t.reg AND e.case_id = t.cid AND e.seq = t.seq`, ids, seqs, reg)
	if err != nil {
		return nil, fmt.Errorf("store: stored leaf hashes: %w", err)
	}
	defer rows.Close()
	out := make([][]byte, len(leaves))
	for rows.Next() {
		var i int64
		var h []byte
		if err := rows.Scan(&i, &h); err != nil {
			return nil, err
		}
		out[i-1] = h
	}
	return out, rows.Err()
}

// WitnessVerdict is the result of VerifyWitness.
type WitnessVerdict struct {
	checkpoint.WitnessResult
	Unwitnessed int64 // cases whose newest event is not in a witnessed checkpoint yet
}

// VerifyWitness checks the database against every checkpoint witnessed in dir
// (checkpoint.VerifyWitness), after the full Verify of the chains has passed: together they prove
// that every witnessed head, and so every event up to it, is stored unchanged.
func (s *Store) VerifyWitness(ctx context.Context, dir string, trusted []string) (WitnessVerdict, error) {
	var v WitnessVerdict
	ws, err := checkpoint.ReadWitness(dir)
	if err != nil {
		return v, err
	}
	v.WitnessResult, err = checkpoint.VerifyWitness(ws, trusted, func(ls []checkpoint.Leaf) ([][]byte, error) {
		return s.StoredLeafHashes(ctx, ls)
	})
	if err != nil {
		return v, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, version FROM cases`)
	if err != nil {
		return v, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, version int64
		if err := rows.Scan(&id, &version); err != nil {
			return v, err
		}
		if v.Heads[id] < version {
			v.Unwitnessed++
		}
	}
	return v, rows.Err()
}

// CaseProof is what an exported case file carries to prove its origin offline: the newest signed
// checkpoint, the leaf of the case's newest head it covers, and that leaf's inclusion proof.
type CaseProof struct {
	Checkpoint  string   `json:"checkpoint"`   // the signed note
	VerifierKey string   `json:"verifier_key"` // the public key that signed it
	Fingerprint string   `json:"fingerprint"`
	Leaf        string   `json:"leaf"` // checkpoint.Leaf.Text
	Index       int64    `json:"index"`
	TreeSize    int64    `json:"tree_size"`
	Proof       []string `json:"proof"` // base64 hashes, RFC 6962 audit path
}

// CaseProof returns the inclusion proof of the case's newest checkpointed head in the newest
// checkpoint, or ErrNoCheckpoint.
func (s *Store) CaseProof(ctx context.Context, caseID int64) (*CaseProof, error) {
	var p *CaseProof
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		last, err := lastCheckpoint(ctx, tx)
		if err != nil {
			return err
		}
		if last.seq == 0 {
			return ErrNoCheckpoint
		}
		// The case's newest head covered by the checkpoint, and the checkpoint that added it.
		var anchor, seq int64
		var hash []byte
		err = tx.QueryRow(ctx, `SELECT anchor_seq, seq, hash FROM chain_anchor_heads WHERE case_id = $1 AND anchor_seq <= $2
			ORDER BY anchor_seq DESC LIMIT 1`, caseID, last.anchor).Scan(&anchor, &seq, &hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoCheckpoint
		}
		if err != nil {
			return err
		}
		var before checkpointRow
		if before, err = scanCheckpoint(tx.QueryRow(ctx, `SELECT `+checkpointCols+` FROM chain_checkpoints
			WHERE anchor_seq < $1 ORDER BY seq DESC LIMIT 1`, anchor)); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var at checkpointRow
		if at, err = scanCheckpoint(tx.QueryRow(ctx, `SELECT `+checkpointCols+` FROM chain_checkpoints
			WHERE anchor_seq >= $1 ORDER BY seq LIMIT 1`, anchor)); err != nil {
			return err
		}
		// Its index: the leaves of earlier checkpoints, this checkpoint's registry leaves, the heads
		// of its earlier anchors and those of the same anchor with a smaller case id.
		var idx int64
		err = tx.QueryRow(ctx, `SELECT $1::bigint + ($2::bigint - $3::bigint)
			+ (SELECT count(*) FROM chain_anchor_heads WHERE anchor_seq > $4 AND (anchor_seq < $5 OR (anchor_seq = $5 AND case_id < $6)))`,
			before.size, at.registry, before.registry, before.anchor, anchor, caseID).Scan(&idx)
		if err != nil {
			return err
		}
		tree := &dbTree{ctx: ctx, q: tx, start: 1 << 62, cache: map[int64]tlog.Hash{}}
		proof, err := tlog.ProveRecord(last.size, idx, tree)
		if err != nil {
			return fmt.Errorf("store: inclusion proof: %w", err)
		}
		p = &CaseProof{Checkpoint: last.note, VerifierKey: last.key, Fingerprint: checkpoint.Fingerprint(last.key),
			Leaf: checkpoint.Leaf{CaseID: caseID, Seq: seq, Hash: hash}.Text(), Index: idx, TreeSize: last.size}
		for _, h := range proof {
			p.Proof = append(p.Proof, h.String())
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrNoCheckpoint) {
			return nil, err
		}
		return nil, fmt.Errorf("store: case proof: %w", err)
	}
	return p, nil
}

// SigningKeys lists every verifier key that signed a checkpoint, oldest first, with the first and
// last checkpoint it signed: the auditor's verify page shows them (rotation keeps the old ones).
func (s *Store) SigningKeys(ctx context.Context) ([]SigningKey, error) {
	rows, err := s.Pool.Query(ctx, `SELECT key, min(seq), max(seq), min(at), max(at) FROM chain_checkpoints GROUP BY key ORDER BY min(seq)`)
	if err != nil {
		return nil, fmt.Errorf("store: signing keys: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (SigningKey, error) {
		var k SigningKey
		err := r.Scan(&k.VerifierKey, &k.First, &k.Last, &k.FirstAt, &k.LastAt)
		k.Fingerprint = checkpoint.Fingerprint(k.VerifierKey)
		return k, err
	})
}

// SigningKey is one key that signed checkpoints.
type SigningKey struct {
	VerifierKey, Fingerprint string
	First, Last              int64
	FirstAt, LastAt          time.Time
}

// maybeCheckpoint signs a checkpoint in the anchor's transaction when a signer is configured.
func (s *Store) maybeCheckpoint(ctx context.Context, tx pgx.Tx) error {
	if s.Signer == nil {
		return nil
	}
	return s.writeCheckpoint(ctx, tx)
}
