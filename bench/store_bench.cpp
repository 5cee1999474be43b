// Storing and matching, through the libraries the daemon uses:
//   BM_Ingest: items/s stored (upsert + FTS5 index) into a SQLite file, one
//     store_poll (one transaction) per 50-item poll, like a first poll.
//   BM_IngestShort: the same with title-and-summary items (~52 tokens).
//   BM_IngestFloor: SQLite and FTS5 alone on the same items, with no store
//     around them: the floor under BM_Ingest (see the function).
//   BM_Match: 1,000 rules against a batch of 10,000 new items (match_batch,
//     inside the batch's transaction, as the daemon runs it).
//   BM_MatchMailed: the same with every rule mailing (snippets, one queued
//     message per rule).
//   BM_MatchNarrow: 1,000 rules of two rare words each against the same
//     batch: 2.8 alerts an item instead of 21 (BM_Match's rules are broad),
//     closer to a real watch list.
// Each prints alerts/round and match_cpu_ms, the CPU time of match_batch's
// thread (steadier than the wall time on a shared machine).
//   BM_ListAlerts: `specwatch alerts` (alerts::list_alerts) over 846,058
//     alerts recorded by match_batch in 5 committed batches, the clock stepped
//     back between two of them: newest 50, --since, --rule, 10,000 rows.
// Run: build/bench/store_bench (the database files live under /tmp).
#include "alerts/alerts.h"
#include "bench/corpus.h"
#include "common/clock.h"
#include "common/fts.h"
#include "config/config.h"
#include "storage/sqlite.h"
#include "storage/store.h"
#include "storage/tokenizer.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <benchmark/benchmark.h>
#include <time.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace {

using namespace specwatch;

std::string fresh_path(const char* name) {
    const std::string p =
        "/tmp/specwatch-" + std::string(name) + "-" + std::to_string(getpid()) + ".db";
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(p + ext);
    return p;
}

template <class T>
T must(Result<T> r) {
    if (!r) throw std::runtime_error(r.error().message);
    return std::move(*r);
}
void must(Result<void> r) {
    if (!r) throw std::runtime_error(r.error().message);
}

// `short_items`: title and summary only (~52 tokens, ~400 bytes of text, as
// in many feeds that give no full text) instead of the corpus's ~1 KB items
// (~156 tokens).
void ingest(benchmark::State& state, bool short_items) {
    constexpr int kPerPoll = 50, kSources = 1000;
    // Polls per transaction: 1 is a store_poll on its own; more is the
    // daemon's writer taking the polls that finished while it was busy, each
    // in a savepoint of one transaction.
    const auto per_tx = static_cast<std::size_t>(state.range(0));
    const std::string path = fresh_path("ingest");
    SystemClock clock;
    auto store = must(storage::Store::open(path, clock));
    must(store->sync_sources(bench::sources(kSources)));
    bench::Corpus corpus;
    std::int64_t n = 0;
    std::vector<std::vector<Item>> polls(64);
    for (auto& p : polls)
        for (int i = 0; i < kPerPoll; ++i) {
            p.push_back(corpus.item(0));
            if (short_items) p.back().content.clear();
        }
    std::int64_t stored = 0;
    for (auto _ : state) {
        state.PauseTiming();
        for (auto& p : polls)
            for (auto& it : p) {
                it.id = "urn:bench:" + std::to_string(++n);
                it.link = "https://example.org/doc/" + std::to_string(n);
            }
        state.ResumeTiming();
        for (std::size_t first = 0; first < polls.size(); first += per_tx) {
            std::vector<storage::PollToStore> batch;
            for (std::size_t i = first; i < std::min(first + per_tx, polls.size()); ++i) {
                storage::PollToStore p;
                p.source = "src" + std::to_string(i % kSources);
                p.items = &polls[i];
                p.outcome.when = 1'800'000'000;
                p.outcome.http_status = 200;
                batch.push_back(std::move(p));
            }
            for (const auto& r : must(store->store_polls(batch))) stored += r.new_items;
        }
    }
    state.SetItemsProcessed(stored);
    store.reset();
    bench::remove_db(path);
}
void BM_Ingest(benchmark::State& state) {
    ingest(state, false);
}
BENCHMARK(BM_Ingest)->Arg(1)->Arg(8)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond)->MinTime(3.0);
void BM_IngestShort(benchmark::State& state) {
    ingest(state, true);
}
BENCHMARK(BM_IngestShort)->Arg(32)->Unit(benchmark::kMillisecond);

