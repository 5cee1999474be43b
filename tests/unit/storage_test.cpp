#include "storage/store.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/meeting.h"
#include "common/text.h"
#include "storage/backup.h"
#include "storage/schema.h"
#include "storage/sqlite.h"
#include "storage/tokenizer.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

using namespace specwatch;
using namespace specwatch::storage;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

Item make_item(std::string id, std::string title, std::string summary = "") {
    Item it;
    it.id = std::move(id);
    it.link = "https://example.org/" + it.id;
    it.title = std::move(title);
    it.summary = std::move(summary);
    return it;
}

config::Source make_source(std::string name, std::string body, std::string url) {
    config::Source s;
    s.name = std::move(name);
    s.body = std::move(body);
    s.url = std::move(url);
    return s;
}

FetchOutcome ok_outcome(std::int64_t when, std::string etag = "") {
    FetchOutcome o;
    o.when = when;
    o.http_status = 200;
    o.etag = std::move(etag);
    o.feed_format = "rss2.0";
    o.next_poll = when + 3600;
    return o;
}

ItemFilter by_source(std::string source) {
    ItemFilter f;
    f.source = std::move(source);
    return f;
}

std::vector<std::string> titles(const std::vector<StoredItem>& items) {
    std::vector<std::string> out;
    for (const auto& i : items) out.push_back(i.item.title);
    return out;
}

class StorageTest : public ::testing::Test {
  protected:
    void SetUp() override {
        log::set_max_level(log::Level::warning);  // no "schema version 0 → 1" per test
        std::string tmpl = (fs::temp_directory_path() / "specwatch-storage-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        path_ = (dir_ / "specwatch.db").string();
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<Store> open() {
        auto s = Store::open(path_, clock_);
        EXPECT_TRUE(s) << (s ? "" : s.error().message);
        return s ? std::move(*s) : nullptr;
    }

    // A store with two sources, "itu-news" (ITU) and "3gpp-ran1" (3GPP).
    std::unique_ptr<Store> open_with_sources() {
        auto s = open();
        auto r = s->sync_sources({make_source("itu-news", "ITU", "https://itu.example/rss"),
                                  make_source("3gpp-ran1", "3GPP", "https://3gpp.example/rss")});
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        return s;
    }

    StoreResult store(Store& s, const std::string& source, const std::vector<Item>& items) {
        auto r = s.store_poll(source, items, ok_outcome(to_unix(clock_.now())));
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        return r ? *r : StoreResult{};
    }

    std::vector<std::string> search_titles(Store& s, const std::string& query) {
        auto r = s.search(query, 100);
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        return r ? titles(*r) : std::vector<std::string>{};
    }

    // The database a release of schema `version` left: its migrations, then
    // `sql` (rows as that release wrote them).
    void make_old_database(int version, const std::string& sql) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
        for (int v = 0; v < version; ++v)
            ASSERT_EQ(sqlite3_exec(db, migrations()[static_cast<std::size_t>(v)].c_str(), nullptr,
                                   nullptr, nullptr),
                      SQLITE_OK)
                << sqlite3_errmsg(db);
        const std::string all = fmt::format("PRAGMA user_version = {};", version) + sql;
        ASSERT_EQ(sqlite3_exec(db, all.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
            << sqlite3_errmsg(db);
        sqlite3_close(db);
    }

    // Each row of `sql` as its columns' text joined by '|' (NULL for null).
    static std::vector<std::string> table_rows(sqlite3* db, const char* sql) {
        std::vector<std::string> out;
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            std::string row;
            for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
                const auto* t = sqlite3_column_text(stmt, c);
                row += (c ? "|" : "") + std::string(t ? reinterpret_cast<const char*>(t) : "NULL");
            }
            out.push_back(row);
        }
        sqlite3_finalize(stmt);
        return out;
    }

    fs::path dir_;
    std::string path_;
    ManualClock clock_{*parse_iso("2026-03-16T09:00:00Z")};
};

// ---- opening ----

TEST_F(StorageTest, ANewDatabaseIsMigratedToTheCurrentSchema) {
    EXPECT_EQ(migrations().size(), static_cast<std::size_t>(kSchemaVersion));
    auto s = open();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    EXPECT_TRUE(fs::exists(path_));
}

TEST_F(StorageTest, OpeningUsesWalAndForeignKeys) {
    auto s = open();
    ASSERT_TRUE(s);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(s->handle(), "PRAGMA journal_mode", -1, &stmt, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
    sqlite3_finalize(stmt);
    ASSERT_EQ(sqlite3_prepare_v2(s->handle(), "PRAGMA foreign_keys", -1, &stmt, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
    sqlite3_finalize(stmt);
}

TEST_F(StorageTest, ADatabaseWithANewerSchemaIsRefused) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);

    auto s = Store::open(path_, clock_);
    ASSERT_FALSE(s);
    const auto& m = s.error().message;
    EXPECT_NE(m.find(path_), std::string::npos) << m;
    EXPECT_NE(m.find("schema version 99"), std::string::npos) << m;
    EXPECT_NE(m.find("newer than this specwatch"), std::string::npos) << m;
    EXPECT_NE(m.find(std::to_string(kSchemaVersion)), std::string::npos) << m;
}

TEST_F(StorageTest, AnUnopenablePathIsAnErrorNamingIt) {
    const std::string bad = (dir_ / "no-such-dir" / "specwatch.db").string();
    auto s = Store::open(bad, clock_);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find(bad), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("unable to open"), std::string::npos) << s.error().message;
}

TEST_F(StorageTest, AFileThatIsNotADatabaseIsAnErrorNamingIt) {
    {
        std::ofstream f{path_};
        f << "this is a config file, not a database\n" << std::string(4096, 'x');
    }
    auto s = Store::open(path_, clock_);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find(path_), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("not a database"), std::string::npos) << s.error().message;
}

TEST_F(StorageTest, ReopeningKeepsSourcesItemsAndState) {
    {
        auto s = open_with_sources();
        store(*s, "itu-news", {make_item("a", "First"), make_item("b", "Second")});
    }
    auto s = open();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    auto src = s->source("itu-news");
    ASSERT_TRUE(src && *src);
    EXPECT_EQ((*src)->items, 2);
    EXPECT_EQ((*src)->last_status, 200);
    EXPECT_EQ(search_titles(*s, "second"), std::vector<std::string>{"Second"});
}

TEST_F(StorageTest, TwoConnectionsToOneDatabaseWork) {
    auto writer = open_with_sources();
    auto reader = open();
    ASSERT_TRUE(reader);
    store(*writer, "itu-news", {make_item("a", "Seen by the reader")});
    auto items = reader->items({});
    ASSERT_TRUE(items);
    EXPECT_EQ(titles(*items), std::vector<std::string>{"Seen by the reader"});
}

// ---- storing polls ----

TEST_F(StorageTest, StorePollInsertsItemsAndReportsThemNew) {
    auto s = open_with_sources();
    Item full = make_item("urn:1", "IMT-2030 workshop", "A summary");
    full.content = "Full text";
    full.author = "ITU-R";
    full.categories = {"5G", "Radio"};
    full.organizations = {"Ericsson", "Nokia"};
    full.published = "2026-03-15T10:00:00Z";
    full.start = "2026-04-01";
    full.end = "2026-04-03";
    full.location = "Geneva";
    auto r = store(*s, "itu-news", {full, make_item("urn:2", "Second")});
    EXPECT_EQ(r.new_items, 2);
    EXPECT_EQ(r.changed + r.updated + r.unchanged, 0);
    ASSERT_EQ(r.new_keys.size(), 2u);

    auto got = s->item(r.new_keys[0]);
    ASSERT_TRUE(got && *got);
    const StoredItem& si = **got;
    EXPECT_EQ(si.item, full);
    EXPECT_EQ(si.source, "itu-news");
    EXPECT_EQ(si.body, "ITU");
    EXPECT_EQ(si.first_seen, to_unix(clock_.now()));
    EXPECT_EQ(si.last_seen, to_unix(clock_.now()));
    EXPECT_EQ(si.last_changed, 0);

    auto missing = s->item(999999);
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);
}

TEST_F(StorageTest, CategoriesWithQuotesControlCharactersAndNonAsciiReadBackAsStored) {
    auto s = open_with_sources();
    Item it = make_item("urn:json", "Categories");
    it.categories = {"a \"quoted\" \\ back", "tab\tnew\nline\x01\x1f\x7f", ""};  // ASCII
    it.organizations = {"/slash/", "Ström", "Genève"};
    auto r = store(*s, "itu-news", {it});
    ASSERT_EQ(r.new_keys.size(), 1u);
    auto got = s->item(r.new_keys[0]);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->item.categories, it.categories);
    EXPECT_EQ((*got)->item.organizations, it.organizations);
    // Invalid UTF-8 is repaired (U+FFFD), not refused.
    Item bad = make_item("urn:bad", "Bad");
    bad.categories = {"x\xffy"};
    r = store(*s, "itu-news", {bad});
    ASSERT_EQ(r.new_keys.size(), 1u);
    got = s->item(r.new_keys[0]);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->item.categories, std::vector<std::string>{"x\xef\xbf\xbdy"});
}

