-- The anchored heads of every chain anchor, one row per (case, anchor), indexed by case.
--
-- `chain_anchors.heads` stays the source of truth (it is what the anchor chain hashes). But the
-- verdict on one case (the auditor's case page, the case page seen by an auditor) had to pick the
-- case's heads out of every anchor's jsonb list: the seed's single anchor holds one head per case,
-- so that read grew with the number of cases (≈ 0.1 s at 100 k). Here they are an index range scan.
-- WriteAnchor writes both in one transaction; the full verify (`leakdesk audit verify`) checks that
-- this table holds exactly the heads of each anchor, so deleting a case's trailing events together
-- with its rows here is still found (docs/performance.md, "Scale").

-- +goose Up
CREATE TABLE chain_anchor_heads (
    case_id    bigint NOT NULL,
    anchor_seq bigint NOT NULL REFERENCES chain_anchors (seq),
    seq        bigint NOT NULL,   -- the case's newest event when the anchor was written
    hash       bytea  NOT NULL,   -- that event's hash
    PRIMARY KEY (case_id, anchor_seq)
);

-- The anchors written before this migration: `heads` is [[case_id, seq, hash_hex], ...].
INSERT INTO chain_anchor_heads (case_id, anchor_seq, seq, hash)
SELECT (h->>0)::bigint, a.seq, (h->>1)::bigint, decode(h->>2, 'hex')
FROM chain_anchors a, jsonb_array_elements(a.heads) h;

-- Append-only like chain_anchors, for every role, the app's included.
CREATE TRIGGER chain_anchor_heads_append_only BEFORE UPDATE OR DELETE ON chain_anchor_heads
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER chain_anchor_heads_no_truncate BEFORE TRUNCATE ON chain_anchor_heads
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

-- +goose Down
DROP TABLE chain_anchor_heads;
