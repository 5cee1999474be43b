#include "storage/schema.h"

#include "common/fts.h"
#include "common/text.h"

#include <fmt/format.h>
#include <sqlite3.h>

namespace specwatch::storage {

namespace {

// fts::kColumns ("title, summary, …") prefixed for a trigger ("new.title, new.summary, …").
std::string prefixed_columns(std::string_view prefix) {
    std::string out;
    std::string_view rest = fts::kColumns;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string column = trim(rest.substr(0, comma));
        if (!out.empty()) out += ", ";
        out += fmt::format("{}{}", prefix, column);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return out;
}

// Version 1: sources and items, with an FTS5 index over the items' text.
//
// Optional item fields the document did not have are NULL (an Item's empty
// string), so "WHERE start IS NOT NULL" and "WHERE start <> ''" both find the
// events; categories and organizations are JSON arrays, '[]' when empty.
// Dates are the normalized text of common/item.h and sort as strings; times
// the daemon itself records (first_seen, last_poll…) are unix seconds.
std::string v1() {
    const std::string columns = fts::kColumns;
    const std::string new_columns = prefixed_columns("new.");
    const std::string old_columns = prefixed_columns("old.");
    return fmt::format(R"sql(
CREATE TABLE sources (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    body          TEXT NOT NULL DEFAULT '',
    grp           TEXT NOT NULL DEFAULT '',
    url           TEXT NOT NULL DEFAULT '',
    format        TEXT NOT NULL DEFAULT 'auto',
    enabled       INTEGER NOT NULL DEFAULT 1,
    etag          TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    last_poll     INTEGER NOT NULL DEFAULT 0,
    last_success  INTEGER NOT NULL DEFAULT 0,
    last_status   INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    failures      INTEGER NOT NULL DEFAULT 0,
    next_poll     INTEGER NOT NULL DEFAULT 0,
    feed_format   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE items (
    key           INTEGER PRIMARY KEY,
    source_id     INTEGER NOT NULL REFERENCES sources(id),
    id            TEXT NOT NULL,
    link          TEXT,
    title         TEXT,
    summary       TEXT,
    content       TEXT,
    author        TEXT,
    categories    TEXT NOT NULL DEFAULT '[]',
    organizations TEXT NOT NULL DEFAULT '[]',
    published     TEXT,
    updated       TEXT,
    start         TEXT,
    "end"         TEXT,
    location      TEXT,
    fingerprint   TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    last_changed  INTEGER NOT NULL DEFAULT 0,
    changes       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_id, id)
);
-- "items" lists newest first, overall and per source; "meetings" goes by start.
CREATE INDEX items_by_first_seen ON items(first_seen);
CREATE INDEX items_by_source ON items(source_id, first_seen);
CREATE INDEX items_by_start ON items(start) WHERE start IS NOT NULL;

-- External content: the text lives once, in items; the index holds only
-- tokens, kept in step by the triggers below. Categories are indexed as their
-- JSON text, whose quotes and brackets the tokenizer drops.
CREATE VIRTUAL TABLE items_fts USING fts5(
    {columns}, content='items', content_rowid='key', tokenize='{tokenize}');
-- Larger pages and more eager merging: a first poll of 50,000 items stores in
-- 1.3 s instead of 1.9 s (NOTES.md).
INSERT INTO items_fts(items_fts, rank) VALUES ('pgsz', 16000);
INSERT INTO items_fts(items_fts, rank) VALUES ('automerge', 16);

CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts(rowid, {columns}) VALUES (new.key, {new_columns});
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, {columns})
        VALUES ('delete', old.key, {old_columns});
END;
-- Only when indexed text changes: a poll that finds an item unchanged updates
-- its last_seen, and must not re-index it.
CREATE TRIGGER items_fts_update AFTER UPDATE OF {columns} ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, {columns})
        VALUES ('delete', old.key, {old_columns});
    INSERT INTO items_fts(rowid, {columns}) VALUES (new.key, {new_columns});
END;
)sql",
                       fmt::arg("columns", columns), fmt::arg("new_columns", new_columns),
                       fmt::arg("old_columns", old_columns), fmt::arg("tokenize", fts::kTokenize));
}

