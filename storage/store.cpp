#include "storage/store.h"

#include "common/fts.h"
#include "common/log.h"
#include "common/meeting.h"
#include "common/text.h"
#include "storage/rank.h"
#include "storage/schema.h"
#include "storage/sqlite.h"
#include "storage/tokenizer.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace specwatch::storage {

namespace {

// A listing is read by a person or a script; 10,000 rows is more than either
// reads at once, and it bounds one reply on the control socket.
constexpr int kMaxLimit = 10000;

// A reader connection or a backup holds the lock only briefly; waiting up to
// 5 s rides that out instead of failing a poll.
constexpr int kBusyTimeoutMs = 5000;

// The page size of a new database. FTS5's leaves are 8,000 bytes (schema 9):
// on 4 KiB pages each is a row spilling into two overflow pages, read as a
// chain and copied whenever FTS5 loads it; on 16 KiB pages it is read from
// one. A first poll of 1,000 x 50 makes a quarter of the WAL and database
// reads and writes (each a system call), and matching 1,000 rules x 10,000
// items takes a third less CPU (docs/performance.md, "The first poll's
// storage engine settings"). An existing database keeps the size it has:
// changing it means a VACUUM, a rewrite of the whole file.
constexpr int kNewDatabasePageSize = 16384;

Error context(std::string_view what, const Error& e) {
    return make_error(fmt::format("{}: {}", what, e.message));
}

// A meeting lasts days, a conference weeks; anything that started more than a
// year before `from` is not on any more. The bound lets the start index skip
// the history instead of reading every past meeting (50,000 meetings over ten
// years, from today: 0.12 s without it, 0.02 s with it).
constexpr int kMaxMeetingDays = 366;

int clamp_limit(int limit) {
    return std::clamp(limit, 0, kMaxLimit);
}

// The fields that matter to a reader ("changed" alerts): the title, the dates
// and the place, and whether a meeting is cancelled. Fields are separated by a
// character no text field carries. The cancelled mark is appended only when
// set, so every other item keeps the fingerprint it was stored with (no
// spurious "changed" after an upgrade).
// Both hashes are of the fields' concatenation, built in one buffer kept
// from item to item (no allocation per item; the writer is one thread).
HashHex fingerprint(const Item& item) {
    thread_local std::string s;
    s.clear();
    for (const std::string* f :
         {&item.title, &item.published, &item.start, &item.end, &item.location}) {
        s += *f;
        s += '\x1f';
    }
    if (is_cancelled(item)) s += "cancelled\x1f";
    return hash_hex16(s);
}

// Every field: any difference at all is worth storing, quietly or not.
HashHex content_hash(const Item& item) {
    thread_local std::string s;
    s.clear();
    const auto field = [&](const std::string& f) {
        s += f;
        s += '\x1f';
    };
    const auto list = [&](const std::vector<std::string>& v) {
        for (const auto& e : v) {
            s += e;
            s += '\x1e';
        }
        s += '\x1f';
    };
    field(item.id);
    field(item.link);
    field(item.title);
    field(item.summary);
    field(item.content);
    field(item.author);
    list(item.categories);
    field(item.published);
    field(item.updated);
    field(item.start);
    field(item.end);
    field(item.location);
    list(item.organizations);
    return hash_hex16(s);
}

std::string to_json(const std::vector<std::string>& values) {
    // Most items have no organizations and many no categories: nlohmann's
    // "[]" costs a json value and a serializer.
    if (values.empty()) return "[]";
    // ASCII text (nearly every category) written here, byte for byte what
    // nlohmann writes: only '"', '\\' and control characters escaped, the
    // latter as \b \t \n \f \r or \u00xx. Anything else, which nlohmann
    // checks as UTF-8 and repairs, goes through nlohmann.
    const auto ascii = [](const std::string& v) {
        return std::all_of(v.begin(), v.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    };
    if (!std::all_of(values.begin(), values.end(), ascii))
        // Feed text may hold invalid UTF-8; replace it rather than throw.
        return nlohmann::json(values).dump(-1, ' ', false,
                                           nlohmann::json::error_handler_t::replace);
    std::string out = "[";
    for (const std::string& v : values) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (const char c : v) {
            const auto u = static_cast<unsigned char>(c);
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\b':
                    out += "\\b";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\f':
                    out += "\\f";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                default:
                    if (u < 0x20)
                        out += fmt::format("\\u{:04x}", u);
                    else
                        out += c;
            }
        }
        out += '"';
    }
    out += ']';
    return out;
}

std::vector<std::string> from_json(const std::string& text) {
    std::vector<std::string> out;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& e : j)
        if (e.is_string()) out.push_back(e.get<std::string>());
    return out;
}

// ---- items ----

// The columns every item query reads, in read_item's order; `i` is items, `s`
// sources.
constexpr std::string_view kItemColumns =
    R"(i.key, s.name, s.body, s.grp, i.id, i.link, i.title, i.summary, i.content, i.author,
       i.categories, i.organizations, i.published, i.updated, i.start, i."end", i.location,
       i.first_seen, i.last_seen, i.last_changed)";
constexpr int kItemColumnCount = 20;

StoredItem read_item(const sql::Query& q) {
    StoredItem s;
    s.key = q.int64(0);
    s.source = q.text(1);
    s.body = q.text(2);
    s.group = q.text(3);
    Item& it = s.item;
    it.id = q.text(4);
    it.link = q.text(5);
    it.title = q.text(6);
    it.summary = q.text(7);
    it.content = q.text(8);
    it.author = q.text(9);
    it.categories = from_json(q.text(10));
    it.organizations = from_json(q.text(11));
    it.published = q.text(12);
    it.updated = q.text(13);
    it.start = q.text(14);
    it.end = q.text(15);
    it.location = q.text(16);
    s.first_seen = q.int64(17);
    s.last_seen = q.int64(18);
    s.last_changed = q.int64(19);
    return s;
}

Result<std::vector<StoredItem>> read_items(sql::Query& q, bool with_snippet) {
    std::vector<StoredItem> out;
    for (;;) {
        auto row = q.step();
        if (!row) return row.error();
        if (!*row) return out;
        out.push_back(read_item(q));
        if (with_snippet) out.back().snippet = q.text(kItemColumnCount);
    }
}

