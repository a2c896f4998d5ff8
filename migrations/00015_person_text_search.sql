-- Keep what was typed (issue 12). Until now every stored value of the register was NFKC-normalised
-- before encryption, so a person imported as 森 ①子 at みなとみらい2-2-1 ㈱ビル３階 was stored, shown,
-- exported and written on the notice letter as 森 1子 at (株)ビル3階. From this version the
-- ciphertexts hold the text as imported or entered (trimmed); the normalised form is used only for
-- the blind indexes, de-duplication and search. Rows written before keep their normalised text:
-- the original was never stored (docs/release-notes.md says so).
--
-- Search by part of a name, kana or address needs an index that the database can use without the
-- plaintext: text_bidx holds the keyed HMAC (truncated, scoped to the case) of every pair of
-- adjacent characters of the normalised name, kana and address, and a search asks for rows that
-- hold every pair of the term, then checks each candidate decrypted. The HMAC needs the data key,
-- which migrations never see: NULL means "not indexed yet", and `leakdesk serve` (or
-- `leakdesk key reindex`) fills it in batches at start, before the register is searched.

-- +goose Up
ALTER TABLE affected_persons ADD COLUMN text_bidx bytea[];
CREATE INDEX affected_persons_text_bidx_idx ON affected_persons USING gin (text_bidx);
CREATE INDEX affected_persons_text_unindexed_idx ON affected_persons (id) WHERE text_bidx IS NULL;

-- +goose Down
DROP INDEX affected_persons_text_unindexed_idx;
DROP INDEX affected_persons_text_bidx_idx;
ALTER TABLE affected_persons DROP COLUMN text_bidx;
