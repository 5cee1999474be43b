// The index's tokenizer (storage/tokenizer.h): its tokens, offsets and flags
// must be exactly FTS5's own unicode61's on any bytes, and neither may crash.
#include <sqlite3.h>

#include "fuzz/fuzz_common.h"
#include "storage/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace specwatch;
    static sqlite3* db = [] {
        sqlite3* d = nullptr;
        if (sqlite3_open(":memory:", &d) != SQLITE_OK || !storage::register_tokenizer(d)) {
            std::fputs("fuzz target: cannot register the tokenizer\n", stderr);
            std::abort();
        }
        return d;
    }();
    const std::string_view text = fuzz::bytes(data, size);
    // The first byte picks the options and where the callback stops.
    const unsigned pick = size > 0 ? data[0] : 0;
    static const std::vector<std::vector<std::string>> options = {
        {"remove_diacritics", "2"}, {}, {"tokenchars", "-_."}, {"separators", "ae"}};
    const auto& args = options[pick % options.size()];
    const int stop_after = (pick & 0x10) != 0 ? static_cast<int>(pick >> 5) : -1;
    auto ours = storage::tokenize(db, args, text, false, stop_after);
    auto builtin = storage::tokenize(db, args, text, true, stop_after);
    if (!ours || !builtin || *ours != *builtin) {
        std::fprintf(stderr, "tokenizer: %zu tokens, unicode61: %zu tokens\n",
                     ours ? ours->size() : 0, builtin ? builtin->size() : 0);
        std::abort();
    }
    return 0;
}