// Binds the twelve stored fields of an item (all but its id) from `first` on;
// `categories` and `organizations` are to_json of the item's lists. Not
// copied (Query::bind_ref): they and `item` must outlive `q`.
void bind_item_fields(sql::Query& q, int first, const Item& item, const std::string& categories,
                      const std::string& organizations) {
    q.bind_optional_ref(first, item.link)
        .bind_optional_ref(first + 1, item.title)
        .bind_optional_ref(first + 2, item.summary)
        .bind_optional_ref(first + 3, item.content)
        .bind_optional_ref(first + 4, item.author)
        .bind_ref(first + 5, categories)
        .bind_ref(first + 6, organizations)
        .bind_optional_ref(first + 7, item.published)
        .bind_optional_ref(first + 8, item.updated)
        .bind_optional_ref(first + 9, item.start)
        .bind_optional_ref(first + 10, item.end)
        .bind_optional_ref(first + 11, item.location);
}

constexpr std::string_view kFindItem =
    "SELECT key, fingerprint, content_hash FROM items WHERE source_id = ?1 AND id = ?2";

constexpr std::string_view kInsertItem = R"(
INSERT INTO items (source_id, id, link, title, summary, content, author, categories,
                   organizations, published, updated, start, "end", location,
                   fingerprint, content_hash, first_seen, last_seen)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17))";

constexpr std::string_view kTouchItem = "UPDATE items SET last_seen = ?2 WHERE key = ?1";

// ?17 is 1 when the fingerprint changed (an alert-worthy change), else 0.
constexpr std::string_view kUpdateItem = R"(
UPDATE items SET link = ?2, title = ?3, summary = ?4, content = ?5, author = ?6,
    categories = ?7, organizations = ?8, published = ?9, updated = ?10, start = ?11,
    "end" = ?12, location = ?13, fingerprint = ?14, content_hash = ?15, last_seen = ?16,
    last_changed = CASE WHEN ?17 THEN ?16 ELSE last_changed END,
    changes = changes + ?17
WHERE key = ?1)";

// `known`: whether the source may have the item already; false for a source
// with no items yet (a first poll), whose items need no lookup.
Result<void> upsert_item(sql::StatementCache& st, std::int64_t source_id, const Item& item,
                         bool known, std::int64_t now, StoreResult& result) {
    const HashHex fp = fingerprint(item);
    const HashHex hash = content_hash(item);

    struct Existing {
        std::int64_t key;
        std::string fingerprint, content_hash;
    };
    std::optional<Existing> existing;
    if (known) {
        auto q = st.get(kFindItem);
        if (!q) return q.error();
        q->bind(1, source_id).bind_ref(2, item.id);
        auto row = q->step();
        if (!row) return row.error();
        if (*row) existing = Existing{q->int64(0), q->text(1), q->text(2)};
    }

    if (!existing) {
        auto q = st.get(kInsertItem);
        if (!q) return q.error();
        const std::string categories = to_json(item.categories);
        const std::string organizations = to_json(item.organizations);
        q->bind(1, source_id).bind_ref(2, item.id);
        bind_item_fields(*q, 3, item, categories, organizations);
        q->bind_ref(15, fp.view()).bind_ref(16, hash.view()).bind(17, now);
        // Not RETURNING key: that runs the statement in a statement journal
        // (and costs a third of the insert); the key is the rowid just made.
        if (auto r = q->run(); !r) return r.error();
        const std::int64_t key = q->last_insert_rowid();
        result.new_items++;
        result.new_keys.push_back(key);
        return {};
    }

    if (existing->content_hash == hash.view()) {
        auto q = st.get(kTouchItem);
        if (!q) return q.error();
        q->bind(1, existing->key).bind(2, now);
        result.unchanged++;
        return q->run();
    }

    const bool changed = existing->fingerprint != fp.view();
    auto q = st.get(kUpdateItem);
    if (!q) return q.error();
    const std::string categories = to_json(item.categories);
    const std::string organizations = to_json(item.organizations);
    q->bind(1, existing->key);
    bind_item_fields(*q, 2, item, categories, organizations);
    q->bind_ref(14, fp.view()).bind_ref(15, hash.view()).bind(16, now).bind(17, changed ? 1 : 0);
    if (auto r = q->run(); !r) return r.error();
    if (changed) {
        result.changed++;
        result.changed_keys.push_back(existing->key);
    } else {
        result.updated++;
    }
    return {};
}

// New items go into the full-text index here, after every item of the
// batch, rather than by an AFTER INSERT trigger: a statement that fires a
// trigger runs in a statement journal, and FTS5 writes its pending terms out
// as a new segment at every savepoint, so a trigger made one segment (and the
// merges that follow) per item: 4,600 items/s; inserted together they make
// one segment per transaction (bench/store_bench BM_Ingest, docs/performance.md).
// The values must be those stored in `items` (NULL for an empty field, the
// categories' JSON): the update and delete triggers remove what was indexed
// by reading them back from there. So they are read from there: one
// INSERT … SELECT per run of consecutive new keys (a batch's new items get
// consecutive keys, so nearly always one) instead of an INSERT per item,
// whose statement overhead (bind, step, halt, reset) was ~2,200 instructions
// an item. The one statement is one savepoint for FTS5 too, so the batch
// still makes one segment.
Result<void> index_items(sql::StatementCache& st, std::span<const StoreResult> results) {
    static const std::string insert = fmt::format(
        "INSERT INTO items_fts (rowid, {0}) SELECT key, {0} FROM items "
        "WHERE key BETWEEN ?1 AND ?2",
        fts::kColumns);
    const auto run = [&](std::int64_t first, std::int64_t last) -> Result<void> {
        auto q = st.get(insert);
        if (!q) return q.error();
        q->bind(1, first).bind(2, last);
        if (auto r = q->run(); !r)
            return context(fmt::format("indexing items {}-{}", first, last), r.error());
        return {};
    };
    // The runs of consecutive keys over the batch's new items, in the order stored.
    std::optional<std::pair<std::int64_t, std::int64_t>> open;
    for (const StoreResult& result : results)
        for (const std::int64_t key : result.new_keys) {
            if (open && key == open->second + 1) {
                open->second = key;
                continue;
            }
            if (open)
                if (auto r = run(open->first, open->second); !r) return r;
            open = {key, key};
        }
    if (open) return run(open->first, open->second);
    return {};
}

// ---- sources ----

Result<std::optional<std::int64_t>> find_source_id(sql::StatementCache& st,
                                                   const std::string& name) {
    auto q = st.get("SELECT id FROM sources WHERE name = ?1");
    if (!q) return q.error();
    q->bind(1, name);
    auto row = q->step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{q->int64(0)};
}