TEST_F(StorageTest, StoringTheSameItemsAgainChangesNothing) {
    auto s = open_with_sources();
    const std::vector<Item> items = {make_item("a", "One"), make_item("b", "Two")};
    store(*s, "itu-news", items);
    clock_.advance(1h);
    auto r = store(*s, "itu-news", items);
    EXPECT_EQ(r.new_items, 0);
    EXPECT_EQ(r.unchanged, 2);
    EXPECT_TRUE(r.new_keys.empty());
    EXPECT_TRUE(r.changed_keys.empty());

    auto all = s->items({});
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    for (const auto& i : *all) {
        EXPECT_EQ(i.first_seen, to_unix(clock_.now() - 1h));
        EXPECT_EQ(i.last_seen, to_unix(clock_.now()));
    }
    EXPECT_EQ(search_titles(*s, "one"), std::vector<std::string>{"One"});
}

TEST_F(StorageTest, TheSameIdInTwoSourcesIsTwoItems) {
    auto s = open_with_sources();
    EXPECT_EQ(store(*s, "itu-news", {make_item("x", "In ITU")}).new_items, 1);
    EXPECT_EQ(store(*s, "3gpp-ran1", {make_item("x", "In 3GPP")}).new_items, 1);
    EXPECT_EQ(s->counts()->items, 2);
}

TEST_F(StorageTest, AChangedTitleIsAChangeAndCounted) {
    auto s = open_with_sources();
    auto first = store(*s, "itu-news", {make_item("a", "Meeting in March")});
    clock_.advance(1h);
    auto r = store(*s, "itu-news", {make_item("a", "Meeting in April")});
    EXPECT_EQ(r.changed, 1);
    EXPECT_EQ(r.updated, 0);
    ASSERT_EQ(r.changed_keys.size(), 1u);
    EXPECT_EQ(r.changed_keys[0], first.new_keys[0]);

    clock_.advance(1h);
    Item moved = make_item("a", "Meeting in April");
    moved.location = "Geneva";
    EXPECT_EQ(store(*s, "itu-news", {moved}).changed, 1);

    auto got = s->item(first.new_keys[0]);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->item.title, "Meeting in April");
    EXPECT_EQ((*got)->last_changed, to_unix(clock_.now()));

    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(s->handle(), "SELECT changes FROM items", -1, &stmt, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 2);
    sqlite3_finalize(stmt);
}

TEST_F(StorageTest, AChangedSummaryIsAQuietUpdate) {
    auto s = open_with_sources();
    auto first = store(*s, "itu-news", {make_item("a", "Title", "old summary")});
    clock_.advance(1h);
    auto r = store(*s, "itu-news", {make_item("a", "Title", "new summary")});
    EXPECT_EQ(r.updated, 1);
    EXPECT_EQ(r.changed, 0);
    EXPECT_TRUE(r.changed_keys.empty());
    auto got = s->item(first.new_keys[0]);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->item.summary, "new summary");
    EXPECT_EQ((*got)->last_changed, 0);
    EXPECT_EQ((*got)->last_seen, to_unix(clock_.now()));
}

TEST_F(StorageTest, ARepeatedIdInOneDocumentCountsOnceAndTheLastWins) {
    auto s = open_with_sources();
    auto r = store(*s, "itu-news",
                   {make_item("a", "First version"), make_item("b", "Other"),
                    make_item("a", "Second version")});
    EXPECT_EQ(r.new_items, 2);
    EXPECT_EQ(r.new_keys.size(), 2u);
    EXPECT_EQ(search_titles(*s, "version"), std::vector<std::string>{"Second version"});
}

TEST_F(StorageTest, StoringForAnUnknownSourceIsAnErrorNamingIt) {
    auto s = open_with_sources();
    auto r = s->store_poll("nope", {make_item("a", "A")}, ok_outcome(1));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("'nope'"), std::string::npos) << r.error().message;
    auto f = s->record_fetch("nope", ok_outcome(1));
    ASSERT_FALSE(f);
    EXPECT_NE(f.error().message.find("'nope'"), std::string::npos) << f.error().message;
    EXPECT_EQ(s->counts()->items, 0);
}

TEST_F(StorageTest, ValidatorsAreSavedWithTheItems) {
    auto s = open_with_sources();
    FetchOutcome o = ok_outcome(1000, "\"v1\"");
    o.last_modified = "Mon, 16 Mar 2026 09:00:00 GMT";
    ASSERT_TRUE(s->store_poll("itu-news", {make_item("a", "A")}, o));
    auto src = s->source("itu-news");
    ASSERT_TRUE(src && *src);
    EXPECT_EQ((*src)->etag, "\"v1\"");
    EXPECT_EQ((*src)->last_modified, "Mon, 16 Mar 2026 09:00:00 GMT");
    EXPECT_EQ((*src)->last_poll, 1000);
    EXPECT_EQ((*src)->last_success, 1000);
    EXPECT_EQ((*src)->next_poll, 4600);
    EXPECT_EQ((*src)->feed_format, "rss2.0");
    EXPECT_EQ((*src)->items, 1);
}

TEST_F(StorageTest, AFailingItemStoresNothingOfItsPollNotEvenTheValidators) {
    auto s = open_with_sources();
    ASSERT_TRUE(s->store_poll("itu-news", {make_item("a", "A")}, ok_outcome(1000, "\"v1\"")));
    // A fault in the middle of the batch, as a full disk would cause.
    ASSERT_EQ(
        sqlite3_exec(s->handle(),
                     "CREATE TRIGGER fail_boom BEFORE INSERT ON items WHEN new.title = 'boom' "
                     "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END",
                     nullptr, nullptr, nullptr),
        SQLITE_OK);
    auto r = s->store_poll(
        "itu-news",
        {make_item("b", "Stored first"), make_item("c", "boom"), make_item("a", "A changed")},
        ok_outcome(2000, "\"v2\""));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("'itu-news'"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("simulated failure"), std::string::npos) << r.error().message;

    auto src = *s->source("itu-news");
    ASSERT_TRUE(src);
    EXPECT_EQ(src->etag, "\"v1\"");
    EXPECT_EQ(src->last_poll, 1000);
    EXPECT_EQ(src->items, 1);
    EXPECT_TRUE(search_titles(*s, "stored").empty());
    EXPECT_EQ(search_titles(*s, "a"), std::vector<std::string>{"A"});

    // The connection is usable again: the next poll goes through.
    ASSERT_EQ(sqlite3_exec(s->handle(), "DROP TRIGGER fail_boom", nullptr, nullptr, nullptr),
              SQLITE_OK);
    auto again =
        s->store_poll("itu-news", {make_item("b", "Stored first")}, ok_outcome(3000, "\"v3\""));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->new_items, 1);
    EXPECT_EQ((*s->source("itu-news"))->etag, "\"v3\"");
}

// The FTS5 index's own check: every indexed row matches what `items` holds.
void expect_index_consistent(Store& s) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(
                  s.handle(), "INSERT INTO items_fts(items_fts, rank) VALUES('integrity-check', 1)",
                  -1, &stmt, nullptr),
              SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(s.handle());
    sqlite3_finalize(stmt);
}

TEST_F(StorageTest, SeveralPollsInOneTransactionStoreAndIndexEach) {
    auto s = open_with_sources();
    store(*s, "3gpp-ran1", {make_item("old", "Earlier heading")});
    const std::vector<Item> itu = {make_item("a", "Radio regulations", "spectrum"),
                                   make_item("b", "Cybersecurity workshop")};
    const std::vector<Item> ran1 = {make_item("old", "Revised heading"),
                                    make_item("c", "Radio layer one")};
    std::vector<std::string> seen_by_also;
    std::vector<PollToStore> polls(3);
    polls[0].source = "itu-news";
    polls[0].items = &itu;
    polls[0].outcome = ok_outcome(5000, "\"i1\"");
    polls[0].also = [&](sql::StatementCache&, StoreResult& r) -> Result<void> {
        // Each poll's step runs after the whole batch is indexed.
        seen_by_also = search_titles(*s, "radio");
        std::sort(seen_by_also.begin(), seen_by_also.end());
        r.alerts = 7;
        return {};
    };
    polls[1].source = "3gpp-ran1";
    polls[1].items = &ran1;
    polls[1].outcome = ok_outcome(5000, "\"r1\"");
    FetchOutcome not_modified = ok_outcome(5000);
    not_modified.http_status = 304;
    not_modified.not_modified = true;
    polls[2].source = "itu-news";  // a fetch without items, in the same batch
    polls[2].outcome = not_modified;
    polls[2].outcome.etag = "\"i1\"";

    auto r = s->store_polls(polls);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[0].new_items, 2);
    EXPECT_EQ((*r)[0].alerts, 7);
    EXPECT_EQ((*r)[1].new_items, 1);
    EXPECT_EQ((*r)[1].changed, 1);
    EXPECT_EQ((*r)[2].new_items, 0);
    EXPECT_EQ(seen_by_also, (std::vector<std::string>{"Radio layer one", "Radio regulations"}));
    EXPECT_EQ(search_titles(*s, "earlier"), std::vector<std::string>{});
    EXPECT_EQ(search_titles(*s, "revised"), std::vector<std::string>{"Revised heading"});
    EXPECT_EQ(search_titles(*s, "cybersecurity"),
              std::vector<std::string>{"Cybersecurity workshop"});
    EXPECT_EQ((*s->source("itu-news"))->etag, "\"i1\"");
    EXPECT_EQ((*s->source("3gpp-ran1"))->etag, "\"r1\"");
    expect_index_consistent(*s);
}

