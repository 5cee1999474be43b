// specwatch_bm25(): FTS5's built-in bm25() (sqlite's fts5_aux.c, k1 = 1.2,
// b = 0.75, every column weighted 1) giving the same order of rows, without
// its most expensive step where that step cannot change the order.
//
// bm25() begins each query by counting, for every phrase of the query, how
// many rows of the whole table contain it (xQueryPhrase over the phrase's
// full doclist), for the phrase's IDF. Over 1,000,000 items that is ~30 ms
// for a word in most of them (5G) and ~150 ms for a phrase of two common
// words ("study item"), whatever the LIMIT. A row's score is
//     -sum over phrases p of IDF(p) * f(frequency of p in the row, row length)
// with every IDF > 0 (bm25() clamps it to 1e-6 at least), so when the query
// has a single phrase the IDF is a positive constant factor: the order of the
// rows is the same without it. Then IDF = 1 and the count is skipped. With
// several phrases the IDFs weigh them against each other and are computed
// exactly as bm25() does, or taken from the caller (RankState::hits), which
// keeps them while the index does not change (Store::search).
#include "storage/rank.h"

#include "storage/sqlite.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace specwatch::storage {

namespace {

struct QueryData {
    double avgdl = 0;  // average row length, in tokens
    std::vector<double> idf;
    std::vector<double> freq;  // per row, reused
};

int count_row(const Fts5ExtensionApi*, Fts5Context*, void* hits) {
    ++*static_cast<sqlite3_int64*>(hits);
    return SQLITE_OK;
}

// The state Store::search bound as the function's argument, if any.
RankState* state_of(int argc, sqlite3_value** argv) {
    if (argc < 1) return nullptr;
    return static_cast<RankState*>(sqlite3_value_pointer(argv[0], kRankStateType));
}

int query_data(const Fts5ExtensionApi* api, Fts5Context* fts, RankState* state, QueryData** out) {
    if (auto* p = static_cast<QueryData*>(api->xGetAuxdata(fts, 0))) {
        *out = p;
        return SQLITE_OK;
    }
    auto* p = new QueryData;
    const int phrases = api->xPhraseCount(fts);
    sqlite3_int64 rows = 0, tokens = 0;
    int rc = api->xRowCount(fts, &rows);
    if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &tokens);
    if (rc == SQLITE_OK) {
        p->avgdl = static_cast<double>(tokens) / static_cast<double>(rows);
        p->idf.assign(static_cast<std::size_t>(phrases), 1.0);
        p->freq.assign(static_cast<std::size_t>(phrases), 0.0);
    }
    const bool given = state != nullptr && std::ssize(state->hits) == phrases;
    if (state != nullptr && !given) state->hits.clear();
    const bool one_phrase = state != nullptr && state->one_phrase;
    for (int i = 0; rc == SQLITE_OK && phrases > 1 && !one_phrase && i < phrases; ++i) {
        sqlite3_int64 hits = 0;
        if (given)
            hits = state->hits[static_cast<std::size_t>(i)];
        else
            rc = api->xQueryPhrase(fts, i, &hits, count_row);
        if (rc == SQLITE_OK && state != nullptr && !given) state->hits.push_back(hits);
        if (rc == SQLITE_OK) {
            double idf = std::log((static_cast<double>(rows - hits) + 0.5) /
                                  (static_cast<double>(hits) + 0.5));
            if (idf <= 0.0) idf = 1e-6;
            p->idf[static_cast<std::size_t>(i)] = idf;
        }
    }
    if (rc == SQLITE_OK && state != nullptr && !given && phrases > 1 && !one_phrase)
        state->counted = true;
    if (rc == SQLITE_OK)
        rc = api->xSetAuxdata(fts, p, [](void* d) { delete static_cast<QueryData*>(d); });
    else
        delete p;
    if (rc == SQLITE_OK) *out = p;
    return rc;
}

// Keeps RankState::best, the best `top` rows met so far, for specwatch_top.
void note_rank(RankState& state, double rank, std::int64_t key) {
    const RankState::Ranked row{rank, key};
    state.last_key = key;
    state.last_set = true;
    // The heap's front is its worst row (`better` as the heap's "less").
    state.last_entered = state.top > 0 && (state.best.size() < state.top ||
                                           RankState::better(row, state.best.front()));
    if (!state.last_entered) return;
    state.best.push_back(row);
    std::push_heap(state.best.begin(), state.best.end(), RankState::better);
    if (state.best.size() > state.top) {
        std::pop_heap(state.best.begin(), state.best.end(), RankState::better);
        state.best.pop_back();
    }
}