// Version 2: alerts and the mail outbox (issue 5).
//
// An alert is one (rule, item, change) — change 0 for a new item, else the
// item's change count — recorded in the transaction that stored the item, so
// it is unique by construction. `link_key` is the item's normalized link: the
// same document reached through a second source is recorded as a duplicate
// (state 'duplicate') of the first alert and mailed with it, not on its own.
// `message` is the outbox row that carries it: NULL while a digest waits.
//
// An outbox row is a whole RFC 5322 message, rendered and given its
// Message-ID when it is queued (DESIGN.md invariant 2): a retry sends the
// same bytes.
std::string v2() {
    return R"sql(
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    message_id   TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    rule         TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL DEFAULT '',
    sender       TEXT NOT NULL,
    recipients   TEXT NOT NULL,
    message      TEXT NOT NULL,
    created      INTEGER NOT NULL,
    expires      INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'queued',
    last_error   TEXT NOT NULL DEFAULT '',
    sent         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox(next_attempt) WHERE state = 'queued';

CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY,
    rule       TEXT NOT NULL,
    item_key   INTEGER NOT NULL REFERENCES items(key),
    change     INTEGER NOT NULL DEFAULT 0,
    link_key   TEXT NOT NULL DEFAULT '',
    snippet    TEXT NOT NULL DEFAULT '',
    created    INTEGER NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending',
    duplicate_of INTEGER REFERENCES alerts(id),
    message    INTEGER REFERENCES outbox(id),
    UNIQUE (rule, item_key, change)
);
CREATE INDEX alerts_by_created ON alerts(created);
CREATE INDEX alerts_by_link ON alerts(rule, link_key) WHERE link_key <> '';
CREATE INDEX alerts_waiting ON alerts(rule) WHERE message IS NULL AND state = 'pending';

-- The last digest slot handled per rule (unix seconds).
CREATE TABLE digests (
    rule      TEXT PRIMARY KEY,
    last_sent INTEGER NOT NULL
);

-- Sources failing now: since when, and whether the failure was mailed.
CREATE TABLE source_health (
    source        TEXT PRIMARY KEY,
    failing_since INTEGER NOT NULL,
    reported      INTEGER NOT NULL DEFAULT 0
);
)sql";
}

// Version 3: source health (issue 4). `gone`: the server answered 410;
// `moved_to`: where the 301/308 redirects the URL starts with lead (the user
// should update the config); `failing_since`: unix seconds of the first
// failure in the current run of failures, 0 when the last poll succeeded.
std::string v3() {
    return R"sql(
ALTER TABLE sources ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN moved_to TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN failing_since INTEGER NOT NULL DEFAULT 0;
)sql";
}

// Version 4: meeting reminders (a rule's remind_before). One row per
// reminder decided: (rule, item, offset in seconds, the item's start as
// stored), so each is sent once and a meeting that moves (a new start) gets a
// new one. `message` is the outbox row that carries it, NULL when mail is off.
std::string v4() {
    return R"sql(
CREATE TABLE reminders (
    rule     TEXT NOT NULL,
    item_key INTEGER NOT NULL REFERENCES items(key),
    offset_s INTEGER NOT NULL,
    start    TEXT NOT NULL,
    created  INTEGER NOT NULL,
    message  INTEGER REFERENCES outbox(id),
    PRIMARY KEY (rule, item_key, offset_s, start)
);
)sql";
}

// Version 5: `items` (newest first) in index order. The listing orders by
// first_seen, then the feed's own date, then key; with an index on first_seen
// alone, every item of the newest poll (tens of thousands after a first poll)
// was sorted for each request: 16-31 ms for 50 of 50,000 items, under 1 ms
// with this index (bench/load_bench.py). It also serves every first_seen
// range, so the old index goes.
std::string v5() {
    return R"sql(
CREATE INDEX items_newest ON items(first_seen, COALESCE(published, updated), key);
DROP INDEX items_by_first_seen;
)sql";
}

// Version 6: new items are indexed by the code that stores them
// (store.cpp, index_items), after each batch, not by a trigger per row: FTS5
// wrote a segment per item under the trigger's statement journal (4,600 items
// a second instead of tens of thousands). The update and delete triggers
// stay: they are rare, and they read what was indexed from `items`.
std::string v6() {
    return "DROP TRIGGER items_fts_insert;";
}

// Version 7: alerts_by_link led by the link, not the rule. Matching a batch
// first asks which of the batch's links any earlier alert has (one lookup per
// item, alerts.cpp kPriorLinks) and looks for a rule's duplicates only when
// there are some; led by the rule, the index could not answer that, and every
// alert paid for a lookup per rule instead (docs/performance.md, "Matching,
// third round"). The lookups by rule and link use it as before.
std::string v7() {
    return R"sql(
DROP INDEX alerts_by_link;
CREATE INDEX alerts_by_link ON alerts(link_key, rule) WHERE link_key <> '';
)sql";
}

