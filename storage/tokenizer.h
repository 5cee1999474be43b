#pragma once
// FTS5's unicode61 tokenizer with a fast path for ASCII words, registered on
// every connection the store opens under the same name, "unicode61", so the
// schema and the file stay plain SQLite (the sqlite3 shell reads and checks
// them with its own unicode61). storage/tokenizer.cpp says why its tokens are
// the built-in tokenizer's, byte for byte.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

struct sqlite3;

namespace specwatch::storage {

[[nodiscard]] Result<void> register_tokenizer(sqlite3* db);

// One token as a tokenizer reports it, for the tests that compare the fast
// path with the built-in tokenizer.
struct Token {
    std::string text;
    int start = 0;
    int end = 0;
    int flags = 0;
    bool operator==(const Token&) const = default;
};

// `text` tokenized by the tokenizer registered as "unicode61" on `db` with
// the arguments `args` (e.g. {"remove_diacritics", "2"}); `builtin` asks for
// the tokenizer FTS5 itself provides instead of the one registered over it.
// The callback answers SQLITE_DONE after `stop_after` tokens (FTS5's
// snippet() stops a tokenizer that way), never if it is negative.
[[nodiscard]] Result<std::vector<Token>> tokenize(sqlite3* db, const std::vector<std::string>& args,
                                                  std::string_view text, bool builtin,
                                                  int stop_after = -1);

// Whether the tokenizer registered as "unicode61" on `db` is this one, and
// reads ASCII words itself with these arguments.
[[nodiscard]] bool reads_ascii_itself(sqlite3* db, const std::vector<std::string>& args);

}  // namespace specwatch::storage
