#pragma once
// Small RAII wrappers over the SQLite C API, private to storage: one owner for
// every handle (STYLE.md point 1), errors as values.
#include "common/result.h"

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace specwatch::storage::sql {

struct Finalize {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, Finalize>;

// sqlite's message for the last failure on `db`, with the system error and the
// database file when they say more ("disk I/O error (No space left on device)
// (database /var/lib/specwatch/specwatch.db)").
// `with_file` false leaves the file out, for messages that already name it.
[[nodiscard]] std::string last_error(sqlite3* db, bool with_file = true);

// Runs SQL that returns no rows we need (PRAGMAs, DDL, BEGIN/COMMIT).
[[nodiscard]] Result<void> exec(sqlite3* db, const std::string& sql);

// The connection's FTS5 API (version 2 or later), through which the store
// registers its rank functions and tokenizer.
[[nodiscard]] Result<fts5_api*> fts5(sqlite3* db);

// One use of a prepared statement: bind, step, read columns. Resets the
// statement when it goes out of scope, so a read never keeps its snapshot (and
// its WAL read lock) longer than the scope that used it.
class Query {
  public:
    // `in_use`, when given, is cleared when this use ends (see StatementCache).
    explicit Query(sqlite3_stmt* stmt, bool* in_use = nullptr) noexcept
        : stmt_(stmt), in_use_(in_use) {}
    Query(Query&& other) noexcept;
    Query& operator=(Query&&) = delete;
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    ~Query();

    // Parameters are numbered from 1. Text is copied (SQLITE_TRANSIENT), so
    // temporaries are safe to bind. A failed bind is reported by step().
    Query& bind(int index, std::int64_t value);
    Query& bind(int index, std::string_view text);
    Query& bind_null(int index);
    // A pointer for an SQL function (sqlite3_bind_pointer): visible only to
    // functions that ask for `type`, never as a value; not owned.
    Query& bind_pointer(int index, void* pointer, const char* type);
    // An empty string is stored as NULL: "the document does not have this field".
    Query& bind_optional(int index, std::string_view text);
    // Not copied (SQLITE_STATIC): the text must outlive this Query, whose end
    // clears the bindings. For large fields bound once per row on the
    // writer's hot path, where the copy is a malloc and a memcpy per field.
    Query& bind_ref(int index, std::string_view text);
    Query& bind_optional_ref(int index, std::string_view text);

    // The rowid the last INSERT on this statement's connection made.
    [[nodiscard]] std::int64_t last_insert_rowid() const {
        return sqlite3_last_insert_rowid(sqlite3_db_handle(stmt_));
    }

    // The rows the last INSERT, UPDATE or DELETE on this statement's
    // connection changed.
    [[nodiscard]] std::int64_t changes() const {
        return sqlite3_changes64(sqlite3_db_handle(stmt_));
    }

    // true: a row is ready to read; false: done.
    [[nodiscard]] Result<bool> step();
    // Steps a statement that returns no rows (INSERT, UPDATE) to completion.
    [[nodiscard]] Result<void> run();
    // The primary result code of the last step (SQLITE_ERROR for a query
    // sqlite rejects, SQLITE_FULL for a full disk…).
    [[nodiscard]] int result_code() const { return rc_ & 0xff; }

    [[nodiscard]] std::int64_t int64(int column) const;
    [[nodiscard]] double real(int column) const;
    [[nodiscard]] std::string text(int column) const;  // NULL reads as ""
    [[nodiscard]] bool is_null(int column) const;

  private:
    void check_bind(int rc);
    sqlite3_stmt* stmt_;
    bool* in_use_;
    int bind_rc_ = SQLITE_OK;
    int rc_ = SQLITE_OK;
};

// Prepares each distinct SQL text once per connection and hands out uses of
// it: a poll of 50,000 items runs the same few statements 50,000 times, and
// parsing SQL each time would cost more than the work itself.
class StatementCache {
  public:
    explicit StatementCache(sqlite3* db) : db_(db) {}
    // A fresh use of the statement for `sql`. Each statement serves one use at
    // a time: asking for one still in use is a bug and throws.
    [[nodiscard]] Result<Query> get(std::string_view sql);

  private:
    // The length and eight words spread over the text, not every byte: a
    // statement's SQL runs to hundreds of bytes and the writer asks for one
    // two or three times an item, so hashing all of it (std::hash, ~400
    // instructions a use) was 66 M of a first poll's 8.3 G instructions. The
    // texts of one connection are a few dozen fixed statements that differ
    // in length or in the words sampled; any two that do not are still told
    // apart by the map's equality test, at the price of a longer bucket.
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept;
    };
    struct Entry {
        StmtPtr stmt;
        bool in_use = false;
    };
    sqlite3* db_;
    // Nodes of an unordered_map do not move, so a Query may point at its flag.
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> statements_;
};

// A write transaction, started with BEGIN IMMEDIATE so it takes the write lock
// up front: a deferred transaction that reads and then writes can fail with
// SQLITE_BUSY_SNAPSHOT whatever the busy timeout (NOTES.md). Rolls back in its
// destructor unless committed.
//
// Begun while a transaction is open, it is a savepoint inside it: commit
// releases the savepoint (the work becomes part of the enclosing transaction,
// durable only when that commits), and rolling back undoes only its own work.
// The writer uses this to store several polls in one transaction, each poll
// in its own savepoint.
class Transaction {
  public:
    [[nodiscard]] static Result<Transaction> begin(sqlite3* db);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    [[nodiscard]] Result<void> commit();

    // A savepoint inside an enclosing transaction.
    [[nodiscard]] bool nested() const noexcept { return nested_; }

  private:
    Transaction(sqlite3* db, bool nested) noexcept : db_(db), nested_(nested) {}
    sqlite3* db_;  // null once committed or moved from
    bool nested_;
};

}  // namespace specwatch::storage::sql
