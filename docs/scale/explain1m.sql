\pset pager off
-- The hot queries as the application sends them (internal/store/caselist.go, audit.go, verify.go,
-- cases.go, dashboard), viewer 8 = the bench manager. Run with psql against each database.
\echo '== case list (default)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.status, c.drill, c.version, COALESCE(u.name, ''), c.current_stage,
 c.pending_requests, c.recognized_at, c.next_due_at, COALESCE(c.next_due_at < now(), false), c.updated_at
 FROM cases c LEFT JOIN users u ON u.id = c.owner_id WHERE NOT (8::bigint = ANY(c.involved_ids))
 ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
\echo '== case list status=open'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.updated_at FROM cases c LEFT JOIN users u ON u.id = c.owner_id
 WHERE c.status = 'open' AND NOT (8::bigint = ANY(c.involved_ids)) ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
\echo '== case list stage=discipline'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.updated_at FROM cases c LEFT JOIN users u ON u.id = c.owner_id
 WHERE c.current_stage = 'discipline' AND NOT (8::bigint = ANY(c.involved_ids)) ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
\echo '== case list deep keyset page (half way)'
SELECT updated_at AS deep_at, id AS deep_id FROM cases ORDER BY updated_at DESC, id DESC OFFSET (SELECT count(*)/2 FROM cases) LIMIT 1 \gset
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.updated_at FROM cases c LEFT JOIN users u ON u.id = c.owner_id
 WHERE NOT (8::bigint = ANY(c.involved_ids)) AND (c.updated_at, c.id) < (:'deep_at', :deep_id) ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
\echo '== case list search 漏洩 (common word)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.updated_at FROM cases c LEFT JOIN users u ON u.id = c.owner_id
 WHERE NOT (8::bigint = ANY(c.involved_ids)) AND c.search_grams @> leakdesk_query_grams('漏洩') AND strpos(leakdesk_search_norm(c.search_text), '漏洩') > 0
 ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
\echo '== case list search R-0000 (rare ASCII/digits)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.updated_at FROM cases c LEFT JOIN users u ON u.id = c.owner_id
 WHERE NOT (8::bigint = ANY(c.involved_ids)) AND c.search_grams @> leakdesk_query_grams('R-0000') AND strpos(leakdesk_search_norm(c.search_text), 'r-0000') > 0
 ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
\echo '== case list search 誤廃棄 (no case has it)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.updated_at FROM cases c LEFT JOIN users u ON u.id = c.owner_id
 WHERE NOT (8::bigint = ANY(c.involved_ids)) AND c.search_grams @> leakdesk_query_grams('誤廃棄') AND strpos(leakdesk_search_norm(c.search_text), '誤廃棄') > 0
 ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
\echo '== dashboard board'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT d.case_id, c.number, c.title, d.kind, d.due, d.due_at, d.basis, d.label_ja, d.label_en, d.drill, COALESCE(u.name, '')
 FROM case_deadlines d JOIN cases c ON c.id = d.case_id LEFT JOIN users u ON u.id = d.owner_id
 WHERE d.met_at IS NULL AND d.case_open AND d.drill = false AND d.due_at < now() + interval '7 days'
 AND NOT (8::bigint = ANY(c.involved_ids)) ORDER BY d.due_at, d.case_id, d.kind LIMIT 201;
\echo '== case page: events of one case (read once, replayed and shown)'
SELECT max(id)/2 AS mid FROM cases \gset
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT seq, type, COALESCE(actor_id, 0), at, payload, prev_hash, hash FROM case_events WHERE case_id = :mid ORDER BY seq;
\echo '== one-case verdict: the case anchored heads (chain_anchor_heads)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT h.seq, h.hash, e.case_id IS NOT NULL, e.hash
 FROM chain_anchor_heads h LEFT JOIN case_events e ON e.case_id = h.case_id AND e.seq = h.seq WHERE h.case_id = :mid ORDER BY h.anchor_seq;