constexpr std::string_view kSourceColumns =
    R"(s.name, s.body, s.grp, s.url, s.format, s.enabled, s.etag, s.last_modified, s.last_poll,
       s.last_success, s.last_status, s.last_error, s.failures, s.next_poll, s.feed_format,
       s.gone, s.moved_to, s.failing_since)";

// Reads kSourceColumns followed by the item count.
SourceState read_source(const sql::Query& q) {
    SourceState s;
    s.name = q.text(0);
    s.body = q.text(1);
    s.group = q.text(2);
    s.url = q.text(3);
    s.format = q.text(4);
    s.enabled = q.int64(5) != 0;
    s.etag = q.text(6);
    s.last_modified = q.text(7);
    s.last_poll = q.int64(8);
    s.last_success = q.int64(9);
    s.last_status = static_cast<int>(q.int64(10));
    s.last_error = q.text(11);
    s.failures = static_cast<int>(q.int64(12));
    s.next_poll = q.int64(13);
    s.feed_format = q.text(14);
    s.gone = q.int64(15) != 0;
    s.moved_to = q.text(16);
    s.failing_since = q.int64(17);
    s.items = q.int64(18);
    return s;
}

// Validators belong to the document they came from: with a new URL they mean
// nothing, and with a new format a 304 would skip the parse the new format
// needs. Either way the source starts afresh; a new URL is also polled soon.
constexpr std::string_view kUpsertSource = R"(
INSERT INTO sources (name, body, grp, url, format, enabled) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (name) DO UPDATE SET
    body = excluded.body,
    grp = excluded.grp,
    format = excluded.format,
    enabled = excluded.enabled,
    etag = CASE WHEN url <> excluded.url OR format <> excluded.format THEN '' ELSE etag END,
    last_modified = CASE WHEN url <> excluded.url OR format <> excluded.format
                         THEN '' ELSE last_modified END,
    next_poll = CASE WHEN url <> excluded.url THEN 0 ELSE next_poll END,
    gone = CASE WHEN url <> excluded.url THEN 0 ELSE gone END,
    moved_to = CASE WHEN url <> excluded.url THEN '' ELSE moved_to END,
    url = excluded.url)";

// A failed fetch: validators and last success stay as they were.
constexpr std::string_view kFetchFailed = R"(
UPDATE sources SET last_poll = ?2, last_status = ?3, next_poll = ?4, last_error = ?5,
    failures = failures + 1
WHERE id = ?1)";

// 304: the document is as it was. Servers often omit the validators on a 304;
// then the ones we sent stay valid.
constexpr std::string_view kFetchNotModified = R"(
UPDATE sources SET last_poll = ?2, last_status = ?3, next_poll = ?4, last_error = '',
    failures = 0, last_success = ?2,
    etag = COALESCE(NULLIF(?5, ''), etag),
    last_modified = COALESCE(NULLIF(?6, ''), last_modified)
WHERE id = ?1)";

// A new document: its validators (or none) replace the old ones. An empty
// format means "not detected" and keeps the last one known.
constexpr std::string_view kFetchSucceeded = R"(
UPDATE sources SET last_poll = ?2, last_status = ?3, next_poll = ?4, last_error = '',
    failures = 0, last_success = ?2, etag = ?5, last_modified = ?6,
    feed_format = COALESCE(NULLIF(?7, ''), feed_format)
WHERE id = ?1)";

Result<void> apply_outcome(sql::StatementCache& st, std::int64_t source_id, const FetchOutcome& o) {
    const std::string_view sql = !o.error.empty() ? kFetchFailed
                                 : o.not_modified ? kFetchNotModified
                                                  : kFetchSucceeded;
    auto q = st.get(sql);
    if (!q) return q.error();
    q->bind(1, source_id).bind(2, o.when).bind(3, o.http_status).bind(4, o.next_poll);
    if (!o.error.empty())
        q->bind(5, o.error);
    else if (o.not_modified)
        q->bind(5, o.etag).bind(6, o.last_modified);
    else
        q->bind(5, o.etag).bind(6, o.last_modified).bind(7, o.feed_format);
    if (auto r = q->run(); !r) return r;
    auto health =
        st.get("UPDATE sources SET gone = ?2, moved_to = ?3, failing_since = ?4 WHERE id = ?1");
    if (!health) return health.error();
    health->bind(1, source_id).bind(2, o.gone ? 1 : 0).bind(3, o.moved_to).bind(4, o.failing_since);
    return health->run();
}

Result<int> read_user_version(sql::StatementCache& st) {
    auto q = st.get("PRAGMA user_version");
    if (!q) return q.error();
    auto row = q->step();
    if (!row) return row.error();
    return *row ? static_cast<int>(q->int64(0)) : 0;
}

}  // namespace

// ---- opening and migrating ----

// What search keeps on one connection between queries: each phrase's count of
// matching rows (its IDF) for the queries with several phrases, valid while
// the full-text index is the same.
struct SearchCache {
    // The index's structure record (its segments: any write adds one, a
    // merge replaces some) and averages record (rows and tokens), which
    // change with every change to what the index holds.
    std::string generation;
    std::unordered_map<std::string, std::vector<std::int64_t>> hits;  // by query text
    // Its statement prepared once per connection.
    std::unique_ptr<RowLengths> lengths;
    // temp.specwatch_terms and temp.specwatch_snippets exist (prefixes).
    bool prefix_tables = false;
};

Store::Store(sqlite3* db, const Clock& clock)
    : db_(db), clock_(clock), statements_(std::make_unique<sql::StatementCache>(db)) {}

Store::~Store() {
    statements_.reset();  // statements first: a connection closes only without them
    search_cache_.reset();
    sqlite3_close_v2(db_);
}