// A batch's new items go into the index together and make one segment (FTS5
// writes one at every savepoint and commit that has terms pending): three
// transactions, three segments, whatever their size. A segment per item was
// the old trigger's cost (docs/performance.md, "Ingest").
TEST_F(StorageTest, EachTransactionAddsOneSegmentToTheIndex) {
    auto s = open_with_sources();
    const auto segments = [&] {
        // A segment's pages are rows of items_fts_data whose id holds the
        // segment id above bit 37 (FTS5's fts5_dri); ids below are its own.
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(s->handle(),
                                     "SELECT count(DISTINCT id >> 37) FROM items_fts_data "
                                     "WHERE id >= (1 << 37)",
                                     -1, &stmt, nullptr),
                  SQLITE_OK);
        EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
        const int n = sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
        return n;
    };
    std::vector<Item> many;
    for (int i = 0; i < 120; ++i)
        many.push_back(make_item("m" + std::to_string(i), "Item " + std::to_string(i), "radio"));
    store(*s, "itu-news", many);
    EXPECT_EQ(segments(), 1);
    store(*s, "3gpp-ran1", {make_item("a", "Radio layer one"), make_item("b", "Core network")});
    EXPECT_EQ(segments(), 2);
    std::vector<Item> more = many;
    more.push_back(make_item("n", "Spectrum"));
    store(*s, "itu-news", more);  // one new item among 120 unchanged
    EXPECT_EQ(segments(), 3);
    EXPECT_EQ(search_titles(*s, "spectrum"), std::vector<std::string>{"Spectrum"});
    expect_index_consistent(*s);
}

TEST_F(StorageTest, AFailingPollInABatchStoresNothingOfTheBatchAndIsNamed) {
    auto s = open_with_sources();
    ASSERT_TRUE(s->store_poll("itu-news", {make_item("a", "A")}, ok_outcome(1000, "\"v1\"")));
    const std::vector<Item> itu = {make_item("b", "Fine item")};
    const std::vector<Item> ran1 = {make_item("c", "Also fine")};
    std::vector<PollToStore> polls(2);
    polls[0].source = "itu-news";
    polls[0].items = &itu;
    polls[0].outcome = ok_outcome(2000, "\"v2\"");
    polls[1].source = "3gpp-ran1";
    polls[1].items = &ran1;
    polls[1].outcome = ok_outcome(2000, "\"r2\"");
    polls[1].also = [](sql::StatementCache&, StoreResult&) -> Result<void> {
        return make_error("simulated failure");
    };
    auto r = s->store_polls(polls);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("'3gpp-ran1'"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("simulated failure"), std::string::npos);
    EXPECT_TRUE(search_titles(*s, "fine").empty());
    EXPECT_EQ((*s->source("itu-news"))->etag, "\"v1\"");
    EXPECT_EQ((*s->source("itu-news"))->items, 1);
    expect_index_consistent(*s);
}

TEST_F(StorageTest, ATransactionBegunInsideAnotherIsASavepointOfIt) {
    auto s = open_with_sources();
    auto outer = sql::Transaction::begin(s->handle());
    ASSERT_TRUE(outer);
    EXPECT_FALSE(outer->nested());
    ASSERT_TRUE(s->store_poll("itu-news", {make_item("a", "Kept")}, ok_outcome(1000)));
    {
        auto inner = sql::Transaction::begin(s->handle());
        ASSERT_TRUE(inner);
        EXPECT_TRUE(inner->nested());
        ASSERT_TRUE(s->store_poll("3gpp-ran1", {make_item("b", "Undone")}, ok_outcome(1000)));
    }  // not committed: only its own work is undone
    auto failed = s->store_poll("3gpp-ran1", {make_item("c", "Failed")}, ok_outcome(1000),
                                [](sql::StatementCache&, StoreResult&) -> Result<void> {
                                    return make_error("simulated failure");
                                });
    EXPECT_FALSE(failed);
    ASSERT_TRUE(outer->commit());
    EXPECT_EQ(search_titles(*s, "kept"), std::vector<std::string>{"Kept"});
    EXPECT_TRUE(search_titles(*s, "undone").empty());
    EXPECT_TRUE(search_titles(*s, "failed").empty());
    EXPECT_EQ((*s->source("itu-news"))->items, 1);
    EXPECT_EQ((*s->source("3gpp-ran1"))->items, 0);
    expect_index_consistent(*s);
}

TEST_F(StorageTest, ADatabaseIndexedByTheOldTriggerMigratesAndStaysSearchable) {
    // A version 5 database, as the releases that indexed by trigger left it.
    make_old_database(5,
                      "INSERT INTO sources (name) VALUES ('itu-news');"
                      "INSERT INTO items (source_id, id, title, fingerprint, "
                      "content_hash, first_seen, last_seen) VALUES (1, 'old', "
                      "'Stored by version five', 'f', 'h', 1, 1);");
    auto s = open();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    // Version 8: a batch's pending terms stay in memory up to 8 MB; version
    // 9: leaf pages of 8,000 bytes.
    for (const auto& [key, value] : {std::pair{"hashsize", 8388608}, std::pair{"pgsz", 8000}}) {
        sqlite3_stmt* stmt = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(s->handle(), "SELECT v FROM items_fts_config WHERE k = ?1", -1,
                                     &stmt, nullptr),
                  SQLITE_OK);
        sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
        ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW) << key;
        EXPECT_EQ(sqlite3_column_int(stmt, 0), value) << key;
        sqlite3_finalize(stmt);
    }
    store(*s, "itu-news", {make_item("new", "Stored by version six")});
    auto stored = search_titles(*s, "stored");
    std::sort(stored.begin(), stored.end());
    EXPECT_EQ(stored,
              (std::vector<std::string>{"Stored by version five", "Stored by version six"}));
    // Exactly once each: no trigger indexes the new item a second time.
    EXPECT_EQ(search_titles(*s, "six").size(), 1u);
    expect_index_consistent(*s);
}

TEST_F(StorageTest, AVersionEightDatabaseMigratesToSmallerIndexPagesAndStaysSearchable) {
    // A version 8 database whose index was written with 16,000-byte pages.
    make_old_database(8,
                      "INSERT INTO sources (name) VALUES ('itu-news');"
                      "INSERT INTO items (source_id, id, title, fingerprint, "
                      "content_hash, first_seen, last_seen) VALUES (1, 'old', "
                      "'Stored by version eight', 'f', 'h', 1, 1);"
                      "INSERT INTO items_fts (rowid, title) VALUES (1, "
                      "'Stored by version eight');");
    auto s = open();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(s->handle(), "SELECT v FROM items_fts_config WHERE k = 'pgsz'", -1,
                                 &stmt, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 8000);
    sqlite3_finalize(stmt);
    store(*s, "itu-news", {make_item("new", "Stored by version nine")});
    auto stored = search_titles(*s, "stored");
    std::sort(stored.begin(), stored.end());
    EXPECT_EQ(stored,
              (std::vector<std::string>{"Stored by version eight", "Stored by version nine"}));
    expect_index_consistent(*s);
}

// Two items of a source and an alert of the first with a duplicate for the
// second (the same link), as schema 2 to 10 store them: the migration tests'
// history.
constexpr const char* kTwoItemsAndADuplicateAlert =
    "PRAGMA foreign_keys = ON;"
    "INSERT INTO sources (name) VALUES ('itu-news');"
    "INSERT INTO items (source_id, id, title, fingerprint, "
    "content_hash, first_seen, last_seen) VALUES "
    "(1, 'a', 'A', 'f', 'h', 1, 1), (1, 'b', 'B', 'f', 'h', 1, 1);"
    "INSERT INTO alerts (id, rule, item_key, link_key, created, state) "
    "VALUES (1, 'r', 1, 'example.org/x', 5, 'nomail');"
    "INSERT INTO alerts (id, rule, item_key, link_key, created, state, "
    "duplicate_of) VALUES (2, 'r', 2, 'example.org/x', 6, 'duplicate', 1);";

