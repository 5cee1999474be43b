#pragma once
// The database: sources with their fetch state, items with an FTS5 index kept
// in step, all behind one class. One Store is one SQLite connection and is
// used from one thread at a time; the daemon keeps one for writing (the only
// writer, DESIGN.md invariant 6) and one for reading.
#include "common/clock.h"
#include "common/item.h"
#include "common/result.h"
#include "config/config.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

struct sqlite3;

namespace specwatch::storage {

namespace sql {
class StatementCache;
}
struct SearchCache;

// The schema version this binary writes (PRAGMA user_version).
inline constexpr int kSchemaVersion = 11;

struct SourceState {
    std::string name, body, group, url, format;
    bool enabled = true;
    std::string etag, last_modified;  // validators for the next conditional GET
    std::int64_t last_poll = 0;       // unix seconds; 0 = never
    std::int64_t last_success = 0;
    int last_status = 0;         // HTTP status of the last fetch (0: none)
    std::string last_error;      // empty when the last poll succeeded
    int failures = 0;            // failures in a row
    std::int64_t next_poll = 0;  // unix seconds; 0 = as soon as possible
    std::string feed_format;     // what the last parse detected ("rss2.0")
    std::int64_t items = 0;      // stored items of this source
    // Source health (schema 3): the server answered 410 Gone; where a 301/308
    // says the URL has moved; since when the polls fail (0: not failing).
    bool gone = false;
    std::string moved_to;
    std::int64_t failing_since = 0;
};

// What one fetch of a source ended with; stored with its items in one
// transaction (DESIGN.md invariant 1).
struct FetchOutcome {
    std::int64_t when = 0;  // unix seconds
    int http_status = 0;
    bool not_modified = false;  // 304
    std::string error;          // empty on success
    std::string etag, last_modified;
    std::string feed_format;
    std::int64_t next_poll = 0;
    // Source health, decided by the poll policy (daemon/poll_outcome.h) and
    // stored as given.
    bool gone = false;
    std::string moved_to;
    std::int64_t failing_since = 0;
};

struct StoreResult {
    int new_items = 0;
    int changed = 0;  // title, dates or location changed (alert-worthy)
    int updated = 0;  // other fields changed (stored quietly)
    int unchanged = 0;
    std::vector<std::int64_t> new_keys, changed_keys;
    // The source had never been polled successfully before this poll (the
    // first_poll = "baseline" rule of CONTRACT.md).
    bool first_success = false;
    int alerts = 0;  // alerts the in-transaction step recorded (see store_poll)
};

// Work done inside a store_poll transaction after the items are written and
// before the commit (rule matching, DESIGN.md invariant 1); an error rolls the
// whole poll back.
using InTransaction = std::function<Result<void>(sql::StatementCache&, StoreResult&)>;

// One poll for store_polls.
struct PollToStore {
    std::string source;
    const std::vector<Item>* items = nullptr;  // null: a fetch without items
    FetchOutcome outcome;
    InTransaction also;
};

struct StoredItem {
    std::int64_t key = 0;
    std::string source, body, group;
    Item item;
    std::int64_t first_seen = 0, last_seen = 0, last_changed = 0;  // unix seconds
    std::string snippet;                                           // search only
};

struct ItemFilter {
    std::string source;
    std::string body;
    std::optional<std::int64_t> since;  // first_seen >= since (unix seconds)
    int limit = 50;
};

// `meetings`: items with a start, soonest first. Days are "YYYY-MM-DD" (UTC),
// both inclusive; empty means unbounded.
struct MeetingFilter {
    std::string from;   // meetings that end on or after this day
    std::string to;     // meetings that start on or before this day
    std::string body;   // case-insensitive
    std::string group;  // case-insensitive
    int limit = 100;
};

// `specwatch participation`: contributions per organization in a period and in
// the period of the same length before it. An item counts in the period of
// its own date (published, else updated, else start, else when first seen).
struct ParticipationQuery {
    std::string body, group;  // exact, case-insensitive; "" = any
    std::string query;        // FTS5, the language of search and rules; "" = all
    std::int64_t from = 0;    // unix seconds: the period is [from, to] (to: now,
    std::int64_t to = 0;      // so that what was stored this second counts)
};

struct OrgCount {
    std::string name;     // an organization, or a country code in `countries`
    std::string country;  // organizations only; "" when unknown
    std::int64_t count = 0, previous = 0;
};

struct Participation {
    std::int64_t items = 0, previous_items = 0;  // contributions naming any organization
    std::vector<OrgCount> organizations;         // most contributions first (all of them)
    std::vector<OrgCount> countries;             // items with an organization of each country
};

struct Counts {
    std::int64_t items = 0;
    std::int64_t sources = 0;
    std::int64_t sources_ok = 0;
    std::int64_t sources_failing = 0;
};

class Store {
  public:
    // Opens (creating if needed) and migrates the database at `path`. Refuses a
    // database whose schema is newer than kSchemaVersion, with a message that
    // says so.
    [[nodiscard]] static Result<std::unique_ptr<Store>> open(const std::string& path,
                                                             const Clock& clock);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Makes the sources table match the config: new names inserted, definitions
    // (body, group, url, format, enabled) updated, fetch state kept by name.
    // Sources no longer configured keep their rows and items but are disabled.
    [[nodiscard]] Result<void> sync_sources(const std::vector<config::Source>& sources);