void Store::release_memory() {
    sqlite3_db_release_memory(db_);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const Clock& clock) {
    if (migrations().size() != static_cast<std::size_t>(kSchemaVersion))
        throw std::logic_error("storage: kSchemaVersion does not match the list of migrations");

    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    // The Store owns the handle from here on, even one that failed to open.
    std::unique_ptr<Store> store{new Store(db, clock)};
    const auto fail = [&](std::string_view why) {
        // The message names the file up front; sqlite's part need not repeat it.
        const std::string suffix = fmt::format(" (database {})", path);
        if (why.ends_with(suffix)) why.remove_suffix(suffix.size());
        return make_error(fmt::format("cannot open database {}: {}", path, why));
    };
    if (rc != SQLITE_OK)
        return fail(db != nullptr ? sql::last_error(db, false) : sqlite3_errstr(rc));

    if (auto r = sql::exec(db, fmt::format("PRAGMA busy_timeout = {}", kBusyTimeoutMs)); !r)
        return fail(r.error().message);
    if (auto r = register_rank(db); !r) return fail(r.error().message);
    if (auto r = register_tokenizer(db); !r) return fail(r.error().message);
    if (auto r = register_schema_functions(db); !r) return fail(r.error().message);

    // The first read of the file: a file that is not a database fails here
    // ("file is not a database"), before anything writes to it.
    auto version = read_user_version(*store->statements_);
    if (!version) return fail(version.error().message);
    if (*version > kSchemaVersion)
        return make_error(fmt::format(
            "database {} has schema version {}, newer than this specwatch (which knows up to "
            "{}): upgrade specwatch or use another database",
            path, *version, kSchemaVersion));

    // Only a database without pages takes a page size, and only before WAL
    // is set (a WAL database cannot change it): an empty file has version 0.
    if (*version == 0)
        if (auto r = sql::exec(db, fmt::format("PRAGMA page_size = {}", kNewDatabasePageSize)); !r)
            return fail(r.error().message);
    {
        // WAL: readers (the CLI's queries through the daemon, backups) do not
        // block the writer. NORMAL: a commit survives any crash of the process;
        // only a power loss may take back the last transactions (NOTES.md).
        auto q = store->statements_->get("PRAGMA journal_mode = WAL");
        if (!q) return fail(q.error().message);
        auto row = q->step();
        if (!row) return fail(row.error().message);
        const std::string mode = *row ? to_lower_ascii(q->text(0)) : "";
        if (mode != "wal" && mode != "memory")
            log::warning(
                "database {}: journal mode is '{}', not 'wal' (is the file on a "
                "network file system?)",
                path, mode);
    }
    // temp_store = MEMORY: statement journals and temporary tables stay in
    // memory. Rule matching records a rule's alerts with one INSERT … SELECT
    // (alerts.cpp), whose statement journal spilled to a temporary file past
    // 64 KiB: a pwrite per page, twice the writes of the whole round.
    for (const char* pragma :
         {"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON", "PRAGMA temp_store = MEMORY"})
        if (auto r = sql::exec(db, pragma); !r) return fail(r.error().message);

    // Each migration is one transaction, re-checked under the write lock: two
    // connections opening a new database at once migrate it once.
    for (int v = *version + 1; v <= kSchemaVersion; ++v) {
        auto tx = sql::Transaction::begin(db);
        if (!tx) return fail(tx.error().message);
        auto current = read_user_version(*store->statements_);
        if (!current) return fail(current.error().message);
        if (*current >= v) continue;
        const auto step_failed = [&](const Error& e) {
            return fail(fmt::format("migrating to schema version {}: {}", v, e.message));
        };
        if (auto r = sql::exec(db, migrations()[static_cast<std::size_t>(v - 1)]); !r)
            return step_failed(r.error());
        if (auto r = sql::exec(db, fmt::format("PRAGMA user_version = {}", v)); !r)
            return step_failed(r.error());
        if (auto r = tx->commit(); !r) return step_failed(r.error());
    }
    if (*version < kSchemaVersion)
        log::info("database {}: schema version {} → {}", path, *version, kSchemaVersion);
    return store;
}

int Store::schema_version() const {
    auto v = read_user_version(*statements_);
    return v ? *v : -1;
}

// ---- sources ----

Result<void> Store::sync_sources(const std::vector<config::Source>& sources) {
    auto r = [&]() -> Result<void> {
        auto tx = sql::Transaction::begin(db_);
        if (!tx) return tx.error();
        std::unordered_set<std::string_view> configured;
        for (const auto& s : sources) {
            configured.insert(s.name);
            auto q = statements_->get(kUpsertSource);
            if (!q) return q.error();
            q->bind(1, s.name).bind(2, s.body).bind(3, s.group).bind(4, s.url).bind(5, s.format);
            q->bind(6, s.enabled ? 1 : 0);
            if (auto run = q->run(); !run)
                return context(fmt::format("source '{}'", s.name), run.error());
        }
        // No longer configured: kept with their items (history stays
        // searchable, a source put back resumes its state) but never polled.
        std::vector<std::string> removed;
        {
            auto q = statements_->get("SELECT name FROM sources WHERE enabled");
            if (!q) return q.error();
            for (;;) {
                auto row = q->step();
                if (!row) return row.error();
                if (!*row) break;
                if (std::string name = q->text(0); !configured.contains(name))
                    removed.push_back(std::move(name));
            }
        }
        for (const auto& name : removed) {
            auto q = statements_->get("UPDATE sources SET enabled = 0 WHERE name = ?1");
            if (!q) return q.error();
            q->bind(1, name);
            if (auto run = q->run(); !run)
                return context(fmt::format("source '{}'", name), run.error());
        }
        return tx->commit();
    }();
    if (!r) return context("cannot update the sources in the database", r.error());
    return {};
}

Result<std::vector<SourceState>> Store::sources() {
    static const std::string sql = fmt::format(
        R"(SELECT {}, COALESCE(c.n, 0) FROM sources s
           LEFT JOIN (SELECT source_id, COUNT(*) AS n FROM items GROUP BY source_id) c
             ON c.source_id = s.id
           ORDER BY s.name)",
        kSourceColumns);
    auto r = [&]() -> Result<std::vector<SourceState>> {
        auto q = statements_->get(sql);
        if (!q) return q.error();
        std::vector<SourceState> out;
        for (;;) {
            auto row = q->step();
            if (!row) return row.error();
            if (!*row) return out;
            out.push_back(read_source(*q));
        }
    }();
    if (!r) return context("cannot list the sources", r.error());
    return r;
}

Result<std::optional<SourceState>> Store::source(const std::string& name) {
    static const std::string sql = fmt::format(
        "SELECT {}, (SELECT COUNT(*) FROM items WHERE source_id = s.id) FROM sources s "
        "WHERE s.name = ?1",
        kSourceColumns);
    auto r = [&]() -> Result<std::optional<SourceState>> {
        auto q = statements_->get(sql);
        if (!q) return q.error();
        q->bind(1, name);
        auto row = q->step();
        if (!row) return row.error();
        if (!*row) return std::optional<SourceState>{};
        return std::optional<SourceState>{read_source(*q)};
    }();
    if (!r) return context(fmt::format("cannot read source '{}'", name), r.error());
    return r;
}