TEST_F(StorageTest, AVersionNineDatabaseKeepsItsAlertsWhenTheItemForeignKeyGoes) {
    // A version 9 database with an alert and a duplicate of it.
    make_old_database(9, kTwoItemsAndADuplicateAlert);
    auto s = open();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    auto rows = [&](const char* sql) { return table_rows(s->handle(), sql); };
    EXPECT_EQ(rows("SELECT id, rule, item_key, link_key, created, state, duplicate_of "
                   "FROM alerts ORDER BY id"),
              (std::vector<std::string>{"1|r|1|example.org/x|5|nomail|NULL",
                                        "2|r|2|example.org/x|6|duplicate|1"}));
    // duplicate_of and message keep their foreign keys; item_key has none.
    EXPECT_EQ(rows("SELECT \"table\", \"from\" FROM pragma_foreign_key_list('alerts') "
                   "ORDER BY \"from\""),
              (std::vector<std::string>{"alerts|duplicate_of", "outbox|message"}));
    EXPECT_TRUE(rows("PRAGMA foreign_key_check").empty());
    EXPECT_EQ(rows("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'alerts' "
                   "AND sql IS NOT NULL ORDER BY name"),
              (std::vector<std::string>{"alerts_waiting"}));
    EXPECT_TRUE(rows("SELECT name FROM sqlite_schema WHERE name LIKE '%alerts_v9%'").empty());
}

TEST_F(StorageTest, AVersionTenDatabaseGetsLinkHashesAndAlertRunsKeepingItsAlerts) {
    // A version 10 database: an alert, its duplicate, a change, and an alert
    // made after the clock stepped back (created 4 after 6).
    make_old_database(10, std::string(kTwoItemsAndADuplicateAlert) +
                              "INSERT INTO alerts (id, rule, item_key, change, created, state) "
                              "VALUES (3, 'r', 1, 1, 6, 'nomail'), (4, 's', 2, 0, 4, 'nomail');");
    auto s = open();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    auto rows = [&](const char* sql) { return table_rows(s->handle(), sql); };
    const std::string hash = std::to_string(link_hash("example.org/x"));
    EXPECT_NE(hash, "0");
    EXPECT_EQ(rows("SELECT id, rule, item_key, change, link_key, link_hash, created, state, "
                   "duplicate_of FROM alerts ORDER BY id"),
              (std::vector<std::string>{"1|r|1|0|example.org/x|" + hash + "|5|nomail|NULL",
                                        "2|r|2|0|example.org/x|" + hash + "|6|duplicate|1",
                                        "3|r|1|1||0|6|nomail|NULL", "4|s|2|0||0|4|nomail|NULL"}));
    EXPECT_EQ(rows("SELECT link_hash, item_key FROM link_items ORDER BY item_key"),
              (std::vector<std::string>{hash + "|1", hash + "|2"}));
    // Runs of consecutive ids with one time.
    EXPECT_EQ(rows("SELECT first_id, last_id, created FROM alert_runs ORDER BY first_id"),
              (std::vector<std::string>{"1|1|5", "2|3|6", "4|4|4"}));
    EXPECT_TRUE(rows("PRAGMA foreign_key_check").empty());
    EXPECT_EQ(rows("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
    EXPECT_EQ(rows("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'alerts' "
                   "AND sql IS NOT NULL ORDER BY name"),
              (std::vector<std::string>{"alerts_waiting"}));
}

namespace {
int page_size(sqlite3* db) {
    sqlite3_stmt* stmt = nullptr;
    int size = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        size = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return size;
}
}  // namespace

TEST_F(StorageTest, ANewDatabaseHasSixteenKibPagesAndKeepsThemWhenReopened) {
    {
        auto s = open();
        ASSERT_TRUE(s);
        EXPECT_EQ(page_size(s->handle()), 16384);
    }
    auto again = open();
    ASSERT_TRUE(again);
    EXPECT_EQ(page_size(again->handle()), 16384);
}

TEST_F(StorageTest, AnOldDatabaseKeepsItsPageSizeWhenMigrated) {
    // Written by a release that left SQLite's default of 4,096 bytes.
    make_old_database(9, "INSERT INTO sources (name) VALUES ('itu-news');");
    auto s = open();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), kSchemaVersion);
    EXPECT_EQ(page_size(s->handle()), 4096);
    store(*s, "itu-news", {make_item("new", "Stored on small pages")});
    EXPECT_EQ(search_titles(*s, "small"), (std::vector<std::string>{"Stored on small pages"}));
    expect_index_consistent(*s);
}

TEST_F(StorageTest, AFailedFetchCountsFailuresAndA304ResetsThem) {
    auto s = open_with_sources();
    ASSERT_TRUE(s->store_poll("itu-news", {make_item("a", "A")}, ok_outcome(1000, "\"v1\"")));

    FetchOutcome failed;
    failed.when = 2000;
    failed.http_status = 503;
    failed.error = "HTTP 503 Service Unavailable";
    failed.next_poll = 2600;
    ASSERT_TRUE(s->record_fetch("itu-news", failed));
    failed.when = 3000;
    ASSERT_TRUE(s->record_fetch("itu-news", failed));
    auto src = *s->source("itu-news");
    ASSERT_TRUE(src);
    EXPECT_EQ(src->failures, 2);
    EXPECT_EQ(src->last_error, "HTTP 503 Service Unavailable");
    EXPECT_EQ(src->last_status, 503);
    EXPECT_EQ(src->last_poll, 3000);
    EXPECT_EQ(src->last_success, 1000);
    EXPECT_EQ(src->etag, "\"v1\"");  // a failure keeps the validators
    EXPECT_EQ(s->counts()->sources_failing, 1);

    FetchOutcome not_modified;
    not_modified.when = 4000;
    not_modified.http_status = 304;
    not_modified.not_modified = true;
    not_modified.next_poll = 7600;
    ASSERT_TRUE(s->record_fetch("itu-news", not_modified));
    src = *s->source("itu-news");
    ASSERT_TRUE(src);
    EXPECT_EQ(src->failures, 0);
    EXPECT_EQ(src->last_error, "");
    EXPECT_EQ(src->last_status, 304);
    EXPECT_EQ(src->last_success, 4000);
    EXPECT_EQ(src->next_poll, 7600);
    EXPECT_EQ(src->etag, "\"v1\"");  // a 304 without validators keeps ours
    EXPECT_EQ(src->feed_format, "rss2.0");
    EXPECT_EQ(src->items, 1);
    EXPECT_EQ(s->counts()->sources_failing, 0);
}

TEST_F(StorageTest, ANewDocumentWithoutValidatorsClearsTheOldOnes) {
    auto s = open_with_sources();
    ASSERT_TRUE(s->store_poll("itu-news", {}, ok_outcome(1000, "\"v1\"")));
    ASSERT_TRUE(s->store_poll("itu-news", {}, ok_outcome(2000, "")));
    EXPECT_EQ((*s->source("itu-news"))->etag, "");
}

TEST_F(StorageTest, StoringFiveThousandItemsInOnePollWorks) {
    auto s = open_with_sources();
    std::vector<Item> items;
    for (int i = 0; i < 5000; ++i) {
        Item it = make_item("id-" + std::to_string(i), "Contribution " + std::to_string(i),
                            "Summary of document number " + std::to_string(i) +
                                " about 5G NR and IMT-2030 radio interfaces.");
        it.content = std::string(800, 'x') + " content " + std::to_string(i);
        it.categories = {"RAN1", "Agenda item " + std::to_string(i % 40)};
        it.organizations = {"Org " + std::to_string(i % 17)};
        items.push_back(std::move(it));
    }
    auto r = store(*s, "3gpp-ran1", items);
    EXPECT_EQ(r.new_items, 5000);
    clock_.advance(1h);
    r = store(*s, "3gpp-ran1", items);
    EXPECT_EQ(r.unchanged, 5000);
    EXPECT_EQ((*s->source("3gpp-ran1"))->items, 5000);
    auto found = s->search("\"contribution 4321\"", 10);
    ASSERT_TRUE(found);
    EXPECT_EQ(titles(*found), std::vector<std::string>{"Contribution 4321"});
}

// ---- search ----

TEST_F(StorageTest, SearchFindsWordsInEveryIndexedField) {
    auto s = open_with_sources();
    Item a = make_item("a", "Alpha title");
    Item b = make_item("b", "B", "bravo summary");
    Item c = make_item("c", "C");
    c.content = "charlie content";
    Item d = make_item("d", "D");
    d.categories = {"Delta category", "Other"};
    Item e = make_item("e", "E");
    e.location = "Echoville";
    store(*s, "itu-news", {a, b, c, d, e});
    EXPECT_EQ(search_titles(*s, "alpha"), std::vector<std::string>{"Alpha title"});
    EXPECT_EQ(search_titles(*s, "bravo"), std::vector<std::string>{"B"});
    EXPECT_EQ(search_titles(*s, "charlie"), std::vector<std::string>{"C"});
    EXPECT_EQ(search_titles(*s, "delta"), std::vector<std::string>{"D"});
    EXPECT_EQ(search_titles(*s, "echoville"), std::vector<std::string>{"E"});
    EXPECT_TRUE(search_titles(*s, "nothing").empty());
}

