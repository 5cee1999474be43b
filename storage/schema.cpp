#include "storage/schema.h"

#include "common/fts.h"
#include "common/text.h"

#include <fmt/format.h>

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

}  // namespace

const std::vector<std::string>& migrations() {
    static const std::vector<std::string> list = {v1(), v2(), v3(), v4(), v5(), v6(), v7(), v8()};
    return list;
}

}  // namespace specwatch::storage
