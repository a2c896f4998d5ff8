-- Signed checkpoints (internal/checkpoint): the history as one append-only Merkle tree whose
-- leaves are the registry entries and the anchored case heads, in anchor order, and whose head is
-- signed at each anchor by an Ed25519 key kept outside the database (LEAKDESK_SIGNING_KEY_FILE).
--
-- chain_checkpoints: checkpoint N covers the anchors up to anchor_seq and the registry up to
-- registry_seq; its leaves are the registry entries after the previous checkpoint's registry_seq
-- (by seq), then the heads of the anchors after the previous checkpoint's anchor_seq (by anchor,
-- case). `note` is the signed checkpoint exactly as written to the witness directory.
-- chain_tree_hashes: the tree's stored hashes (tlog's layout), so that inclusion and consistency
-- proofs are read, not recomputed. Neither is trusted by the verifier: `audit verify --witness`
-- rebuilds the tree from the witnessed leaves and compares them with the events.

-- +goose Up
CREATE TABLE chain_checkpoints (
    seq          bigint      PRIMARY KEY CHECK (seq >= 1),
    anchor_seq   bigint      NOT NULL UNIQUE REFERENCES chain_anchors (seq),
    registry_seq bigint      NOT NULL,
    tree_size    bigint      NOT NULL,
    root         bytea       NOT NULL,
    note         text        NOT NULL,
    key          text        NOT NULL,   -- the verifier (public) key that signed it
    at           timestamptz NOT NULL
);

CREATE TABLE chain_tree_hashes (
    idx  bigint PRIMARY KEY,
    hash bytea  NOT NULL
);

CREATE TRIGGER chain_checkpoints_append_only BEFORE UPDATE OR DELETE ON chain_checkpoints
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER chain_checkpoints_no_truncate BEFORE TRUNCATE ON chain_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER chain_tree_hashes_append_only BEFORE UPDATE OR DELETE ON chain_tree_hashes
    FOR EACH ROW EXECUTE FUNCTION leakdesk_forbid_change();
CREATE TRIGGER chain_tree_hashes_no_truncate BEFORE TRUNCATE ON chain_tree_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION leakdesk_forbid_change();

-- History: the app role reads and appends (00030 gave it the working rights by default).
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON chain_checkpoints, chain_tree_hashes FROM leakdesk_app;

-- +goose Down
DROP TABLE chain_tree_hashes;
DROP TABLE chain_checkpoints;