TEST_F(StorageTest, SearchMatchesWholeWordsCaseInsensitively) {
    auto s = open_with_sources();
    store(*s, "itu-news",
          {make_item("1", "5G deployment"), make_item("2", "Lower case 5g too"),
           make_item("3", "25G optics"), make_item("4", "5GHz Wi-Fi")});
    auto found = search_titles(*s, "5G");
    std::sort(found.begin(), found.end());
    EXPECT_EQ(found, (std::vector<std::string>{"5G deployment", "Lower case 5g too"}));
}

TEST_F(StorageTest, SearchFindsPhrasesAndIgnoresDiacritics) {
    auto s = open_with_sources();
    store(
        *s, "itu-news",
        {make_item("1", "Vision for IMT-2030"),
         make_item("2", "IMT and 2030 apart: IMT 2020 in 2030"), make_item("3", "Réseau mobile")});
    EXPECT_EQ(search_titles(*s, "\"IMT-2030\""), std::vector<std::string>{"Vision for IMT-2030"});
    EXPECT_EQ(search_titles(*s, "reseau"), std::vector<std::string>{"Réseau mobile"});
}

TEST_F(StorageTest, SearchCarriesSourceAndSnippet) {
    auto s = open_with_sources();
    store(*s, "3gpp-ran1",
          {make_item("1", "Title", "A long summary that mentions beamforming once")});
    auto r = s->search("beamforming", 10);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].source, "3gpp-ran1");
    EXPECT_EQ((*r)[0].body, "3GPP");
    EXPECT_NE((*r)[0].snippet.find("[beamforming]"), std::string::npos) << (*r)[0].snippet;
}

TEST_F(StorageTest, SearchRanksTheNewestFiveThousandMatches) {
    // The oldest item is the best match for "spectrum" (in its title, three
    // times) but is behind 5,000 newer matches: a broad query ranks only
    // those. A narrower one still finds it.
    auto s = open_with_sources();
    store(*s, "itu-news",
          {make_item("old", "Spectrum spectrum spectrum", "spectrum sharing in the old bands")});
    std::vector<Item> batch;
    for (int i = 0; i < 5000; ++i)
        batch.push_back(make_item("n" + std::to_string(i), "Meeting " + std::to_string(i),
                                  "a long summary of a meeting that also mentions spectrum once "
                                  "among many other words about the agenda"));
    store(*s, "itu-news", batch);
    auto broad = s->search("spectrum", 10);
    ASSERT_TRUE(broad) << broad.error().message;
    ASSERT_EQ(broad->size(), 10u);
    for (const auto& item : *broad) EXPECT_NE(item.item.title, "Spectrum spectrum spectrum");
    EXPECT_EQ(search_titles(*s, "spectrum AND bands"),
              std::vector<std::string>{"Spectrum spectrum spectrum"});
    // A limit beyond the window widens it.
    auto all = s->search("spectrum", 6000);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 5001u);
    EXPECT_EQ(all->front().item.title, "Spectrum spectrum spectrum");
}

TEST_F(StorageTest, SearchOrdersAsFts5Bm25Does) {
    // specwatch_bm25 (storage/rank.cpp) skips bm25()'s document counts when a
    // query has one phrase; the order must stay bm25()'s, for one phrase and
    // for several (whose IDFs weigh them), with prefixes (read by one walk)
    // and without (read a key at a time). Equal ranks: newest first.
    auto s = open_with_sources();
    std::vector<Item> batch;
    const char* words[] = {"spectrum", "radio",  "satellite", "study",  "item",   "security",
                           "privacy",  "agenda", "report",    "energy", "saving", "beam"};
    for (int i = 0; i < 400; ++i) {
        std::string title, summary;
        for (int w = 0; w < 3 + i % 5; ++w) title += std::string(words[(i * 7 + w * 3) % 12]) + " ";
        for (int w = 0; w < 10 + i % 13; ++w)
            summary += std::string(words[(i * 5 + w * w) % 12]) + " ";
        batch.push_back(make_item("i" + std::to_string(i), title, summary));
    }
    store(*s, "itu-news", batch);
    for (const std::string q :
         {"spectrum", "\"study item\"", "security AND privacy", "(radio OR satellite) AND beam",
          "secur*", "sat* AND energy", "report NOT agenda", "zzz"}) {
        std::vector<std::int64_t> expected;
        sqlite3_stmt* stmt = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(s->handle(),
                                     "SELECT rowid FROM items_fts WHERE items_fts MATCH ?1 "
                                     "ORDER BY bm25(items_fts), rowid DESC LIMIT 30",
                                     -1, &stmt, nullptr),
                  SQLITE_OK);
        sqlite3_bind_text(stmt, 1, q.c_str(), -1, SQLITE_TRANSIENT);
        while (sqlite3_step(stmt) == SQLITE_ROW) expected.push_back(sqlite3_column_int64(stmt, 0));
        sqlite3_finalize(stmt);
        auto found = s->search(q, 30);
        ASSERT_TRUE(found) << found.error().message;
        std::vector<std::int64_t> keys;
        for (const auto& f : *found) {
            keys.push_back(f.key);
            EXPECT_FALSE(f.snippet.empty()) << q;
        }
        EXPECT_EQ(keys, expected) << q;
    }
}

namespace {

// Items whose titles and summaries mix a dozen words in varying amounts, so
// that ranks differ and the words' document counts (bm25's IDFs) too.
std::vector<Item> mixed_items(int count, int first = 0) {
    const char* words[] = {"spectrum", "radio",  "satellite", "study",  "item",   "security",
                           "privacy",  "agenda", "report",    "energy", "saving", "beam"};
    std::vector<Item> batch;
    for (int i = first; i < first + count; ++i) {
        std::string title, summary;
        for (int w = 0; w < 3 + i % 5; ++w) title += std::string(words[(i * 7 + w * 3) % 12]) + " ";
        for (int w = 0; w < 10 + i % 13; ++w)
            summary += std::string(words[(i * 5 + w * w) % 12]) + " ";
        batch.push_back(make_item("i" + std::to_string(i), title, summary));
    }
    return batch;
}

// The keys FTS5's own bm25() puts first, newest first among equals.
std::vector<std::int64_t> bm25_keys(Store& s, const std::string& query, int limit) {
    std::vector<std::int64_t> keys;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(s.handle(),
                           "SELECT rowid FROM items_fts WHERE items_fts MATCH ?1 "
                           "ORDER BY bm25(items_fts), rowid DESC LIMIT ?2",
                           -1, &stmt, nullptr) != SQLITE_OK)
        return keys;
    sqlite3_bind_text(stmt, 1, query.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(stmt, 2, limit);
    while (sqlite3_step(stmt) == SQLITE_ROW) keys.push_back(sqlite3_column_int64(stmt, 0));
    sqlite3_finalize(stmt);
    return keys;
}

}  // namespace

TEST_F(StorageTest, SearchReadsTheSameRowsKeyByKeyByRangeAndInItsWalk) {
    // search takes most snippets during its ranking walk; the rows it could
    // not (past a budget) are read again with FTS5 a key at a time or by one
    // walk over their range. Forced each way, the three give the same rows,
    // in the same order, with the same snippets.
    auto s = open_with_sources();
    store(*s, "itu-news", mixed_items(400));
    using Read = Store::SearchOptions::Read;
    const Store::SearchOptions in_walk{}, by_key{0, Read::by_key}, by_range{0, Read::by_range},
        half_by_key{8, Read::by_key};
    for (const std::string q :
         {"spectrum", "\"study item\"", "security AND privacy", "(radio OR satellite) AND beam",
          "secur*", "sat* AND energy", "report NOT agenda", "beam", "zzz"}) {
        for (const int limit : {1, 20, 500}) {
            auto walk = s->search(q, limit, in_walk);
            ASSERT_TRUE(walk) << walk.error().message;
            if (q != "zzz") {
                ASSERT_FALSE(walk->empty()) << q;
            }
            for (const auto& options : {by_key, by_range, half_by_key}) {
                auto other = s->search(q, limit, options);
                ASSERT_TRUE(other) << other.error().message;
                ASSERT_EQ(other->size(), walk->size()) << q << " limit " << limit;
                for (std::size_t i = 0; i < walk->size(); ++i) {
                    EXPECT_EQ((*other)[i].key, (*walk)[i].key) << q << " limit " << limit;
                    EXPECT_EQ((*other)[i].snippet, (*walk)[i].snippet) << q;
                    EXPECT_EQ((*other)[i].item.title, (*walk)[i].item.title) << q;
                    EXPECT_EQ((*other)[i].source, (*walk)[i].source) << q;
                    EXPECT_FALSE((*other)[i].snippet.empty()) << q;
                }
            }
        }
    }
}