// ---- polls ----

Result<StoreResult> Store::store_poll(const std::string& source, const std::vector<Item>& items,
                                      const FetchOutcome& outcome, const InTransaction& also) {
    const PollToStore poll{source, &items, outcome, also};
    auto r = store_polls(std::span(&poll, 1));
    if (!r) return r.error();
    return std::move(r->front());
}

Result<std::vector<StoreResult>> Store::store_polls(std::span<const PollToStore> polls) {
    const std::int64_t now = to_unix(clock_.now());
    std::vector<StoreResult> results(polls.size());
    std::vector<std::int64_t> ids(polls.size());
    std::size_t i = 0;  // the poll at work, named by an error
    auto r = [&]() -> Result<void> {
        auto tx = sql::Transaction::begin(db_);
        if (!tx) return tx.error();
        for (i = 0; i < polls.size(); ++i) {
            const PollToStore& poll = polls[i];
            auto id = find_source_id(*statements_, poll.source);
            if (!id) return id.error();
            if (!*id) return make_error("no such source in the database");
            ids[i] = **id;
            if (!poll.items) continue;

            {
                auto q = statements_->get("SELECT last_success FROM sources WHERE id = ?1");
                if (!q) return q.error();
                q->bind(1, ids[i]);
                auto row = q->step();
                if (!row) return row.error();
                results[i].first_success = *row && q->int64(0) == 0 && poll.outcome.error.empty();
            }
            // A document that repeats an id: its last occurrence wins, and the
            // item counts once.
            // A source without items (its first poll) has none of these:
            // one lookup for the poll instead of one per item.
            bool known = false;
            {
                auto q = statements_->get("SELECT 1 FROM items WHERE source_id = ?1 LIMIT 1");
                if (!q) return q.error();
                q->bind(1, ids[i]);
                auto row = q->step();
                if (!row) return row.error();
                known = *row;
            }
            const std::vector<Item>& items = *poll.items;
            std::unordered_map<std::string_view, std::size_t> last;
            last.reserve(items.size());
            for (std::size_t k = 0; k < items.size(); ++k) last[items[k].id] = k;
            for (std::size_t k = 0; k < items.size(); ++k) {
                if (last[items[k].id] != k) continue;
                if (auto u = upsert_item(*statements_, ids[i], items[k], known, now, results[i]);
                    !u)
                    return context(fmt::format("item '{}'", items[k].id), u.error());
            }
        }
        i = polls.size();
        if (auto x = index_items(*statements_, results); !x) return x.error();
        for (i = 0; i < polls.size(); ++i) {
            if (polls[i].also)
                if (auto a = polls[i].also(*statements_, results[i]); !a) return a.error();
            // The validators go in with the items they describe (DESIGN.md
            // invariant 1): saved before them, a crash would turn the next poll
            // into a 304 and lose the items.
            if (auto u = apply_outcome(*statements_, ids[i], polls[i].outcome); !u)
                return u.error();
        }
        i = polls.size();
        return tx->commit();
    }();
    if (!r) {
        if (i < polls.size())
            return context(fmt::format("cannot store the items of source '{}'", polls[i].source),
                           r.error());
        return context(polls.size() == 1
                           ? fmt::format("cannot store the items of source '{}'", polls[0].source)
                           : fmt::format("cannot store the items of {} sources", polls.size()),
                       r.error());
    }
    return results;
}

Result<void> Store::transaction(const std::function<Result<void>(sql::StatementCache&)>& work) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return tx.error();
    if (auto r = work(*statements_); !r) return r.error();
    return tx->commit();
}

Result<void> Store::record_fetch(const std::string& source, const FetchOutcome& outcome) {
    auto r = [&]() -> Result<void> {
        auto tx = sql::Transaction::begin(db_);
        if (!tx) return tx.error();
        auto id = find_source_id(*statements_, source);
        if (!id) return id.error();
        if (!*id) return make_error("no such source in the database");
        if (auto u = apply_outcome(*statements_, **id, outcome); !u) return u.error();
        return tx->commit();
    }();
    if (!r)
        return context(fmt::format("cannot record the fetch of source '{}'", source), r.error());
    return {};
}

// ---- reading items ----

Result<std::vector<StoredItem>> Store::items(const ItemFilter& filter) {
    // Only the conditions asked for, so the planner can use the index that
    // fits (a source's items by first_seen; all items by first_seen). Each
    // variant is its own cached statement.
    std::string where = "i.first_seen >= ?1";
    if (!filter.source.empty()) where += " AND s.name = ?3";
    if (!filter.body.empty()) where += " AND s.body = ?4 COLLATE NOCASE";
    // Newest first: last discovered first; within one poll, by the feed's own
    // dates, then the order of storing.
    const std::string sql = fmt::format(
        "SELECT {} FROM items i JOIN sources s ON s.id = i.source_id WHERE {} "
        "ORDER BY i.first_seen DESC, COALESCE(i.published, i.updated) DESC, i.key DESC "
        "LIMIT ?2",
        kItemColumns, where);
    auto r = [&]() -> Result<std::vector<StoredItem>> {
        auto q = statements_->get(sql);
        if (!q) return q.error();
        q->bind(1, filter.since.value_or(std::numeric_limits<std::int64_t>::min()));
        q->bind(2, clamp_limit(filter.limit));
        if (!filter.source.empty()) q->bind(3, filter.source);
        if (!filter.body.empty()) q->bind(4, filter.body);
        return read_items(*q, false);
    }();
    if (!r) return context("cannot list items", r.error());
    return r;
}

