#include "storage/sqlite.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace specwatch::storage::sql {

namespace {

// SQLite counts every allocation for sqlite3_status() under a global mutex
// unless told not to; nothing here reads those counts. Set by a static
// initializer because sqlite3_config works only before the library's first
// use (the config loader opens an in-memory database to check rule queries).
// BM_Ingest: see docs/performance.md.
[[maybe_unused]] const int kMemoryStatisticsOff = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

// Whether the file system holding `file` (or, before it exists, its folder)
// is read-only: mounted so, or turned so by the kernel after an I/O error
// (ext4's errors=remount-ro). sqlite's errno then often names a side effect
// (a -shm file that could not be created: "No such file or directory").
bool on_read_only_file_system(const char* file) {
    struct statvfs st {};
    if (statvfs(file, &st) != 0) {
        const auto folder = std::filesystem::path(file).parent_path();
        if (folder.empty() || statvfs(folder.c_str(), &st) != 0) return false;
    }
    return (st.f_flag & ST_RDONLY) != 0;
}

}  // namespace

std::string last_error(sqlite3* db, bool with_file) {
    std::string message = sqlite3_errmsg(db);
    // Failures of the file itself: the errno says what sqlite's generic
    // message does not ("unable to open database file" — because of what?),
    // and the reader needs to know which file.
    const int code = sqlite3_errcode(db) & 0xff;
    const bool file_problem = code == SQLITE_CANTOPEN || code == SQLITE_IOERR ||
                              code == SQLITE_FULL || code == SQLITE_READONLY ||
                              code == SQLITE_PERM || code == SQLITE_CORRUPT ||
                              code == SQLITE_NOTADB || code == SQLITE_BUSY;
    if (!file_problem) return message;
    const char* file = sqlite3_db_filename(db, "main");
    const bool named = file != nullptr && *file != '\0';
    if (named && on_read_only_file_system(file))
        message += fmt::format(" ({})", std::strerror(EROFS));
    else if (const int err = sqlite3_system_errno(db); err != 0)
        message += fmt::format(" ({})", std::strerror(err));
    if (with_file && named) message += fmt::format(" (database {})", file);
    return message;
}

Result<void> exec(sqlite3* db, const std::string& sql) {
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
        return make_error(last_error(db));
    return {};
}

Result<fts5_api*> fts5(sqlite3* db) {
    fts5_api* api = nullptr;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr) != SQLITE_OK)
        return make_error(std::string("cannot reach FTS5: ") + sqlite3_errmsg(db));
    sqlite3_bind_pointer(st, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(st);
    sqlite3_finalize(st);
    if (api == nullptr || api->iVersion < 2) return make_error("this SQLite has no FTS5 API v2");
    return api;
}

Query::Query(Query&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      bind_rc_(other.bind_rc_),
      rc_(other.rc_) {}

Query::~Query() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (in_use_ != nullptr) *in_use_ = false;
}

void Query::check_bind(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Query& Query::bind(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(stmt_, index, value));
    return *this;
}

