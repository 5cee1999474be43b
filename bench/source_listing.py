#!/usr/bin/python3
"""The per-source listing (`specwatch items --source S`, Store::items) with and
without the index items_by_source(source_id, first_seen): one source of
--big items spread over 40 polls among 999 sources of 50, in the daemon's
items table. Prints the best of 15 runs (CPU ms) of the daemon's query for
the big source and a small one, the plan, and whether both give the same
rows. Measures whether items_by_source can be folded into UNIQUE(source_id,
id) (docs/performance.md, "Ingest, third round").

Usage: bench/source_listing.py [--big 20000]
Standard library only (Python's sqlite3 uses the system libsqlite3).
"""
import argparse
import os
import random
import sqlite3
import tempfile
import time

SCHEMA = """
CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL DEFAULT '', grp TEXT NOT NULL DEFAULT '');
CREATE TABLE items (key INTEGER PRIMARY KEY, source_id INTEGER NOT NULL REFERENCES sources(id),
    id TEXT NOT NULL, link TEXT, title TEXT, summary TEXT, content TEXT, author TEXT,
    categories TEXT NOT NULL DEFAULT '[]', organizations TEXT NOT NULL DEFAULT '[]',
    published TEXT, updated TEXT, start TEXT, "end" TEXT, location TEXT,
    fingerprint TEXT NOT NULL, content_hash TEXT NOT NULL, first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL, last_changed INTEGER NOT NULL DEFAULT 0,
    changes INTEGER NOT NULL DEFAULT 0, UNIQUE (source_id, id));
CREATE INDEX items_newest ON items(first_seen, COALESCE(published, updated), key);
CREATE INDEX items_by_start ON items(start) WHERE start IS NOT NULL;
"""

# Store::items with a source filter (storage/store.cpp).
QUERY = """SELECT i.key, s.name, s.body, s.grp, i.id, i.link, i.title, i.summary, i.content,
    i.author, i.categories, i.organizations, i.published, i.updated, i.start, i."end",
    i.location, i.first_seen, i.last_seen, i.last_changed
FROM items i JOIN sources s ON s.id = i.source_id WHERE i.first_seen >= ?1 AND s.name = ?3
ORDER BY i.first_seen DESC, COALESCE(i.published, i.updated) DESC, i.key DESC LIMIT ?2"""


def build(path, big, with_index):
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    if with_index:
        db.execute("CREATE INDEX items_by_source ON items(source_id, first_seen)")
    db.executemany("INSERT INTO sources (id, name) VALUES (?, ?)",
                   [(i + 1, f"src{i}") for i in range(1000)])
    rows = []
    text = "lorem ipsum " * 80
    for s in range(1, 1001):
        n = big if s == 1 else 50
        for k in range(n):
            first_seen = 1_800_000_000 + (k * 40 // n) * 3600
            rows.append((s, f"urn:{s}:{k}", f"https://example.org/{s}/{k}", f"title {k}",
                         text, f"2026-0{1 + k % 9}-1{k % 10}T00:00:00Z", first_seen))
    random.Random(1).shuffle(rows)  # sources' polls interleave
    db.executemany("INSERT INTO items (source_id, id, link, title, summary, published, "
                   "fingerprint, content_hash, first_seen, last_seen) "
                   "VALUES (?, ?, ?, ?, ?, ?, 'f', 'h', ?7, ?7)", rows)
    db.commit()
    return db


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=20000)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for with_index in (True, False):
            db = build(os.path.join(tmp, f"{with_index}.db"), args.big, with_index)
            params = (-2**63, 50)
            plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + QUERY, params + ("src0",))]
            for name in ("src0", "src7"):
                best, rows = float("inf"), None
                for _ in range(15):
                    t = time.process_time()
                    rows = db.execute(QUERY, params + (name,)).fetchall()
                    best = min(best, time.process_time() - t)
                results.setdefault(name, []).append(rows)
                size = args.big if name == "src0" else 50
                print(f"items_by_source {'yes' if with_index else 'no ':3}  source of {size:>6} "
                      f"items: {best * 1000:6.2f} ms CPU (best of 15)")
            print("    plan:", "; ".join(plan))
            db.close()
    print("same rows with and without:", all(a == b for a, b in results.values()))


if __name__ == "__main__":
    main()
