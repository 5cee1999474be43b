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

}  // namespace

const std::vector<std::string>& migrations() {
    static const std::vector<std::string> list = {v1()};
    return list;
}

}  // namespace specwatch::storage
