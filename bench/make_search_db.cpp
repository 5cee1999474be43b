// Builds the database bench/search_bench.py searches: N items (default
// 1,000,000) of bench/corpus.h's text over S sources ("src0" … ), stored by
// storage::Store — the code the daemon stores with — so the schema and the
// FTS5 index are exactly the daemon's (checked against a fresh database
// before reuse). A file that already holds N items is reused as it is.
//
//   build/bench/make_search_db [--items N] [--sources S] [--db PATH]
//
// Prints items/s while building. Sources get bodies from the corpus's body
// names (3GPP, ETSI, …), so `items --body` has something to filter.
#include "bench/corpus.h"
#include "common/clock.h"
#include "config/config.h"
#include "storage/store.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace specwatch;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "make_search_db: %s\n", what.c_str());
    std::exit(1);
}

template <class T>
T must(Result<T> r, std::string_view what) {
    if (!r) die(fmt::format("{}: {}", what, r.error().message));
    return std::move(*r);
}

// One integer from a one-row query, or -1 when the query fails (no table).
std::int64_t scalar(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    std::int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

// name → sql of every table, index, trigger and virtual table.
std::map<std::string, std::string> schema(sqlite3* db) {
    std::map<std::string, std::string> out;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT name, coalesce(sql, '') FROM sqlite_master", -1, &st,
                           nullptr) != SQLITE_OK)
        die(sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW)
        out[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
            reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    return out;
}

// The schema a fresh database gets from this build's Store, and its version.
std::map<std::string, std::string> daemon_schema(const std::string& near, const Clock& clock) {
    const std::string p = near + ".schema-check-" + std::to_string(getpid());
    bench::remove_db(p);
    std::map<std::string, std::string> out;
    {
        auto fresh = must(storage::Store::open(p, clock), "cannot create " + p);
        out = schema(fresh->handle());
    }
    bench::remove_db(p);
    return out;
}

void set_fts_hashsize(sqlite3* db, int bytes) {
    const auto sql =
        fmt::format("INSERT INTO items_fts(items_fts, rank) VALUES ('hashsize', {})", bytes);
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
        die(sqlite3_errmsg(db));
}

}  // namespace

int main(int argc, char** argv) {
    std::int64_t n = 1'000'000;
    int nsources = 100;
    std::string path = "/var/tmp/specwatch-search-1000000.db";
    bool path_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--items" && has_value) {
            n = std::atoll(argv[++i]);
        } else if (a == "--sources" && has_value) {
            nsources = std::atoi(argv[++i]);
        } else if (a == "--db" && has_value) {
            path = argv[++i];
            path_given = true;
        } else {
            std::fprintf(stderr,
                         "usage: make_search_db [--items N (1000000)] [--sources S (100)] "
                         "[--db PATH (/var/tmp/specwatch-search-N.db)]\n");
            return 2;
        }
    }
    if (n < 1 || nsources < 1) die("--items and --sources must be at least 1");
    if (!path_given) path = fmt::format("/var/tmp/specwatch-search-{}.db", n);

    SystemClock clock;
    const auto expected = daemon_schema(path, clock);
    if (std::filesystem::exists(path)) {
        auto store = must(storage::Store::open(path, clock), "cannot open " + path);
        const auto items = scalar(store->handle(), "SELECT count(*) FROM items");
        const auto srcs = scalar(store->handle(), "SELECT count(*) FROM sources");
        const bool same_schema = schema(store->handle()) == expected &&
                                 store->schema_version() == storage::kSchemaVersion;
        if (items == n && srcs == nsources && same_schema) {
            std::printf("%s: %lld items from %d sources, schema version %d: reused\n", path.c_str(),
                        static_cast<long long>(n), nsources, storage::kSchemaVersion);
            return 0;
        }
        std::printf("%s: %lld items, %lld sources%s: rebuilding\n", path.c_str(),
                    static_cast<long long>(items), static_cast<long long>(srcs),
                    same_schema ? "" : ", another schema");
        store.reset();
        bench::remove_db(path);
    }

    auto store = must(storage::Store::open(path, clock), "cannot create " + path);
    // A throwaway file that a crash may lose: no syncing while it is built
    // (the daemon's connections keep synchronous = NORMAL).
    if (sqlite3_exec(store->handle(), "PRAGMA synchronous = OFF", nullptr, nullptr, nullptr) !=
        SQLITE_OK)
        die(sqlite3_errmsg(store->handle()));
    if (auto r = store->sync_sources(bench::sources(nsources)); !r) die(r.error().message);
    // FTS5 writes its pending terms out as a new segment each time they pass
    // 'hashsize' (1 MiB by default) and merges the segments later; a larger
    // buffer while building means fewer, larger segments written once. The
    // setting is removed at the end, so the index is configured as the
    // daemon's.
    set_fts_hashsize(store->handle(), 256 << 20);

    // Polls of kPerPoll items, one transaction each (store_poll), sources in
    // turn: keys grow with the poll, as in a daemon that has run for a while.
    constexpr std::int64_t kPerPoll = 5'000;
    bench::Corpus corpus;
    const auto t0 = std::chrono::steady_clock::now();
    auto last_print = t0;
    std::int64_t stored = 0, poll = 0;
    std::vector<Item> batch;
    while (stored < n) {
        batch.clear();
        const std::int64_t count = std::min(kPerPoll, n - stored);
        for (std::int64_t i = 0; i < count; ++i) {
            Item it = corpus.item(stored + i);
            // Dates spread over ~2 years so `items --since` has a range to cut.
            const auto day = (stored + i) * 730 / n;
            it.published = fmt::format("{:04}-{:02}-{:02}T09:00:00Z", 2025 + day / 365,
                                       1 + (day % 365) / 31 % 12, 1 + day % 28);
            batch.push_back(std::move(it));
        }
        storage::FetchOutcome o;
        o.when = 1'800'000'000;
        o.http_status = 200;
        o.next_poll = 1'800'003'600;
        const std::string src = "src" + std::to_string(poll++ % nsources);
        const auto r = must(store->store_poll(src, batch, o), "cannot store a poll of " + src);
        stored += r.new_items;
        if (r.new_items != count) die(fmt::format("{} of {} items new", r.new_items, count));
        const auto now = std::chrono::steady_clock::now();
        if (now - last_print > std::chrono::seconds(10) || stored == n) {
            const double s = std::chrono::duration<double>(now - t0).count();
            std::printf("%lld of %lld items, %.1f s, %.0f items/s\n",
                        static_cast<long long>(stored), static_cast<long long>(n), s,
                        static_cast<double>(stored) / s);
            std::fflush(stdout);
            last_print = now;
        }
    }
    // A fresh index has no 'hashsize' row (it runs with the default): none.
    if (sqlite3_exec(store->handle(), "DELETE FROM items_fts_config WHERE k = 'hashsize'", nullptr,
                     nullptr, nullptr) != SQLITE_OK)
        die(sqlite3_errmsg(store->handle()));
    // The FTS5 index is left as the daemon's automerge leaves it (the daemon
    // never runs 'optimize'); checkpoint so that the file alone is the database.
    if (sqlite3_exec(store->handle(), "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr,
                     nullptr) != SQLITE_OK)
        die(sqlite3_errmsg(store->handle()));
    if (schema(store->handle()) != expected) die("the schema differs from a fresh database's");
    std::printf("%s: %lld items from %d sources, schema version %d\n", path.c_str(),
                static_cast<long long>(stored), nsources, store->schema_version());
    return 0;
}