Result<std::vector<StoredItem>> Store::meetings(const MeetingFilter& filter) {
    // Dates are normalized text (common/item.h) and compare as strings: the
    // day "2026-12-01" sorts before every time of that day, so `from` (a day)
    // keeps whatever ends on or after it, and "starts before the day after
    // `to`" keeps whatever starts on `to`. A meeting that started before
    // `from` and has not ended is kept; MAX() guards against an end before
    // the start. The start range uses the partial index items_by_start.
    std::string where = "i.start IS NOT NULL AND i.start <> ''";
    if (!filter.from.empty())
        where += R"( AND MAX(i.start, COALESCE(NULLIF(i."end", ''), i.start)) >= ?2)"
                 " AND i.start >= ?6";
    if (!filter.to.empty()) where += " AND i.start < ?3";
    if (!filter.body.empty()) where += " AND s.body = ?4 COLLATE NOCASE";
    if (!filter.group.empty()) where += " AND s.grp = ?5 COLLATE NOCASE";
    const std::string sql = fmt::format(
        "SELECT {} FROM items i JOIN sources s ON s.id = i.source_id WHERE {} "
        "ORDER BY i.start, i.key LIMIT ?1",
        kItemColumns, where);
    auto r = [&]() -> Result<std::vector<StoredItem>> {
        std::string to_next, earliest_start;
        if (!filter.from.empty()) {
            const auto day = item_day(filter.from);
            if (!day) return make_error(fmt::format("invalid date '{}'", filter.from));
            earliest_start = format_day(*day - std::chrono::days{kMaxMeetingDays});
        }
        if (!filter.to.empty()) {
            const auto day = item_day(filter.to);
            if (!day) return make_error(fmt::format("invalid date '{}'", filter.to));
            to_next = format_day(*day + std::chrono::days{1});
        }
        auto q = statements_->get(sql);
        if (!q) return q.error();
        q->bind(1, clamp_limit(filter.limit));
        if (!filter.from.empty()) q->bind(2, filter.from).bind(6, earliest_start);
        if (!filter.to.empty()) q->bind(3, to_next);
        if (!filter.body.empty()) q->bind(4, filter.body);
        if (!filter.group.empty()) q->bind(5, filter.group);
        return read_items(*q, false);
    }();
    if (!r) return context("cannot list meetings", r.error());
    return r;
}

// How many of a query's newest matches `search` ranks.
constexpr int kSearchWindow = 5000;

namespace {

// Keeps the queries' counts for the index's state as of now; a new state
// forgets them. A bound on their number keeps a long-running daemon small
// (~100 bytes a query).
constexpr std::size_t kMaxCachedQueries = 1024;

// The prefix of a query that is one prefix term and nothing else ("secur*",
// "5G*"), as FTS5 tokenizes it (unicode61 lowercases ASCII); nullopt for
// any other query. Only ASCII letters and digits: their tokenizing is
// nothing but that lowercasing.
std::optional<std::string> prefix_of(const std::string& query) {
    const auto first = query.find_first_not_of(' ');
    const auto last = query.find_last_not_of(' ');
    if (first == std::string::npos || query[last] != '*' || last == first) return std::nullopt;
    std::string prefix;
    for (auto i = first; i < last; ++i) {
        const auto c = static_cast<unsigned char>(query[i]);
        if (!std::isalnum(c) || c >= 0x80) return std::nullopt;
        prefix += static_cast<char>(std::tolower(c));
    }
    return prefix;
}

// One read snapshot for a search: the index's generation and the walk see
// the same state. Nothing to do inside a transaction already open.
class ReadSnapshot {
  public:
    explicit ReadSnapshot(sqlite3* db) : db_(sqlite3_get_autocommit(db) != 0 ? db : nullptr) {
        if (db_ != nullptr && !sql::exec(db_, "BEGIN")) db_ = nullptr;
    }
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;
    ~ReadSnapshot() {
        // A read transaction left open would keep this connection on an old
        // snapshot: when COMMIT fails (a statement still running), roll back.
        if (db_ != nullptr && !sql::exec(db_, "COMMIT")) (void)sql::exec(db_, "ROLLBACK");
    }

  private:
    sqlite3* db_;
};

}  // namespace