Query& Query::bind(int index, std::string_view text) {
    check_bind(
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
}

Query& Query::bind_null(int index) {
    check_bind(sqlite3_bind_null(stmt_, index));
    return *this;
}

Query& Query::bind_pointer(int index, void* pointer, const char* type) {
    check_bind(sqlite3_bind_pointer(stmt_, index, pointer, type, nullptr));
    return *this;
}

Query& Query::bind_optional(int index, std::string_view text) {
    return text.empty() ? bind_null(index) : bind(index, text);
}

Query& Query::bind_ref(int index, std::string_view text) {
    check_bind(
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
    return *this;
}

Query& Query::bind_optional_ref(int index, std::string_view text) {
    return text.empty() ? bind_null(index) : bind_ref(index, text);
}

Result<bool> Query::step() {
    sqlite3* db = sqlite3_db_handle(stmt_);
    if (bind_rc_ != SQLITE_OK) {
        rc_ = bind_rc_;
        return make_error(fmt::format("cannot bind a value: {}", sqlite3_errstr(bind_rc_)));
    }
    rc_ = sqlite3_step(stmt_);
    if (rc_ == SQLITE_ROW) return true;
    if (rc_ == SQLITE_DONE) return false;
    return make_error(last_error(db));
}

Result<void> Query::run() {
    for (;;) {
        auto row = step();
        if (!row) return row.error();
        if (!*row) return {};
    }
}

std::int64_t Query::int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

double Query::real(int column) const {
    return sqlite3_column_double(stmt_, column);
}

std::string Query::text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    if (p == nullptr) return {};
    // Bytes after the text call: the text may have been converted.
    const int n = sqlite3_column_bytes(stmt_, column);
    return std::string{reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

bool Query::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::size_t StatementCache::Hash::operator()(std::string_view s) const noexcept {
    constexpr std::uint64_t kMul = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio
    std::uint64_t h = s.size() * kMul;
    const auto mix = [&h](std::uint64_t word) {
        h = (h ^ word) * kMul;
        h ^= h >> 29;
    };
    if (s.size() < 8) {
        std::uint64_t word = 0;
        if (!s.empty()) std::memcpy(&word, s.data(), s.size());
        mix(word);
    } else {
        // Eight 8-byte words from the first to the last byte, overlapping in
        // short texts.
        const std::size_t span = s.size() - 8;
        for (std::size_t k = 0; k < 8; ++k) {
            std::uint64_t word;
            std::memcpy(&word, s.data() + span * k / 7, sizeof word);
            mix(word);
        }
    }
    return static_cast<std::size_t>(h);
}

Result<Query> StatementCache::get(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
        sqlite3_stmt* raw = nullptr;
        // PERSISTENT: these live as long as the connection, so sqlite keeps them
        // out of its short-lived lookaside memory.
        if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                               SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
            sqlite3_finalize(raw);
            return make_error(last_error(db_));
        }
        it = statements_.emplace(std::string{sql}, Entry{StmtPtr{raw}}).first;
    }
    Entry& entry = it->second;
    if (entry.in_use) throw std::logic_error(fmt::format("statement already in use: {}", sql));
    entry.in_use = true;
    return Query{entry.stmt.get(), &entry.in_use};
}

Result<Transaction> Transaction::begin(sqlite3* db) {
    if (sqlite3_get_autocommit(db) == 0) {
        if (auto r = exec(db, "SAVEPOINT nested"); !r)
            return make_error(fmt::format("cannot start a savepoint: {}", r.error().message));
        return Transaction{db, true};
    }
    if (auto r = exec(db, "BEGIN IMMEDIATE"); !r)
        return make_error(fmt::format("cannot start a write transaction: {}", r.error().message));
    return Transaction{db, false};
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), nested_(other.nested_) {}

Transaction::~Transaction() {
    // After some errors (SQLITE_FULL, SQLITE_IOERR…) sqlite has already rolled
    // back the whole transaction by itself; then there is nothing left to roll
    // back (and no savepoint either).
    if (db_ == nullptr || sqlite3_get_autocommit(db_) != 0) return;
    if (nested_) {
        // Savepoints of the same name nest: these name the innermost, ours.
        sqlite3_exec(db_, "ROLLBACK TO nested", nullptr, nullptr, nullptr);
        sqlite3_exec(db_, "RELEASE nested", nullptr, nullptr, nullptr);
    } else {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

Result<void> Transaction::commit() {
    if (nested_ && sqlite3_get_autocommit(db_) != 0)
        return make_error("cannot commit: the enclosing transaction was rolled back");
    if (auto r = exec(db_, nested_ ? "RELEASE nested" : "COMMIT"); !r)
        return make_error(fmt::format("cannot commit: {}", r.error().message));
    db_ = nullptr;
    return {};
}

}  // namespace specwatch::storage::sql