    [[nodiscard]] Result<std::vector<SourceState>> sources();
    [[nodiscard]] Result<std::optional<SourceState>> source(const std::string& name);

    // One write transaction: upsert every item (keyed by source and id), then
    // the source's fetch state. All or nothing.
    // `also`, when given, runs in the same transaction after the items.
    [[nodiscard]] Result<StoreResult> store_poll(const std::string& source,
                                                 const std::vector<Item>& items,
                                                 const FetchOutcome& outcome,
                                                 const InTransaction& also = {});
    // Several polls in one transaction, as the daemon's writer stores the
    // polls that finished while it was busy: the items of every poll, then
    // the full-text index of the new ones in one go (one FTS5 segment, not
    // one per poll), then each poll's `also` and its fetch state. All or
    // nothing; the error names the poll that failed. A poll without items
    // (`items` null: a 304 or a failed fetch) records its fetch state only.
    [[nodiscard]] Result<std::vector<StoreResult>> store_polls(std::span<const PollToStore> polls);
    // Runs `work` in one BEGIN IMMEDIATE transaction, committed when it
    // succeeds (the outbox, digests and source health use it).
    [[nodiscard]] Result<void> transaction(
        const std::function<Result<void>(sql::StatementCache&)>& work);
    // This connection's prepared statements, for reads outside a transaction.
    sql::StatementCache& statements() { return *statements_; }
    // A fetch that brought no items (304, or a failure): fetch state only.
    [[nodiscard]] Result<void> record_fetch(const std::string& source, const FetchOutcome& outcome);

    [[nodiscard]] Result<std::vector<StoredItem>> items(const ItemFilter& filter);
    [[nodiscard]] Result<std::vector<StoredItem>> meetings(const MeetingFilter& filter);
    // How search reads the snippets of the rows it returns. The defaults are
    // what the daemon uses; tests choose a path to compare it with the others.
    struct SearchOptions {
        // Snippets taken during the ranking walk, for rows that were among the
        // best when met: at most this many (-1: automatic). The rows left
        // without one are read afterwards, the way `read` says.
        int snippets_in_walk = -1;
        enum class Read { automatic, by_key, by_range };
        Read read = Read::automatic;
        // A query that is one prefix (secur*) is walked as the OR of the
        // terms it covers; false: as written.
        bool expand_prefix = true;
    };
    // FTS5 query, best match first, with a snippet. A query FTS5 rejects is
    // an error whose message quotes it.
    [[nodiscard]] Result<std::vector<StoredItem>> search(const std::string& query, int limit) {
        return search(query, limit, SearchOptions{});
    }
    [[nodiscard]] Result<std::vector<StoredItem>> search(const std::string& query, int limit,
                                                         const SearchOptions& options);
    [[nodiscard]] Result<std::optional<StoredItem>> item(std::int64_t key);
    [[nodiscard]] Result<Counts> counts();
    // Organization names are normalized again with `orgs` when read, so an
    // alias added to the config counts items stored before it.
    [[nodiscard]] Result<Participation> participation(const ParticipationQuery& q,
                                                      const OrgTable& orgs);

    [[nodiscard]] int schema_version() const;
    sqlite3* handle() { return db_; }
    // Gives back the memory this connection's page cache holds (its cached
    // pages are read again when next needed). For when the daemon goes idle.
    void release_memory();

  private:
    Store(sqlite3* db, const Clock& clock);
    sqlite3* db_;
    const Clock& clock_;
    // Statements prepared once per connection (storage/sqlite.h).
    std::unique_ptr<sql::StatementCache> statements_;
    // What search keeps between queries while the index is unchanged.
    std::unique_ptr<SearchCache> search_cache_;
};

}  // namespace specwatch::storage
