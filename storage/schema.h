#pragma once
// The schema as an ordered list of migrations: entry i takes a database from
// user_version i to i + 1. Store::open applies each missing one in its own
// transaction. Never edit a migration that has shipped; append a new one.
#include "common/result.h"

#include <string>
#include <vector>

struct sqlite3;

namespace specwatch::storage {

[[nodiscard]] const std::vector<std::string>& migrations();

// The SQL functions the migrations call, on a connection (Store::open, before
// migrating): link_hash(text), common/text.h's link_hash of a normalized link.
[[nodiscard]] Result<void> register_schema_functions(sqlite3* db);

}  // namespace specwatch::storage