Result<std::vector<StoredItem>> Store::search(const std::string& query, int limit,
                                              const SearchOptions& options) {
    // Only the newest matches are ranked (keys grow with each new item, and
    // FTS5 walks a query's matches in key order at no extra cost): a query
    // that matches most of a million items is ranked over its newest
    // kSearchWindow, not all of them. Better-ranked old items still come up
    // for narrower queries, which is what a search for something specific is.
    //
    // One walk of the query's newest matches gives each its rank
    // (specwatch_bm25, storage/rank.cpp: bm25's order) and, for the rows that
    // are among the best `limit` so far when met (specwatch_top), the
    // snippet: ~n·(1 + ln(window / n)) snippets at ~15 µs, where reading the
    // n chosen rows again with FTS5 costs a seek of every term's doclist per
    // row (~0.6 ms) or a second walk (a prefix term: a merge of all the
    // doclists it covers, ~30 ms over a million items). The rows' other
    // columns are then read by key from `items`.
    //
    // With several phrases, bm25's IDFs need each phrase's matches over the
    // whole table (30–60 ms over a million items); they are kept per query
    // text while the index stays the same (SearchCache).
    static const std::string generation_sql =
        "SELECT hex(block) FROM items_fts_data WHERE id IN (1, 10) ORDER BY id";
    static const std::string window_sql =
        "SELECT rowid, specwatch_bm25(items_fts, ?3), CASE WHEN specwatch_top(items_fts, ?3) "
        "THEN snippet(items_fts, -1, '[', ']', '…', 12) END FROM items_fts "
        "WHERE items_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2";
    static const std::string items_sql = fmt::format(
        "SELECT {} FROM items i JOIN sources s ON s.id = i.source_id "
        "WHERE i.key IN (SELECT value FROM json_each(?1))",
        kItemColumns);
    static const std::string row_sql = fmt::format(
        "SELECT {}, snippet(items_fts, -1, '[', ']', '…', 12) FROM items_fts "
        "JOIN items i ON i.key = items_fts.rowid JOIN sources s ON s.id = i.source_id "
        "WHERE items_fts MATCH ?1 AND items_fts.rowid = ?2",
        kItemColumns);
    static const std::string range_sql = fmt::format(
        "SELECT {}, snippet(items_fts, -1, '[', ']', '…', 12) FROM items_fts "
        "JOIN items i ON i.key = items_fts.rowid JOIN sources s ON s.id = i.source_id "
        "WHERE items_fts MATCH ?1 AND items_fts.rowid BETWEEN ?2 AND ?3 "
        "AND +items_fts.rowid IN (SELECT value FROM json_each(?4))",
        kItemColumns);
    const auto failed = [&](const Error& e) {
        return context(fmt::format("cannot search for '{}'", query), e);
    };
    const int n = clamp_limit(limit);
    if (!search_cache_) search_cache_ = std::make_unique<SearchCache>();
    // A prefix (secur*) has no doclist of its own: FTS5 merges those of all
    // the terms it covers into one, over the whole table, at every statement
    // that matches it (~30 ms over a million items for a prefix of one
    // common word), whatever the LIMIT. Written out as the OR of those terms
    // ("security" OR "securely"), it matches the same rows, and FTS5 walks
    // their doclists newest first, stopping at the window. The rank is the
    // same when the OR's phrases count as one (RankState::one_phrase); a
    // snippet is not (snippet() scores a fragment by the distinct phrases in
    // it), so with several terms the chosen rows' snippets are made with the
    // query as written, over a temporary FTS5 table of those rows only
    // (matching and snippets are row by row: the same text, tokenizer and
    // columns give the same snippet). The terms come from an fts5vocab table
    // of instances, one lookup per term (~1 ms over a million items).
    const auto prefix = options.expand_prefix ? prefix_of(query) : std::nullopt;
    if (prefix && !search_cache_->prefix_tables) {
        // Outside the snapshot's transaction, so that no rollback undoes it.
        auto made =
            sql::exec(db_, fmt::format("CREATE VIRTUAL TABLE IF NOT EXISTS temp.specwatch_terms "
                                       "USING fts5vocab(main, items_fts, instance);"
                                       "CREATE VIRTUAL TABLE IF NOT EXISTS temp.specwatch_snippets "
                                       "USING fts5({}, tokenize='{}')",
                                       fts::kColumns, fts::kTokenize));
        if (!made) return failed(made.error());
        search_cache_->prefix_tables = true;
    }
    const ReadSnapshot snapshot(db_);

    // The terms the prefix covers, when there are few enough to write out.
    constexpr std::size_t kMaxPrefixTerms = 16;
    std::vector<std::string> terms;
    if (prefix) {
        // Each term is the first after the last found: a term greater than
        // t is at least t followed by \x01 (tokens hold no control bytes).
        static const std::string next_term_sql =
            "SELECT term FROM temp.specwatch_terms WHERE term >= ?1 LIMIT 1";
        std::string from = *prefix;
        while (terms.size() <= kMaxPrefixTerms) {
            auto q = statements_->get(next_term_sql);
            if (!q) return failed(q.error());
            q->bind(1, from);
            auto row = q->step();
            if (!row) return failed(row.error());
            if (!*row) break;
            std::string term = q->text(0);
            if (!term.starts_with(*prefix)) break;
            from = term + '\x01';
            terms.push_back(std::move(term));
        }
        if (terms.size() > kMaxPrefixTerms) terms.clear();
    }
    std::string walk_query = query;
    if (!terms.empty()) {
        walk_query.clear();
        for (const auto& t : terms) walk_query += (walk_query.empty() ? "\"" : " OR \"") + t + '"';
    }
    // With one term, the written-out query is the same query in every way
    // (one phrase, the same instances): snippets as for any other.
    const bool snippets_apart = terms.size() > 1;

    std::string generation;
    {
        auto q = statements_->get(generation_sql);
        if (!q) return failed(q.error());
        for (;;) {
            auto row = q->step();
            if (!row) return failed(row.error());
            if (!*row) break;
            generation += q->text(0);
            generation += '|';
        }
    }
    if (search_cache_->generation != generation) {
        search_cache_->generation = generation;
        search_cache_->hits.clear();
    }

    RankState state;
    state.top = static_cast<std::size_t>(n);
    // Rows enter the best n about n·(1 + ln(window / n)) times when ranks
    // come in no particular order (~130 for 20 of 5,000, ~490 for 100): at
    // ~15 µs a snippet, for a word or an AND of words that is about what a
    // second walk over the chosen rows' range costs at 20 rows, and more
    // above ~30 (callgrind over a million items: 5G --limit 100, 51.6 M
    // instructions against 37.4 M). A second walk of a prefix (a merge of
    // every doclist it covers) or of a phrase of common words (few matches
    // far apart) costs as much as the first, so those take their snippets
    // in the walk whatever the limit. The budget bounds a walk whose ranks
    // improve as it goes back in time; the rows past it are read afterwards.
    constexpr int kSnippetsInWalkUpTo = 32;
    const bool costly_walk = query.find_first_of("*\"") != std::string::npos;
    state.snippet_budget = snippets_apart                            ? 0
                           : options.snippets_in_walk >= 0           ? options.snippets_in_walk
                           : n <= kSnippetsInWalkUpTo || costly_walk ? 16 * n + 64
                                                                     : 0;
    state.one_phrase = !terms.empty();
    if (auto c = search_cache_->hits.find(query); c != search_cache_->hits.end())
        state.hits = c->second;
    if (!search_cache_->lengths) search_cache_->lengths = std::make_unique<RowLengths>(db_);
    state.lengths = search_cache_->lengths.get();
    // Its cursor ends with the walk, on every way out, before the snapshot.
    const std::unique_ptr<RowLengths, void (*)(RowLengths*)> end_lengths(
        state.lengths, [](RowLengths* r) { r->reset(); });

    std::vector<RankState::Ranked> ranked;
    std::unordered_map<std::int64_t, std::string> snippets;
    const auto walk_start = std::chrono::steady_clock::now();
    {
        auto q = statements_->get(window_sql);
        if (!q) return failed(q.error());
        q->bind(1, walk_query)
            .bind(2, std::max(kSearchWindow, n))
            .bind_pointer(3, &state, kRankStateType);
        for (;;) {
            auto row = q->step();
            if (!row) {
                // SQLITE_ERROR is FTS5 rejecting the query ("fts5: syntax error
                // near …", "no such column: x"); anything else is the database's
                // trouble.
                if (q->result_code() == SQLITE_ERROR)
                    return context(fmt::format("invalid query '{}'", query), row.error());
                return failed(row.error());
            }
            if (!*row) break;
            ranked.push_back({q->real(1), q->int64(0)});
            if (!q->is_null(2)) snippets[q->int64(0)] = q->text(2);
        }
    }
    const auto walked = std::chrono::steady_clock::now() - walk_start;
    if (state.counted) {
        if (search_cache_->hits.size() >= kMaxCachedQueries) search_cache_->hits.clear();
        search_cache_->hits[query] = std::move(state.hits);
    }
    const auto top = ranked.begin() + std::min<std::ptrdiff_t>(n, std::ssize(ranked));
    std::partial_sort(ranked.begin(), top, ranked.end(), RankState::better);
    std::vector<StoredItem> out;
    if (top == ranked.begin()) return out;

    // The chosen rows, by key: those with their snippet from the walk read
    // from `items`, the others (beyond the budget, or all of them when a test
    // asks) with FTS5 for their snippet.
    std::unordered_map<std::int64_t, StoredItem> rows;
    std::string with_snippet = "[", without = "[";
    std::vector<std::int64_t> missing;
    for (auto it = ranked.begin(); it != top; ++it) {
        std::string& list = snippets.contains(it->key) ? with_snippet : without;
        list += (list.size() > 1 ? "," : "") + std::to_string(it->key);
        if (!snippets.contains(it->key)) missing.push_back(it->key);
    }
    with_snippet += ']';
    without += ']';
    if (with_snippet.size() > 2) {
        auto q = statements_->get(items_sql);
        if (!q) return failed(q.error());
        q->bind(1, with_snippet);
        auto read = read_items(*q, false);
        if (!read) return failed(read.error());
        for (auto& r : *read) {
            r.snippet = std::move(snippets[r.key]);
            const auto key = r.key;
            rows.emplace(key, std::move(r));
        }
    }
    // The rows without a snippet are read with FTS5, by one of two ways that
    // give the same rows:
    // - a key at a time: FTS5 seeks each term's doclist to the key, ~0.6 ms a
    //   key over a million items (kPerKeyCost) whatever the query, but a
    //   prefix term (secur*) has no doclist of its own: FTS5 merges those of
    //   every term it covers, ~30 ms, again for each key;
    // - one walk over the keys' range, a part of what the ranking walk went
    //   over, so at most its cost (the unary + keeps the key list a filter on
    //   the rows the walk returns, not a lookup per key that FTS5 would run
    //   the query again for). A phrase of common words ("study item") whose
    //   matches are few and far apart makes that walk long.
    // The walk is taken for prefix queries, and when the ranking walk took
    // less than the lookups would.
    // A prefix written out as several terms: over the temporary table (see
    // above), emptied again afterwards.
    constexpr auto kPerKeyCost = std::chrono::microseconds(600);
    using Read = SearchOptions::Read;
    const bool walk =
        options.read == Read::by_range ||
        (options.read == Read::automatic &&
         (query.find('*') != std::string::npos || walked < kPerKeyCost * std::ssize(missing)));
    if (!missing.empty() && snippets_apart) {
        static const std::string clear_sql = "DELETE FROM temp.specwatch_snippets";
        static const std::string fill_sql = fmt::format(
            "INSERT INTO temp.specwatch_snippets(rowid, {0}) SELECT key, {0} FROM items "
            "WHERE key IN (SELECT value FROM json_each(?1))",
            fts::kColumns);
        static const std::string snippet_sql = fmt::format(
            "SELECT {}, snippet(specwatch_snippets, -1, '[', ']', '…', 12) "
            "FROM temp.specwatch_snippets JOIN items i ON i.key = specwatch_snippets.rowid "
            "JOIN sources s ON s.id = i.source_id WHERE specwatch_snippets MATCH ?1",
            kItemColumns);
        const auto run = [&](const std::string& sql, const std::string& arg) -> Result<void> {
            auto q = statements_->get(sql);
            if (!q) return q.error();
            if (!arg.empty()) q->bind(1, arg);
            return q->run();
        };
        if (auto r = run(clear_sql, ""); !r) return failed(r.error());
        if (auto r = run(fill_sql, without); !r) return failed(r.error());
        {
            auto q = statements_->get(snippet_sql);
            if (!q) return failed(q.error());
            q->bind(1, query);
            auto read = read_items(*q, true);
            if (!read) return failed(read.error());
            for (auto& r : *read) {
                const auto key = r.key;
                rows.emplace(key, std::move(r));
            }
        }
        if (auto r = run(clear_sql, ""); !r) return failed(r.error());
    } else if (!missing.empty() && !walk) {
        for (const std::int64_t key : missing) {
            auto q = statements_->get(row_sql);
            if (!q) return failed(q.error());
            q->bind(1, walk_query).bind(2, key);
            auto read = read_items(*q, true);
            if (!read) return failed(read.error());
            for (auto& r : *read) rows.emplace(key, std::move(r));
        }
    } else if (!missing.empty()) {
        const auto [lo, hi] = std::minmax_element(missing.begin(), missing.end());
        auto q = statements_->get(range_sql);
        if (!q) return failed(q.error());
        q->bind(1, walk_query).bind(2, *lo).bind(3, *hi).bind(4, without);
        auto read = read_items(*q, true);
        if (!read) return failed(read.error());
        for (auto& r : *read) {
            const auto key = r.key;
            rows.emplace(key, std::move(r));
        }
    }
    // Back in rank order.
    for (auto it = ranked.begin(); it != top; ++it)
        if (auto f = rows.find(it->key); f != rows.end()) out.push_back(std::move(f->second));
    return out;
}

