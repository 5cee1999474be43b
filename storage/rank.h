#pragma once
// specwatch_bm25(items_fts): the rank `search` orders by, registered on every
// connection (storage/rank.cpp says how it differs from FTS5's bm25()), and
// specwatch_top(items_fts, state): whether the row specwatch_bm25 just ranked
// is among the best so far, so that search computes snippets in the same walk.
#include "common/result.h"

#include <cstdint>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace specwatch::storage {

[[nodiscard]] Result<void> register_rank(sqlite3* db);

// What Store::search gives both functions for one run of its ranking walk,
// bound as a pointer of type kRankStateType:
//   SELECT rowid, specwatch_bm25(items_fts, ?3),
//          CASE WHEN specwatch_top(items_fts, ?3) THEN snippet(…) END
//   FROM items_fts WHERE items_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2
// Without it (rank MATCH 'specwatch_bm25()'), specwatch_bm25 works alone.
inline constexpr const char* kRankStateType = "specwatch_rank_state";

// Each row's length in tokens, what bm25 divides by the average, read from
// items_fts_docsize as xColumnSize(-1) does, but by a cursor that steps to the
// next row when the walk's next match is a few rows back instead of seeking
// from the B-tree's root for each (FTS5's own read: ~4,500 instructions a
// row, half of a one-word query's walk over a million items).
class RowLengths {
  public:
    explicit RowLengths(sqlite3* db) : db_(db) {}
    RowLengths(const RowLengths&) = delete;
    RowLengths& operator=(const RowLengths&) = delete;
    ~RowLengths();
    // Sets `out` to the row's length (its `columns` sizes added up); false
    // when it has no docsize record that decodes to them (the caller asks
    // FTS5, which reports what is wrong). Keys asked in descending order are
    // the cheap case; any order is right.
    [[nodiscard]] bool length(std::int64_t key, int columns, int* out);
    // Ends the read (the statement's snapshot), before the snapshot ends.
    void reset();

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    bool positioned_ = false;  // stmt_ is on a row: key_, with its blob
    std::int64_t key_ = 0;
};

struct RankState {
    // Each phrase's matching rows over the whole table (its IDF), the costly
    // first step of bm25() when the query has several phrases. Given by the
    // caller when it knows them for this query and this state of the index;
    // otherwise counted on the first row and left here with `counted` set.
    std::vector<std::int64_t> hits;
    bool counted = false;

    // The query's phrases stand for one phrase (a prefix written out as the
    // OR of the terms it covers): the row's instances of all of them are
    // that phrase's, and there is no IDF to weigh them.
    bool one_phrase = false;

    // specwatch_top answers 1 for a row that enters the best `top` ranked so
    // far (best rank first, equal ranks: the newest, i.e. the one met first
    // in a walk newest first), at most `snippet_budget` times; every row of
    // the final best `top` entered it when it was met.
    std::size_t top = 0;
    int snippet_budget = 0;

    // Where specwatch_bm25 reads rows' lengths; null: from FTS5.
    RowLengths* lengths = nullptr;

    // Internal: the best `top` so far, worst first (a heap), and the row
    // specwatch_bm25 ranked last.
    struct Ranked {
        double rank;
        std::int64_t key;
    };
    // Best rank first (bm25 ranks are negative: lower is better); equal
    // ranks: the newest (the greater key) first. Search sorts by it too.
    [[nodiscard]] static bool better(const Ranked& a, const Ranked& b);
    std::vector<Ranked> best;
    std::int64_t last_key = 0;
    bool last_entered = false;
    bool last_set = false;
};

}  // namespace specwatch::storage
