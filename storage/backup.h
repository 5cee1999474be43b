#pragma once
// Online backup of the database (`specwatch backup PATH`): a consistent copy
// taken while the daemon keeps writing, never a file copy of a live database.
#include "common/result.h"

#include <cstdint>
#include <string>

namespace specwatch::storage {

struct BackupStats {
    std::int64_t pages = 0;
    std::int64_t bytes = 0;  // of the copy
    std::int64_t items = 0;  // items in the copy
};

// Copies the database at `db_path` into the new file `into` (which must not
// exist) with SQLite's online backup API in a single step: one read
// transaction on the source, so the copy is one moment of the database however
// much is written meanwhile (WAL lets the writer go on). The copy is checked
// with PRAGMA quick_check and synced to disk before this returns; on any
// failure `into` is removed and the error names both files.
[[nodiscard]] Result<BackupStats> backup_database(const std::string& db_path,
                                                  const std::string& into);

}  // namespace specwatch::storage