TEST_F(StorageTest, APrefixWrittenOutAsItsTermsGivesTheSameRowsOrderAndSnippets) {
    // search walks "sat*" as "satellite" OR "satellites" OR …; the rows, their
    // order (bm25 of one phrase) and their snippets (made with the query as
    // written) must be those of the query as written, for a prefix of one
    // term, of several, of more than are written out, and of none.
    auto s = open_with_sources();
    std::vector<Item> batch = mixed_items(300);
    const char* sat[] = {"satellites", "saturation", "sat", "Satcom", "satellite"};
    for (int i = 0; i < 200; ++i) {
        std::string title = std::string(sat[i % 5]) + " and " + sat[(i * 3) % 5] + " report";
        std::string summary = "the " + std::string(sat[(i * 7) % 5]) +
                              " study item of energy saving, " + std::to_string(i) + " " +
                              sat[(i / 5) % 5] + " beam";
        batch.push_back(make_item("s" + std::to_string(i), title, summary));
    }
    // More than 16 terms under "t": t0 … t19.
    for (int i = 0; i < 20; ++i)
        batch.push_back(make_item("t" + std::to_string(i), "t" + std::to_string(i) + " note",
                                  "t" + std::to_string((i * 3) % 20) + " t1 beam"));
    store(*s, "itu-news", batch);
    Store::SearchOptions as_written;
    as_written.expand_prefix = false;
    for (const std::string q : {"sat*", "Sat*", " satu* ", "secur*", "t*", "t1*", "zz*", "s*"}) {
        for (const int limit : {5, 20, 100}) {
            auto expanded = s->search(q, limit);
            auto written = s->search(q, limit, as_written);
            ASSERT_TRUE(expanded) << expanded.error().message;
            ASSERT_TRUE(written) << written.error().message;
            ASSERT_EQ(expanded->size(), written->size()) << q;
            for (std::size_t i = 0; i < written->size(); ++i) {
                EXPECT_EQ((*expanded)[i].key, (*written)[i].key) << q << " limit " << limit;
                EXPECT_EQ((*expanded)[i].snippet, (*written)[i].snippet) << q;
                EXPECT_EQ((*expanded)[i].item.title, (*written)[i].item.title) << q;
            }
            if (q != "zz*") {
                EXPECT_FALSE(written->empty()) << q;
            }
        }
        std::vector<std::int64_t> keys;
        auto found = s->search(q, 30);
        ASSERT_TRUE(found);
        for (const auto& f : *found) keys.push_back(f.key);
        EXPECT_EQ(keys, bm25_keys(*s, q, 30)) << q;
    }
}

TEST_F(StorageTest, SearchFollowsTheIndexForTheCountsItKeeps) {
    // The phrases' document counts of a query with several phrases are kept
    // while the index is unchanged; new items (which change them and so the
    // order) and changed items are seen by the next search.
    auto s = open_with_sources();
    store(*s, "itu-news", mixed_items(300));
    const std::vector<std::string> queries = {
        "security AND privacy", "(radio OR satellite) AND beam", "spectrum OR energy"};
    const auto expect_bm25_order = [&] {
        for (const auto& q : queries) {
            auto found = s->search(q, 30);
            ASSERT_TRUE(found) << found.error().message;
            std::vector<std::int64_t> keys;
            for (const auto& f : *found) keys.push_back(f.key);
            EXPECT_EQ(keys, bm25_keys(*s, q, 30)) << q;
        }
    };
    expect_bm25_order();
    // Many more rows with "privacy" and "energy" (their IDFs fall), and an
    // old item rewritten.
    std::vector<Item> more;
    for (int i = 0; i < 300; ++i)
        more.push_back(make_item("p" + std::to_string(i), "privacy energy note",
                                 i % 3 == 0 ? "security" : "radio beam"));
    more.push_back(make_item("i7", "security privacy security", "beam beam radio"));
    store(*s, "itu-news", more);
    expect_bm25_order();
}

TEST_F(StorageTest, TheIndexFollowsUpdates) {
    auto s = open_with_sources();
    store(*s, "itu-news", {make_item("a", "Original heading", "first summary")});
    store(*s, "itu-news", {make_item("a", "Revised heading", "first summary")});
    EXPECT_TRUE(search_titles(*s, "original").empty());
    EXPECT_EQ(search_titles(*s, "revised"), std::vector<std::string>{"Revised heading"});
    store(*s, "itu-news", {make_item("a", "Revised heading", "second summary")});
    EXPECT_TRUE(search_titles(*s, "first").empty());
    EXPECT_EQ(search_titles(*s, "second"), std::vector<std::string>{"Revised heading"});

    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(s->handle(),
                           "INSERT INTO items_fts(items_fts, rank) VALUES('integrity-check', 1)",
                           -1, &stmt, nullptr),
        SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(s->handle());
    sqlite3_finalize(stmt);
}

TEST_F(StorageTest, AnInvalidQueryIsAnErrorQuotingIt) {
    auto s = open_with_sources();
    store(*s, "itu-news", {make_item("a", "Anything")});
    for (const std::string q : {"\"unbalanced", "AND OR", "nosuchcolumn:word", ""}) {
        auto r = s->search(q, 10);
        ASSERT_FALSE(r) << q;
        EXPECT_NE(r.error().message.find("invalid query '" + q + "'"), std::string::npos)
            << r.error().message;
    }
    // The store is still usable afterwards.
    EXPECT_EQ(search_titles(*s, "anything"), std::vector<std::string>{"Anything"});
}

// ---- sources ----

TEST_F(StorageTest, SyncSourcesKeepsStateByNameAndDisablesRemovedOnes) {
    auto s = open_with_sources();
    ASSERT_TRUE(s->store_poll("itu-news", {make_item("a", "A")}, ok_outcome(1000, "\"v1\"")));
    ASSERT_TRUE(s->store_poll("3gpp-ran1", {make_item("b", "B")}, ok_outcome(1000, "\"v2\"")));

    auto itu = make_source("itu-news", "ITU-T", "https://itu.example/rss");
    itu.group = "SG17";
    ASSERT_TRUE(s->sync_sources({itu, make_source("ietf", "IETF", "https://ietf.example/")}));

    auto list = s->sources();
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 3u);
    EXPECT_EQ((*list)[0].name, "3gpp-ran1");  // ordered by name
    EXPECT_EQ((*list)[1].name, "ietf");
    EXPECT_EQ((*list)[2].name, "itu-news");

    EXPECT_FALSE((*list)[0].enabled);  // removed from the config: kept, disabled
    EXPECT_EQ((*list)[0].items, 1);
    EXPECT_TRUE((*list)[1].enabled);
    EXPECT_EQ((*list)[1].items, 0);
    EXPECT_EQ((*list)[1].last_poll, 0);
    EXPECT_EQ((*list)[2].body, "ITU-T");
    EXPECT_EQ((*list)[2].group, "SG17");
    EXPECT_EQ((*list)[2].etag, "\"v1\"");  // same URL: state kept
    EXPECT_EQ((*list)[2].last_success, 1000);
    EXPECT_EQ((*list)[2].items, 1);

    auto found = s->items(by_source("3gpp-ran1"));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->size(), 1u);

    // Put back: enabled again, with its state.
    ASSERT_TRUE(
        s->sync_sources({itu, make_source("3gpp-ran1", "3GPP", "https://3gpp.example/rss")}));
    auto ran1 = *s->source("3gpp-ran1");
    ASSERT_TRUE(ran1);
    EXPECT_TRUE(ran1->enabled);
    EXPECT_EQ(ran1->etag, "\"v2\"");
}

TEST_F(StorageTest, ANewUrlClearsTheValidators) {
    auto s = open_with_sources();
    FetchOutcome o = ok_outcome(1000, "\"v1\"");
    o.last_modified = "yesterday";
    ASSERT_TRUE(s->store_poll("itu-news", {make_item("a", "A")}, o));
    ASSERT_TRUE(s->sync_sources({make_source("itu-news", "ITU", "https://itu.example/new-rss")}));
    auto src = *s->source("itu-news");
    ASSERT_TRUE(src);
    EXPECT_EQ(src->url, "https://itu.example/new-rss");
    EXPECT_EQ(src->etag, "");
    EXPECT_EQ(src->last_modified, "");
    EXPECT_EQ(src->next_poll, 0);
    EXPECT_EQ(src->last_success, 1000);
    EXPECT_EQ(src->items, 1);
}

TEST_F(StorageTest, AnUnknownSourceReadsAsNone) {
    auto s = open_with_sources();
    auto src = s->source("nope");
    ASSERT_TRUE(src);
    EXPECT_FALSE(*src);
}

// ---- listing ----

