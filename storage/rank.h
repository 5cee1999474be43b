#pragma once
// specwatch_bm25(items_fts): the rank `search` orders by, registered on every
// connection (storage/rank.cpp says how it differs from FTS5's bm25()).
#include "common/result.h"

struct sqlite3;

namespace specwatch::storage {

[[nodiscard]] Result<void> register_rank(sqlite3* db);

}  // namespace specwatch::storage