// What Debian's SQLite costs on its own for BM_Ingest/32's items: the floor
// under any store that keeps them searchable. The same corpus, pragmas
// (16 KiB pages, WAL, synchronous NORMAL), FTS5 columns, tokenizer options,
// `automerge` 16 and `hashsize` 8 MB as the store, 1,600 items a transaction.
//   0: FTS5 alone (contentless), SQLite's own unicode61;
//   1: the same with specwatch's tokenizer (storage/tokenizer.cpp);
//   2: the smallest store: a rowid table holding the text (no source, hashes,
//      unique key or listing indexes), indexed by FTS5 from it with one
//      INSERT … SELECT a transaction, specwatch's tokenizer;
//   3: 1 with merging off (`automerge` 0, `crisismerge` 2000): only the
//      writing of level-0 segments, which a real index must merge later.
// Second argument 0: BM_IngestShort's items instead.
void BM_IngestFloor(benchmark::State& state) {
    const int variant = static_cast<int>(state.range(0));
    const bool short_items = state.range(1) == 0;
    constexpr int kPerTransaction = 1600, kRound = 3200;
    const std::string path = fresh_path("floor");
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + path);
    if (variant >= 1) must(storage::register_tokenizer(db));
    const bool merging = variant != 3;
    const bool table = variant == 2;
    must(storage::sql::exec(
        db, fmt::format(
                "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                "{}"
                "CREATE VIRTUAL TABLE f USING fts5({}, {}tokenize='{}');"
                "INSERT INTO f(f, rank) VALUES ('automerge', {});"
                "INSERT INTO f(f, rank) VALUES ('crisismerge', {});"
                "INSERT INTO f(f, rank) VALUES ('hashsize', 8388608);",
                table ? "CREATE TABLE items (key INTEGER PRIMARY KEY, id TEXT, link TEXT, "
                        "title TEXT, summary TEXT, content TEXT, author TEXT, categories "
                        "TEXT, location TEXT, published TEXT);"
                      : "",
                fts::kColumns, table ? "content='items', content_rowid='key', " : "content='', ",
                fts::kTokenize, merging ? 16 : 0, merging ? 16 : 2000)));
    sqlite3_stmt* insert = nullptr;
    sqlite3_stmt* index = nullptr;
    const char* sql =
        table ? "INSERT INTO items (key, id, link, title, summary, content, author, categories, "
                "location, published) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
              : "INSERT INTO f (rowid, title, summary, content, categories, location) "
                "VALUES (?1, ?4, ?5, ?6, ?8, ?9)";
    if (sqlite3_prepare_v2(db, sql, -1, &insert, nullptr) != SQLITE_OK ||
        (table && sqlite3_prepare_v2(db,
                                     "INSERT INTO f (rowid, title, summary, content, categories, "
                                     "location) SELECT key, title, summary, content, categories, "
                                     "location FROM items WHERE key BETWEEN ?1 AND ?2",
                                     -1, &index, nullptr) != SQLITE_OK))
        throw std::runtime_error(sqlite3_errmsg(db));
    bench::Corpus corpus;
    std::vector<Item> items;
    for (int i = 0; i < kRound; ++i) {
        items.push_back(corpus.item(0));
        if (short_items) items.back().content.clear();
    }
    std::int64_t key = 0, stored = 0;
    auto step = [&](sqlite3_stmt* st) {
        if (sqlite3_step(st) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
        sqlite3_reset(st);
    };
    for (auto _ : state) {
        state.PauseTiming();
        for (auto& it : items) {
            it.id = "urn:bench:" + std::to_string(key + 1 + (&it - items.data()));
            it.link = "https://example.org/doc/" + it.id.substr(10);
        }
        state.ResumeTiming();
        for (int first = 0; first < kRound; first += kPerTransaction) {
            must(storage::sql::exec(db, "BEGIN"));
            const std::int64_t first_key = key + 1;
            for (int i = first; i < first + kPerTransaction; ++i) {
                const Item& it = items[static_cast<std::size_t>(i)];
                const std::string categories = "[\"" + it.categories.front() + "\"]";
                sqlite3_bind_int64(insert, 1, ++key);
                auto text = [&](int n, const std::string& v) {
                    sqlite3_bind_text(insert, n, v.data(), static_cast<int>(v.size()),
                                      SQLITE_STATIC);
                };
                text(2, it.id);
                text(3, it.link);
                text(4, it.title);
                text(5, it.summary);
                text(6, it.content);
                text(7, it.author);
                sqlite3_bind_text(insert, 8, categories.data(), static_cast<int>(categories.size()),
                                  SQLITE_TRANSIENT);
                sqlite3_bind_null(insert, 9);
                text(10, it.published);
                step(insert);
            }
            if (table) {
                sqlite3_bind_int64(index, 1, first_key);
                sqlite3_bind_int64(index, 2, key);
                step(index);
            }
            must(storage::sql::exec(db, "COMMIT"));
            stored += kPerTransaction;
        }
    }
    state.SetItemsProcessed(stored);
    sqlite3_finalize(insert);
    sqlite3_finalize(index);
    sqlite3_close(db);
    bench::remove_db(path);
}
BENCHMARK(BM_IngestFloor)
    ->ArgsProduct({{0, 1, 2, 3}, {1, 0}})
    ->Unit(benchmark::kMillisecond);