TEST_F(StorageTest, ItemsAreNewestFirstAndFilterBySourceBodySinceAndLimit) {
    auto s = open_with_sources();
    const auto t0 = to_unix(clock_.now());
    store(*s, "itu-news", {make_item("i1", "ITU one")});
    clock_.advance(1h);
    store(*s, "3gpp-ran1", {make_item("g1", "3GPP one")});
    clock_.advance(1h);
    store(*s, "itu-news", {make_item("i2", "ITU two")});

    auto all = s->items({});
    ASSERT_TRUE(all);
    EXPECT_EQ(titles(*all), (std::vector<std::string>{"ITU two", "3GPP one", "ITU one"}));
    EXPECT_EQ((*all)[1].body, "3GPP");

    EXPECT_EQ(titles(*s->items(by_source("itu-news"))),
              (std::vector<std::string>{"ITU two", "ITU one"}));
    ItemFilter f;
    f.body = "3gpp";  // bodies compare case-insensitively
    EXPECT_EQ(titles(*s->items(f)), std::vector<std::string>{"3GPP one"});
    f = {};
    f.since = t0 + 3600;
    EXPECT_EQ(titles(*s->items(f)), (std::vector<std::string>{"ITU two", "3GPP one"}));
    f.source = "itu-news";
    EXPECT_EQ(titles(*s->items(f)), std::vector<std::string>{"ITU two"});
    f = {};
    f.limit = 1;
    EXPECT_EQ(titles(*s->items(f)), std::vector<std::string>{"ITU two"});
    EXPECT_TRUE(s->items(by_source("nope"))->empty());
}

TEST_F(StorageTest, ItemsOfOnePollAreOrderedByTheirDates) {
    auto s = open_with_sources();
    Item older = make_item("old", "Older");
    older.published = "2026-03-01T00:00:00Z";
    Item newer = make_item("new", "Newer");
    newer.published = "2026-03-10T00:00:00Z";
    store(*s, "itu-news", {newer, older});
    EXPECT_EQ(titles(*s->items({})), (std::vector<std::string>{"Newer", "Older"}));
}

TEST_F(StorageTest, CountsSummariseItemsAndSourceHealth) {
    auto s = open_with_sources();
    ASSERT_TRUE(s->sync_sources({make_source("itu-news", "ITU", "https://itu.example/rss"),
                                 make_source("3gpp-ran1", "3GPP", "https://3gpp.example/rss"),
                                 make_source("never", "IETF", "https://ietf.example/")}));
    auto c = s->counts();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->items, 0);
    EXPECT_EQ(c->sources, 3);
    EXPECT_EQ(c->sources_ok, 0);
    EXPECT_EQ(c->sources_failing, 0);

    store(*s, "itu-news", {make_item("a", "A"), make_item("b", "B")});
    FetchOutcome failed;
    failed.when = 5;
    failed.error = "connection refused";
    ASSERT_TRUE(s->record_fetch("3gpp-ran1", failed));
    c = s->counts();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->items, 2);
    EXPECT_EQ(c->sources, 3);
    EXPECT_EQ(c->sources_ok, 1);
    EXPECT_EQ(c->sources_failing, 1);
}

}  // namespace

// ---- online backup (specwatch backup) ----

TEST_F(StorageTest, ABackupIsACheckedSelfContainedCopyWithEveryCommittedItem) {
    auto s = open_with_sources();
    store(*s, "itu-news", {make_item("a", "5G core"), make_item("b", "IMT-2030 workshop")});
    store(*s, "3gpp-ran1", {make_item("c", "NR positioning")});
    const std::string copy = (dir_ / "copy.db").string();

    auto r = backup_database(path_, copy);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->items, 3);
    EXPECT_GT(r->pages, 0);
    EXPECT_EQ(r->bytes, static_cast<std::int64_t>(fs::file_size(copy)));
    // One file: no WAL to lose when it is moved.
    EXPECT_FALSE(fs::exists(copy + "-wal"));

    // The copy opens as a database of this schema and finds what was stored.
    auto restored = Store::open(copy, clock_);
    ASSERT_TRUE(restored) << restored.error().message;
    auto found = (*restored)->search("5G", 10);
    ASSERT_TRUE(found);
    ASSERT_EQ(found->size(), 1u);
    EXPECT_EQ((*found)[0].item.id, "a");
}

TEST_F(StorageTest, ABackupWhileTheWriterHoldsATransactionIsTheLastCommittedState) {
    auto s = open_with_sources();
    store(*s, "itu-news", {make_item("a", "committed")});
    // An open write transaction on another connection: its rows are not yet
    // committed and must not be in the copy, and the copy must not wait for it.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw,
                           "BEGIN IMMEDIATE; UPDATE items SET title = 'uncommitted' "
                           "WHERE id = 'a';",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    const std::string copy = (dir_ / "copy.db").string();
    auto r = backup_database(path_, copy);
    sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(raw);
    ASSERT_TRUE(r) << r.error().message;
    auto restored = Store::open(copy, clock_);
    ASSERT_TRUE(restored);
    auto items = (*restored)->items(by_source("itu-news"));
    ASSERT_TRUE(items);
    EXPECT_EQ(titles(*items), std::vector<std::string>{"committed"});
}

TEST_F(StorageTest, ABackupNeverOverwritesAndFailsClearlyWithoutLeftovers) {
    auto s = open_with_sources();
    const std::string existing = (dir_ / "existing.db").string();
    std::ofstream(existing) << "keep me";
    auto r = backup_database(path_, existing);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("already exists"), std::string::npos) << r.error().message;
    EXPECT_EQ(fs::file_size(existing), 7u);

    const std::string nowhere = (dir_ / "missing" / "copy.db").string();
    r = backup_database(path_, nowhere);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(nowhere), std::string::npos) << r.error().message;
    EXPECT_FALSE(fs::exists(nowhere));

    r = backup_database((dir_ / "no-such.db").string(), (dir_ / "c.db").string());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("no-such.db"), std::string::npos) << r.error().message;
    EXPECT_FALSE(fs::exists(dir_ / "c.db"));
}

// ---- meetings ----

namespace {

Item meeting(std::string id, std::string start, std::string end = "") {
    Item it = make_item(id, "Meeting " + id);
    it.start = std::move(start);
    it.end = std::move(end);
    return it;
}

std::vector<std::string> ids(const std::vector<StoredItem>& items) {
    std::vector<std::string> out;
    for (const auto& i : items) out.push_back(i.item.id);
    return out;
}

}  // namespace

TEST_F(StorageTest, MeetingsAreItemsWithAStartSoonestFirstTimedAndAllDayTogether) {
    auto s = open_with_sources();
    store(*s, "itu-news",
          {make_item("news", "Not a meeting"), meeting("sg17", "2026-12-01", "2026-12-05"),
           meeting("ws", "2026-12-01T08:00:00Z", "2026-12-01T17:00:00Z"),
           meeting("early", "2026-11-30T23:00:00Z")});
    store(*s, "3gpp-ran1", {meeting("ran1", "2026-11-16", "2026-11-20")});
    auto all = s->meetings(MeetingFilter{});
    ASSERT_TRUE(all) << all.error().message;
    // A day sorts before the times of that day.
    EXPECT_EQ(ids(*all), (std::vector<std::string>{"ran1", "early", "sg17", "ws"}));
    EXPECT_EQ((*all)[0].body, "3GPP");
}

TEST_F(StorageTest, MeetingsFromADayKeepThoseStillOnAndToADayIncludesIt) {
    auto s = open_with_sources();
    store(
        *s, "itu-news",
        {meeting("over", "2026-11-16", "2026-11-20"), meeting("on-now", "2026-11-23", "2026-11-27"),
         meeting("ended-yesterday", "2026-11-24T09:00:00Z", "2026-11-24T17:00:00Z"),
         meeting("ends-today", "2026-11-24T09:00:00Z", "2026-11-25T10:00:00Z"),
         meeting("no-end", "2026-11-25T10:00:00Z"), meeting("later", "2026-12-02"),
         meeting("backwards", "2026-11-26", "2026-11-01")});
    MeetingFilter f;
    f.from = "2026-11-25";
    auto r = s->meetings(f);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(ids(*r),
              (std::vector<std::string>{"on-now", "ends-today", "no-end", "backwards", "later"}));
    f.to = "2026-11-26";
    r = s->meetings(f);
    ASSERT_TRUE(r);
    EXPECT_EQ(ids(*r), (std::vector<std::string>{"on-now", "ends-today", "no-end", "backwards"}));
    f.from.clear();
    f.to = "2026-11-24";
    r = s->meetings(f);
    ASSERT_TRUE(r);
    EXPECT_EQ(ids(*r),
              (std::vector<std::string>{"over", "on-now", "ended-yesterday", "ends-today"}));
    f.to = "24 Nov";
    EXPECT_FALSE(s->meetings(f));
    f.to.clear();
    f.from = "25 Nov";
    EXPECT_FALSE(s->meetings(f));
}

TEST_F(StorageTest, AMeetingThatStartedMoreThanAYearBeforeFromIsNotListed) {
    auto s = open_with_sources();
    store(*s, "itu-news",
          {meeting("programme", "2025-01-01", "2027-12-31"),
           meeting("long", "2026-01-01", "2026-12-31")});
    MeetingFilter f;
    f.from = "2026-11-25";
    auto r = s->meetings(f);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(ids(*r), (std::vector<std::string>{"long"}));
}