// Version 8: FTS5 holds up to 8 MB of a transaction's new terms in memory
// (its `hashsize`, 1 MB by default) before writing them out as a segment. At
// 1 MB a batch of the writer's (up to 2 x max_parallel polls, 1,600 items of
// ~1 KB) was written as six segments, each to be merged again; now it is one,
// and the merges that follow have a sixth of the segments to rewrite
// (docs/performance.md, "Ingest, third round"). The memory is the pending
// terms of one batch, freed at its commit.
std::string v8() {
    return "INSERT INTO items_fts(items_fts, rank) VALUES ('hashsize', 8388608);";
}

// Version 9: FTS5 leaf pages of 8,000 bytes instead of 16,000. A rule's
// query over a batch's rowid range starts each term at the range's low end,
// and FTS5 finds that place by page (the doclist index) and then entry by
// entry within the page: on 16,000-byte pages that walk was most of a common
// word's cost, ~0.4 ms a term even for a range of ten rows. With 8,000 bytes
// BM_Match/1000 (1,000 rules x 10,000 items) spends a third less in
// match_batch, and storing is as fast (docs/performance.md, "Matching,
// fourth round"). It applies to the segments written from now on; the old
// ones keep their pages until FTS5 merges them.
std::string v9() {
    return "INSERT INTO items_fts(items_fts, rank) VALUES ('pgsz', 8000);";
}

// Version 10: alerts.item_key without its foreign key to items. Every alert
// comes from one INSERT … SELECT (alerts.cpp, kRecord) whose join to the
// batch's items (read from `items` in the same transaction) already makes the
// item exist, and items are never deleted; the check was a lookup in `items`
// for each alert, 2,700 instructions of ~24,000 (docs/performance.md,
// "Matching, third and fourth rounds"). SQLite cannot drop a constraint, so
// the table is rebuilt: the old one renamed (the self-reference of
// duplicate_of follows it), the rows copied in id order (a duplicate points
// at a lower id, already copied), the old table and its indexes dropped, the
// indexes made again.
std::string v10() {
    return R"sql(
ALTER TABLE alerts RENAME TO alerts_v9;
CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY,
    rule       TEXT NOT NULL,
    item_key   INTEGER NOT NULL,
    change     INTEGER NOT NULL DEFAULT 0,
    link_key   TEXT NOT NULL DEFAULT '',
    snippet    TEXT NOT NULL DEFAULT '',
    created    INTEGER NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending',
    duplicate_of INTEGER REFERENCES alerts(id),
    message    INTEGER REFERENCES outbox(id),
    UNIQUE (rule, item_key, change)
);
INSERT INTO alerts (id, rule, item_key, change, link_key, snippet, created, state, duplicate_of,
                    message)
SELECT id, rule, item_key, change, link_key, snippet, created, state, duplicate_of, message
FROM alerts_v9 ORDER BY id;
DROP TABLE alerts_v9;
CREATE INDEX alerts_by_created ON alerts(created);
CREATE INDEX alerts_by_link ON alerts(link_key, rule) WHERE link_key <> '';
CREATE INDEX alerts_waiting ON alerts(rule) WHERE message IS NULL AND state = 'pending';
)sql";
}