void bm25(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc,
          sqlite3_value** argv) {
    constexpr double k1 = 1.2, b = 0.75;  // bm25()'s constants
    RankState* state = state_of(argc, argv);
    QueryData* p = nullptr;
    int rc = query_data(api, fts, state, &p);
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    std::fill(p->freq.begin(), p->freq.end(), 0.0);
    int inst = 0;
    rc = api->xInstCount(fts, &inst);
    for (int i = 0; rc == SQLITE_OK && i < inst; ++i) {
        int phrase = 0, column = 0, offset = 0;
        rc = api->xInst(fts, i, &phrase, &column, &offset);
        if (rc == SQLITE_OK) p->freq[static_cast<std::size_t>(phrase)] += 1.0;
    }
    int length = 0;
    if (rc == SQLITE_OK &&
        (state == nullptr || state->lengths == nullptr ||
         !state->lengths->length(api->xRowid(fts), api->xColumnCount(fts), &length)))
        rc = api->xColumnSize(fts, -1, &length);
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    const double d = length;
    if (state != nullptr && state->one_phrase && p->freq.size() > 1) {
        double all = 0;
        for (const double f : p->freq) all += f;
        std::fill(p->freq.begin(), p->freq.end(), 0.0);
        p->freq[0] = all;
    }
    double score = 0;
    for (std::size_t i = 0; i < p->freq.size(); ++i)
        score +=
            p->idf[i] * (p->freq[i] * (k1 + 1.0)) / (p->freq[i] + k1 * (1 - b + b * d / p->avgdl));
    const double rank = -1.0 * score;
    if (state != nullptr) note_rank(*state, rank, api->xRowid(fts));
    sqlite3_result_double(ctx, rank);
}

// 1 when the row specwatch_bm25 has just ranked entered the best so far (and
// the snippet budget is not spent). SQLite evaluates a row's result columns
// in order, so specwatch_bm25, written before, has ranked this row; should it
// not have, the answer is 1: a snippet too many costs time, never a result.
void top(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc,
         sqlite3_value** argv) {
    RankState* state = state_of(argc, argv);
    if (state == nullptr || !state->last_set || state->last_key != api->xRowid(fts)) {
        sqlite3_result_int(ctx, 1);
        return;
    }
    const bool take = state->last_entered && state->snippet_budget > 0;
    if (take) --state->snippet_budget;
    sqlite3_result_int(ctx, take ? 1 : 0);
}

// sqlite's varint (sqlite3GetVarint: big-endian groups of 7 bits, the ninth
// byte whole), as FTS5 writes a docsize record. false when it runs past `end`.
bool read_varint(const unsigned char*& p, const unsigned char* end, std::uint64_t* out) {
    std::uint64_t v = 0;
    for (int i = 0; i < 9; ++i) {
        if (p == end) return false;
        const unsigned char c = *p++;
        if (i == 8) {
            *out = (v << 8) | c;
            return true;
        }
        v = (v << 7) | (c & 0x7f);
        if ((c & 0x80) == 0) {
            *out = v;
            return true;
        }
    }
    return false;
}

}  // namespace

bool RankState::better(const Ranked& a, const Ranked& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.key > b.key;
}

RowLengths::~RowLengths() {
    sqlite3_finalize(stmt_);
}

void RowLengths::reset() {
    if (stmt_ != nullptr) sqlite3_reset(stmt_);
    positioned_ = false;
}

bool RowLengths::length(std::int64_t key, int columns, int* out) {
    // A step is ~10 times cheaper than a seek: step over up to this many rows
    // without a match (a query in most rows: 0 or 1; a rare word: a seek).
    constexpr std::int64_t kMaxSteps = 8;
    if (stmt_ == nullptr &&
        sqlite3_prepare_v3(db_,
                           "SELECT id, sz FROM items_fts_docsize WHERE id <= ?1 ORDER BY id DESC",
                           -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
        stmt_ = nullptr;
        return false;
    }
    if (positioned_ && key_ >= key && key_ - key <= kMaxSteps) {
        while (positioned_ && key_ > key) {
            positioned_ = sqlite3_step(stmt_) == SQLITE_ROW;
            if (positioned_) key_ = sqlite3_column_int64(stmt_, 0);
        }
    } else {
        positioned_ = false;
    }
    if (!positioned_) {
        sqlite3_reset(stmt_);
        sqlite3_bind_int64(stmt_, 1, key);
        positioned_ = sqlite3_step(stmt_) == SQLITE_ROW;
        if (!positioned_) return false;
        key_ = sqlite3_column_int64(stmt_, 0);
    }
    if (key_ != key) return false;
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, 1));
    const auto* end = p + sqlite3_column_bytes(stmt_, 1);
    std::uint64_t total = 0;
    for (int i = 0; i < columns; ++i) {
        std::uint64_t v = 0;
        if (p == nullptr || !read_varint(p, end, &v)) return false;
        total += v;
    }
    if (p != end) return false;
    *out = static_cast<int>(total);
    return true;
}

Result<void> register_rank(sqlite3* db) {
    auto found = sql::fts5(db);
    if (!found) return found.error();
    fts5_api* api = *found;
    if (api->xCreateFunction(api, "specwatch_bm25", nullptr, bm25, nullptr) != SQLITE_OK)
        return make_error(std::string("cannot register specwatch_bm25: ") + sqlite3_errmsg(db));
    if (api->xCreateFunction(api, "specwatch_top", nullptr, top, nullptr) != SQLITE_OK)
        return make_error(std::string("cannot register specwatch_top: ") + sqlite3_errmsg(db));
    return {};
}

}  // namespace specwatch::storage
