// SQLite as specwatchd's store uses it (storage/store.cpp): a WAL database
// file, an FTS5 table, one row inserted and one MATCH query, the connection
// kept open.
#include <sqlite3.h>

#include <stdexcept>
#include <string>

#include "bench/floor/floor.h"

namespace floor_bench {
namespace {

void exec(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = std::string(sql) + ": " + (error ? error : "?");
        sqlite3_free(error);
        throw std::runtime_error(message);
    }
}

void start_sqlite(const Args& args, Keep& keep) {
    if (args.db.empty()) throw std::runtime_error("--db PATH is required");
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(args.db.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    std::shared_ptr<sqlite3> db(raw, sqlite3_close_v2);
    if (rc != SQLITE_OK) throw std::runtime_error(args.db + ": " + sqlite3_errstr(rc));
    exec(db.get(),
         "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
         "CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, summary);"
         "INSERT INTO fts(title, summary) VALUES('IMT-2030 requirements', "
         "'Draft new Recommendation on the framework of IMT-2030');");
    sqlite3_stmt* raw_stmt = nullptr;
    if (sqlite3_prepare_v2(db.get(), "SELECT rowid, title FROM fts WHERE fts MATCH ?1", -1,
                           &raw_stmt, nullptr) != SQLITE_OK)
        throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(db.get()));
    std::shared_ptr<sqlite3_stmt> stmt(raw_stmt, sqlite3_finalize);
    sqlite3_bind_text(stmt.get(), 1, "\"imt 2030\"", -1, SQLITE_STATIC);
    int rows = 0;
    while (sqlite3_step(stmt.get()) == SQLITE_ROW) ++rows;
    if (rows < 1) throw std::runtime_error("the MATCH query found nothing");
    sqlite3_reset(stmt.get());
    // sqlite3_close_v2 waits for the statement to be finalized: any order works.
    keep.push_back(stmt);
    keep.push_back(db);
}

}  // namespace

const Part kPart{2, &start_sqlite};

}  // namespace floor_bench
