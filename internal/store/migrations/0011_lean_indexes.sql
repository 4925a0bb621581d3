-- Each index is one more page to write for every row on the money path.
-- These three served no query: a transfer is found through its journal
-- entry (transfers.entry_id is unique), and entry ids are in time order
-- already.
DROP INDEX transfers_from;
DROP INDEX transfers_to;
DROP INDEX journal_entries_at;