// `mailed`: every rule has a recipient and mail is on, so each rule's
// alerts also get snippets and one queued message (render + outbox row).
void match_bench(benchmark::State& state, bool mailed, bool narrow = false) {
    const int rules = static_cast<int>(state.range(0)), items = static_cast<int>(state.range(1));
    const std::string path = fresh_path("match");
    SystemClock clock;
    auto store = must(storage::Store::open(path, clock));
    config::Config cfg;
    if (mailed) cfg.mail.transport = config::Transport::sendmail;
    cfg.sources = bench::sources(1);
    must(store->sync_sources(cfg.sources));
    bench::Corpus corpus(7);
    for (int i = 0; i < rules; ++i) {
        config::Rule r;
        r.name = "rule" + std::to_string(i);
        // query(0): the kind made of two rare words.
        r.query = corpus.query(narrow ? 0 : i);
        if (mailed) r.to = {"team" + std::to_string(i) + "@example.org"};
        cfg.rules.push_back(std::move(r));
    }
    // History first (so the batch is not the whole index), then the batch.
    std::int64_t n = 0;
    auto batch_of = [&](int count) {
        std::vector<Item> v;
        for (int i = 0; i < count; ++i) v.push_back(corpus.item(++n));
        return v;
    };
    storage::FetchOutcome o;
    o.when = 1'800'000'000;
    o.http_status = 200;
    (void)must(store->store_poll("src0", batch_of(20'000), o));
    const auto batch = batch_of(items);
    if (std::getenv("STORE_BENCH_DEBUG"))
        for (int i = 0; i < 4; ++i)
            fprintf(stderr, "%s: %zu\n", cfg.rules[i].query.c_str(),
                    must(alerts::match_all(store->statements(), cfg.rules[i])).size());
    std::int64_t alerts = 0;
    double cpu = 0;
    const auto thread_cpu = [] {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    };
    for (auto _ : state) {
        // Each round a fresh batch of new items (the same text, new ids),
        // rolled back with its alerts so that every round does the same work.
        // Only match_batch is timed.
        std::vector<Item> round = batch;
        for (auto& it : round) it.id += "-" + std::to_string(++n);
        double seconds = 0;
        auto r = store->store_poll(
            "src0", round, o,
            [&](storage::sql::StatementCache& st, storage::StoreResult& b) -> Result<void> {
                const auto t0 = std::chrono::steady_clock::now();
                const double c0 = thread_cpu();
                auto m = alerts::match_batch(st, cfg, "src0", b, clock.now());
                cpu += thread_cpu() - c0;
                seconds =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                if (!m) return m.error();
                alerts += *m;
                return make_error("rolled back by the benchmark");
            });
        if (!r && r.error().message.find("rolled back by the benchmark") == std::string::npos)
            throw std::runtime_error(r.error().message);
        state.SetIterationTime(seconds);
    }
    state.counters["alerts/round"] = static_cast<double>(alerts) / state.iterations();
    state.counters["match_cpu_ms"] = 1e3 * cpu / state.iterations();
    store.reset();
    bench::remove_db(path);
}
void BM_Match(benchmark::State& state) {
    match_bench(state, false);
}
void BM_MatchMailed(benchmark::State& state) {
    match_bench(state, true);
}
void BM_MatchNarrow(benchmark::State& state) {
    match_bench(state, false, true);
}
BENCHMARK(BM_Match)
    ->Args({20, 10000})
    ->Args({100, 10000})
    ->Args({1000, 10000})
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(1);
BENCHMARK(BM_MatchNarrow)
    ->Args({1000, 10000})
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(1);
BENCHMARK(BM_MatchMailed)
    ->Args({100, 10000})
    ->Args({1000, 10000})
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(1);

// ---- listing ----

// 846,058 alerts (5 batches of 10,000 new items x BM_Match's 1,000 broad
// rules, ~170,000 alerts a batch), recorded by match_batch and committed, built
// once for the BM_ListAlerts runs. The clock steps back 90 s between the third
// and the fourth batch, so `created` does not follow the alert ids.
struct AlertsDb {
    std::string path = fresh_path("alerts");
    ManualClock clock{from_unix(1'800'000'000)};
    std::unique_ptr<storage::Store> store;
    config::Config cfg;
    std::int64_t t0 = 0;
    std::int64_t alerts = 0, rows = 0;

    AlertsDb() {
        store = must(storage::Store::open(path, clock));
        cfg.sources = bench::sources(1);
        must(store->sync_sources(cfg.sources));
        bench::Corpus corpus(7);
        for (int i = 0; i < 1000; ++i) {
            config::Rule r;
            r.name = "rule" + std::to_string(i);
            r.query = corpus.query(i);
            cfg.rules.push_back(std::move(r));
        }
        std::int64_t n = 0;
        storage::FetchOutcome o;
        o.http_status = 200;
        t0 = to_unix(clock.now());
        const int steps[] = {0, 60, 60, -90, 120};
        for (int step : steps) {
            clock.advance(std::chrono::seconds(step));
            std::vector<Item> v;
            for (int i = 0; i < 10'000; ++i) v.push_back(corpus.item(++n));
            o.when = to_unix(clock.now());
            (void)must(store->store_poll(
                "src0", v, o,
                [&](storage::sql::StatementCache& st, storage::StoreResult& b) -> Result<void> {
                    auto m = alerts::match_batch(st, cfg, "src0", b, clock.now());
                    if (!m) return m.error();
                    alerts += *m;
                    return {};
                }));
        }
        auto q = store->statements().get("SELECT COUNT(*) FROM alerts");
        if (!q) throw std::runtime_error(q.error().message);
        if (!must(q->step())) throw std::runtime_error("cannot count the alerts");
        rows = q->int64(0);
    }
    ~AlertsDb() {
        store.reset();
        bench::remove_db(path);
    }
};

AlertsDb& alerts_db() {
    static AlertsDb db;
    return db;
}

// Arg: 0 the newest 50; 1 --since (the last 100 s: the last two batches, one
// of them older by the clock than the one before); 2 --rule (one broad rule's
// newest 50); 3 the newest 10,000 (the daemon's cap).
void BM_ListAlerts(benchmark::State& state) {
    auto& db = alerts_db();
    const int variant = static_cast<int>(state.range(0));
    const std::string rule = variant == 2 ? "rule7" : "";
    const auto since = variant == 1 ? std::optional<std::int64_t>(db.t0 + 100) : std::nullopt;
    const int limit = variant == 3 ? 10'000 : 50;
    std::size_t rows = 0;
    // A checksum of the listing (ids and times, in order): the same before and
    // after a change to how the listing is served.
    std::uint64_t check = 0;
    for (auto _ : state) {
        auto r = alerts::list_alerts(db.store->statements(), rule, since, limit);
        if (!r) throw std::runtime_error(r.error().message);
        rows = r->size();
        check = 0;
        for (const auto& a : *r)
            check = check * 1'000'003 + static_cast<std::uint64_t>(a.id * 7 + a.created);
        benchmark::DoNotOptimize(r->data());
    }
    state.counters["rows"] = static_cast<double>(rows);
    state.counters["check"] = static_cast<double>(check % 1'000'000'007);
    state.counters["alerts"] = static_cast<double>(db.alerts);  // not counting duplicates
    state.counters["rows_in_table"] = static_cast<double>(db.rows);
}
BENCHMARK(BM_ListAlerts)->DenseRange(0, 3)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
