#pragma once
// The schema as an ordered list of migrations: entry i takes a database from
// user_version i to i + 1. Store::open applies each missing one in its own
// transaction. Never edit a migration that has shipped; append a new one.
#include <string>
#include <vector>

namespace specwatch::storage {

[[nodiscard]] const std::vector<std::string>& migrations();

}  // namespace specwatch::storage
