\pset pager off
\echo '== case list search 漏洩 (gram index)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.updated_at FROM cases c LEFT JOIN users u ON u.id = c.owner_id
 WHERE c.search_grams @> leakdesk_query_grams('漏洩') AND strpos(leakdesk_search_norm(c.search_text), leakdesk_search_norm('漏洩')) > 0 ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
\echo '== case list search R-0000 (gram index)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.updated_at FROM cases c LEFT JOIN users u ON u.id = c.owner_id
 WHERE c.search_grams @> leakdesk_query_grams('R-0000') AND strpos(leakdesk_search_norm(c.search_text), leakdesk_search_norm('R-0000')) > 0 ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
\echo '== case list search 誤廃棄 (no match, gram index)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.updated_at FROM cases c LEFT JOIN users u ON u.id = c.owner_id
 WHERE c.search_grams @> leakdesk_query_grams('誤廃棄') AND strpos(leakdesk_search_norm(c.search_text), leakdesk_search_norm('誤廃棄')) > 0 ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
\echo '== case list search 誤廃棄 (as before: ILIKE)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.updated_at FROM cases c LEFT JOIN users u ON u.id = c.owner_id
 WHERE c.search_text ILIKE '%誤廃棄%' ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
\echo '== case list stage=discipline (stage index)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT c.id, c.number, c.title, c.updated_at FROM cases c LEFT JOIN users u ON u.id = c.owner_id
 WHERE c.current_stage = 'discipline' ORDER BY c.updated_at DESC, c.id DESC LIMIT 50;