// Version 11: each alert's link as a number, no per-alert index on
// `created`, and the alerts' foreign keys checked at commit
// (docs/performance.md, "Matching, fifth round"). An alert row was four
// b-tree inserts and a statement journal:
//
// - alerts_by_link (link_key, rule) goes: an index entry of ~60 bytes of
//   text, at a random place, for every alert (~21 an item with broad rules).
//   `link_items` holds instead each item matched against the rules by its
//   link's hash (`link_hash`, common/text.h: the normalized link's XXH3, 0
//   for none): one entry an item, not one an alert. The rule's alerts of a
//   link are its alerts of those items (the unique key, rule and item), and
//   the row keeps `link_key`, which every such lookup compares (alerts.cpp),
//   so two links with one hash are never taken for one. Every alert's (link,
//   item) is there: the batch that records an alert adds its items.
// - alerts_by_created served `specwatch alerts` (newest first: created DESC,
//   id DESC, and --since). Every alert a batch records has the batch's time
//   and the ids a batch takes are consecutive (one writer; alerts are never
//   deleted), so the order is kept per run of ids instead: `alert_runs` holds,
//   for each run of consecutive ids with one `created`, its first and last
//   id, and the listing walks the runs newest first (created DESC, first_id
//   DESC, through alert_runs_by_created) and each run's alerts by id
//   downwards. That is the same order whatever the clock did: a clock that
//   stepped back makes a run older than the one before it, not ids out of
//   order inside a run. One row a batch instead of one index entry an alert.
// - `duplicate_of` and `message` keep their foreign keys, DEFERRABLE
//   INITIALLY DEFERRED: checked when the transaction commits, not by each
//   statement. A rule's alerts are one INSERT … SELECT (alerts.cpp, kRecord);
//   sqlite gives a statement that writes many rows and may stop half-way a
//   statement journal, a copy of every page it is about to change, and an
//   immediate foreign key is such a stop (even on the NULL each alert starts
//   with). Both columns are set by the daemon's own UPDATEs to rows it has
//   just read, and nothing is ever deleted from alerts or outbox.
//
// The table is rebuilt for the deferred keys (SQLite cannot alter a
// constraint), as in version 10: the old one renamed (the self-reference of
// duplicate_of follows it), the rows copied in id order with their link
// hashes (link_hash(), registered by Store::open), the old table dropped, the
// indexes made; the runs come from the rows (consecutive ids with the same
// `created`), link_items from each alert's link and item.
std::string v11() {
    return R"sql(
ALTER TABLE alerts RENAME TO alerts_v10;
CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY,
    rule       TEXT NOT NULL,
    item_key   INTEGER NOT NULL,
    change     INTEGER NOT NULL DEFAULT 0,
    link_key   TEXT NOT NULL DEFAULT '',
    link_hash  INTEGER NOT NULL DEFAULT 0,
    snippet    TEXT NOT NULL DEFAULT '',
    created    INTEGER NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending',
    duplicate_of INTEGER REFERENCES alerts(id) DEFERRABLE INITIALLY DEFERRED,
    message    INTEGER REFERENCES outbox(id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (rule, item_key, change)
);
INSERT INTO alerts (id, rule, item_key, change, link_key, link_hash, snippet, created, state,
                    duplicate_of, message)
SELECT id, rule, item_key, change, link_key, link_hash(link_key), snippet, created, state,
       duplicate_of, message
FROM alerts_v10 ORDER BY id;
DROP TABLE alerts_v10;
CREATE INDEX alerts_waiting ON alerts(rule) WHERE message IS NULL AND state = 'pending';
CREATE TABLE alert_runs (
    first_id INTEGER PRIMARY KEY,
    last_id  INTEGER NOT NULL,
    created  INTEGER NOT NULL
);
CREATE INDEX alert_runs_by_created ON alert_runs(created);
CREATE TABLE link_items (
    link_hash INTEGER NOT NULL,
    item_key  INTEGER NOT NULL,
    PRIMARY KEY (link_hash, item_key)
) WITHOUT ROWID;
INSERT OR IGNORE INTO link_items (link_hash, item_key)
SELECT link_hash, item_key FROM alerts WHERE link_hash <> 0;
INSERT INTO alert_runs (first_id, last_id, created)
SELECT MIN(id), MAX(id), created FROM (
    SELECT id, created, SUM(starts) OVER (ORDER BY id) AS run FROM (
        SELECT id, created,
               (created IS NOT LAG(created) OVER (ORDER BY id)) AS starts
        FROM alerts))
GROUP BY run;
)sql";
}

void link_hash_sql(sqlite3_context* ctx, int, sqlite3_value** argv) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    const auto size = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
    sqlite3_result_int64(ctx, text ? link_hash(std::string_view(text, size)) : 0);
}

}  // namespace

const std::vector<std::string>& migrations() {
    static const std::vector<std::string> list = {v1(), v2(), v3(), v4(),  v5(), v6(),
                                                  v7(), v8(), v9(), v10(), v11()};
    return list;
}

Result<void> register_schema_functions(sqlite3* db) {
    if (sqlite3_create_function(db, "link_hash", 1,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                link_hash_sql, nullptr, nullptr) != SQLITE_OK)
        return make_error(fmt::format("registering link_hash(): {}", sqlite3_errmsg(db)));
    return {};
}

}  // namespace specwatch::storage