TEST_F(StorageTest, MeetingsFilterByBodyAndGroupCaseInsensitivelyAndLimit) {
    auto s = open();
    auto ran1 = make_source("3gpp-ran1", "3GPP", "https://3gpp.example/ran1");
    ran1.group = "3GPP RAN1";
    auto sa2 = make_source("3gpp-sa2", "3GPP", "https://3gpp.example/sa2");
    sa2.group = "3GPP SA2";
    ASSERT_TRUE(s->sync_sources(
        {ran1, sa2, make_source("itu-events", "ITU", "https://itu.example/events")}));
    store(*s, "3gpp-ran1", {meeting("r1-1", "2026-12-01"), meeting("r1-2", "2027-01-10")});
    store(*s, "3gpp-sa2", {meeting("s2-1", "2026-12-02")});
    store(*s, "itu-events", {meeting("sg17", "2026-12-03")});
    MeetingFilter f;
    f.body = "3gpp";
    auto r = s->meetings(f);
    ASSERT_TRUE(r);
    EXPECT_EQ(ids(*r), (std::vector<std::string>{"r1-1", "s2-1", "r1-2"}));
    f.group = "3gpp ran1";
    r = s->meetings(f);
    ASSERT_TRUE(r);
    EXPECT_EQ(ids(*r), (std::vector<std::string>{"r1-1", "r1-2"}));
    f = MeetingFilter{};
    f.limit = 2;
    r = s->meetings(f);
    ASSERT_TRUE(r);
    EXPECT_EQ(ids(*r), (std::vector<std::string>{"r1-1", "s2-1"}));
}

TEST_F(StorageTest, AMeetingBecomingCancelledIsAChangeAndOnlyThat) {
    auto s = open_with_sources();
    Item m = meeting("sg17", "2026-12-01", "2026-12-05");
    m.categories = {"ITU-T"};
    Item other = meeting("sg13", "2026-12-07");
    store(*s, "itu-news", {m, other});
    // The ITU events page: the same row, its status column now "Cancelled".
    m.categories = {"ITU-T", "Cancelled"};
    other.categories = {"ITU-T"};  // a category that is not a cancellation: quiet
    auto r = store(*s, "itu-news", {m, other});
    EXPECT_EQ(r.changed, 1);
    EXPECT_EQ(r.updated, 1);
    ASSERT_EQ(r.changed_keys.size(), 1u);
    auto got = s->item(r.changed_keys[0]);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->item.id, "sg17");
    EXPECT_TRUE(is_cancelled((*got)->item));
    // Reinstated: a change again.
    m.categories = {"ITU-T"};
    EXPECT_EQ(store(*s, "itu-news", {m, other}).changed, 1);
}

// ---- the tokenizer (storage/tokenizer.cpp) ----

namespace {

// Text with what feeds hold and what they should not: ASCII words and
// punctuation, accents precomposed and combining, other scripts, curly
// quotes, no-break spaces, control bytes, NUL and invalid UTF-8.
std::string random_text(std::mt19937& rng) {
    static const std::vector<std::string> pieces = {"a",
                                                    "Z",
                                                    "q",
                                                    "5G",
                                                    "0",
                                                    "9",
                                                    " ",
                                                    "  ",
                                                    "\t",
                                                    "\n",
                                                    "-",
                                                    "_",
                                                    ".",
                                                    ",",
                                                    "'",
                                                    "\"",
                                                    "/",
                                                    "(",
                                                    ")",
                                                    "<",
                                                    ">",
                                                    "&",
                                                    "*",
                                                    ":",
                                                    "@",
                                                    "~",
                                                    "\x7f",
                                                    "\x01",
                                                    std::string(1, '\0'),
                                                    "\xc3\xa9",      // é
                                                    "\xc3\x89",      // É
                                                    "e\xcc\x81",     // e + combining acute
                                                    "\xcc\x81",      // a combining acute alone
                                                    "\xc3\x9f",      // ß
                                                    "\xc4\xb0",      // İ
                                                    "\xe2\x80\x99",  // ’
                                                    "\xe2\x80\x93",  // –
                                                    "\xc2\xa0",      // no-break space
                                                    "\xe6\x97\xa5\xe6\x9c\xac",  // 日本
                                                    "\xce\xa9\xce\xbc",          // Ωμ
                                                    "\xf0\x9f\x93\xa1",          // 📡
                                                    "\xef\xbc\xa1",              // fullwidth A
                                                    "\x80",
                                                    "\xc3",
                                                    "\xff",
                                                    "\xed\xa0\x80",
                                                    "\xf4\x90\x80\x80",
                                                    "\xe2\x82",
                                                    "ITU-T",
                                                    "IMT-2030",
                                                    "O-RAN",
                                                    "Recommendation",
                                                    "caf\xc3\xa9",
                                                    "na\xc3\xafve"};
    std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
    std::uniform_int_distribution<int> length(0, 60);
    std::string out;
    for (int n = length(rng); n > 0; --n) out += pieces[pick(rng)];
    return out;
}

void expect_same_tokens(sqlite3* db, const std::vector<std::string>& args, std::string_view text,
                        int stop_after = -1) {
    auto ours = tokenize(db, args, text, false, stop_after);
    auto builtin = tokenize(db, args, text, true, stop_after);
    ASSERT_TRUE(ours) << ours.error().message;
    ASSERT_TRUE(builtin) << builtin.error().message;
    ASSERT_EQ(ours->size(), builtin->size()) << "text: " << text;
    for (std::size_t i = 0; i < ours->size(); ++i) {
        const auto& a = (*ours)[i];
        const auto& b = (*builtin)[i];
        ASSERT_TRUE(a == b) << "token " << i << ": '" << a.text << "' " << a.start << "–" << a.end
                            << " flags " << a.flags << " vs built-in '" << b.text << "' " << b.start
                            << "–" << b.end << " flags " << b.flags << "; text: " << text;
    }
}

}  // namespace

TEST_F(StorageTest, TheTokenizerGivesTheBuiltInTokensOnRandomText) {
    auto s = open();
    ASSERT_TRUE(s);
    const std::vector<std::vector<std::string>> options = {
        {"remove_diacritics", "2"},  // the index's (common/fts.h)
        {},
        {"remove_diacritics", "0"},
        {"remove_diacritics", "1"},
        {"tokenchars", "-_"},
        {"separators", "xq5"},
        {"categories", "L* N* Co Mn"},
        {"categories", "L*"},
        {"remove_diacritics", "2", "tokenchars", "\xc3\xa9.", "separators", "\xe6\x97\xa5"}};
    std::mt19937 rng(7);
    int compared = 0;
    for (const auto& args : options) {
        for (int i = 0; i < 3000; ++i) {
            const std::string text = random_text(rng);
            expect_same_tokens(s->handle(), args, text);
            expect_same_tokens(s->handle(), args, text, static_cast<int>(rng() % 4));
            if (HasFatalFailure()) return;
            ++compared;
        }
    }
    EXPECT_EQ(compared, 27000);
    // What was compared is the fast path, and the store's connections use it.
    EXPECT_TRUE(reads_ascii_itself(s->handle(), {"remove_diacritics", "2"}));
}

TEST_F(StorageTest, TheTokenizerGivesTheBuiltInTokensOnEveryFixture) {
    auto s = open();
    ASSERT_TRUE(s);
    int files = 0;
    for (const auto& e : fs::recursive_directory_iterator(SPECWATCH_FIXTURES)) {
        if (!e.is_regular_file()) continue;
        std::ifstream in(e.path(), std::ios::binary);
        const std::string text{std::istreambuf_iterator<char>(in), {}};
        expect_same_tokens(s->handle(), {"remove_diacritics", "2"}, text);
        if (HasFatalFailure()) return;
        ++files;
    }
    EXPECT_GE(files, 90);
}

// FTS5's integrity-check tokenizes every row again with the tokenizer of the
// connection that runs it: on a plain connection, FTS5's own unicode61.
TEST_F(StorageTest, AnIndexWrittenWithTheTokenizerChecksWithFts5sOwn) {
    {
        auto s = open_with_sources();
        std::mt19937 rng(11);
        std::vector<Item> items;
        for (int i = 0; i < 300; ++i) {
            Item it = make_item(fmt::format("i{}", i), random_text(rng), random_text(rng));
            it.content = random_text(rng);
            items.push_back(it);
        }
        items.push_back(make_item("plain", "Caf\xc3\xa9 IMT-2030 workshop", "radio"));
        store(*s, "itu-news", items);
    }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, sqlite3_close);
    char* err = nullptr;
    EXPECT_EQ(
        sqlite3_exec(raw, "INSERT INTO items_fts(items_fts, rank) VALUES('integrity-check', 1)",
                     nullptr, nullptr, &err),
        SQLITE_OK)
        << (err ? err : "");
    sqlite3_free(err);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(raw, "SELECT count(*) FROM items_fts WHERE items_fts MATCH 'cafe 2030'",
                           -1, &st, nullptr),
        SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_GE(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
}
