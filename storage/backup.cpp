#include "storage/backup.h"

#include "storage/sqlite.h"

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <system_error>

#include <fmt/format.h>

namespace specwatch::storage {

namespace {

struct Close {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, Close>;

Result<DbPtr> open_db(const std::string& path, int flags) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    DbPtr db{raw};
    if (rc != SQLITE_OK)
        return make_error(fmt::format("cannot open {}: {}", path,
                                      raw ? sql::last_error(raw, false) : sqlite3_errstr(rc)));
    sqlite3_busy_timeout(raw, 10'000);
    return db;
}

// The first column of a one-row query, as text.
Result<std::string> first_value(sqlite3* db, const char* query) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, query, -1, &raw, nullptr) != SQLITE_OK)
        return make_error(sql::last_error(db));
    sql::StmtPtr stmt{raw};
    if (sqlite3_step(raw) != SQLITE_ROW) return make_error(sql::last_error(db));
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    return Result<std::string>{boost::system::in_place_value, text ? text : ""};
}

Result<BackupStats> copy(const std::string& db_path, const std::string& into) {
    auto src = open_db(db_path, SQLITE_OPEN_READONLY);
    if (!src) return src.error();
    auto dst = open_db(into, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!dst) return dst.error();

    sqlite3_backup* b = sqlite3_backup_init(dst->get(), "main", src->get(), "main");
    if (b == nullptr) return make_error(sql::last_error(dst->get()));
    int rc = SQLITE_OK;
    // -1: every page in one step, under one read transaction of the source.
    // BUSY/LOCKED only while another connection holds an exclusive lock (a
    // checkpoint truncating the WAL); the busy timeout covers most of it.
    for (int attempt = 0; attempt < 50; ++attempt) {
        rc = sqlite3_backup_step(b, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
        sqlite3_sleep(100);
    }
    BackupStats stats;
    stats.pages = sqlite3_backup_pagecount(b);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        return make_error(fmt::format("copying {}: {}", db_path,
                                      rc == SQLITE_OK ? "incomplete" : sqlite3_errstr(rc)));
    src->reset();

    auto verdict = first_value(dst->get(), "PRAGMA quick_check");
    if (!verdict) return verdict.error();
    if (*verdict != "ok") return make_error(fmt::format("the copy fails its check: {}", *verdict));
    auto items = first_value(dst->get(), "SELECT count(*) FROM items");
    if (!items) return items.error();
    stats.items = std::stoll(*items);
    // A self-contained file: no -wal beside it to lose when it is moved.
    if (auto r = sql::exec(dst->get(), "PRAGMA journal_mode = DELETE"); !r) return r.error();
    dst->reset();  // closes and, with journal_mode DELETE, leaves one synced file

    std::error_code ec;
    stats.bytes = static_cast<std::int64_t>(std::filesystem::file_size(into, ec));
    return stats;
}

}  // namespace

Result<BackupStats> backup_database(const std::string& db_path, const std::string& into) {
    // Never overwrite (nor, on failure, remove) a file someone keeps.
    std::error_code exists_ec;
    if (std::filesystem::exists(into, exists_ec) || exists_ec)
        return make_error(
            fmt::format("backup of {} into {}: the file already exists", db_path, into));
    auto r = copy(db_path, into);
    if (!r) {
        std::error_code ec;
        std::filesystem::remove(into, ec);
        for (const char* suffix : {"-journal", "-wal", "-shm"})
            std::filesystem::remove(into + suffix, ec);
        return make_error(
            fmt::format("backup of {} into {}: {}", db_path, into, r.error().message));
    }
    return r;
}

}  // namespace specwatch::storage