Result<std::optional<StoredItem>> Store::item(std::int64_t key) {
    static const std::string sql =
        fmt::format("SELECT {} FROM items i JOIN sources s ON s.id = i.source_id WHERE i.key = ?1",
                    kItemColumns);
    auto r = [&]() -> Result<std::optional<StoredItem>> {
        auto q = statements_->get(sql);
        if (!q) return q.error();
        q->bind(1, key);
        auto row = q->step();
        if (!row) return row.error();
        if (!*row) return std::optional<StoredItem>{};
        return std::optional<StoredItem>{read_item(*q)};
    }();
    if (!r) return context(fmt::format("cannot read item {}", key), r.error());
    return r;
}

Result<Counts> Store::counts() {
    auto r = [&]() -> Result<Counts> {
        auto q = statements_->get(R"(SELECT
            (SELECT COUNT(*) FROM items),
            (SELECT COUNT(*) FROM sources WHERE enabled),
            (SELECT COUNT(*) FROM sources WHERE enabled AND last_error = '' AND last_poll > 0),
            (SELECT COUNT(*) FROM sources WHERE enabled AND last_error <> ''))");
        if (!q) return q.error();
        auto row = q->step();
        if (!row) return row.error();
        Counts c;
        if (*row) {
            c.items = q->int64(0);
            c.sources = q->int64(1);
            c.sources_ok = q->int64(2);
            c.sources_failing = q->int64(3);
        }
        return c;
    }();
    if (!r) return context("cannot count items and sources", r.error());
    return r;
}

}  // namespace specwatch::storage
