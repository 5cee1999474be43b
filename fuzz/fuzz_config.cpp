// The config loader: TOML syntax, every key's validation, FILE:LINE problems.
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace specwatch;
    auto c = config::load_string(fuzz::bytes(data, size), "/nonexistent/fuzz.toml");
    if (!c) {
        // Every problem names the file and a line.
        for (const auto& p : c.error())
            if (p.message.empty()) std::abort();
    }
    return 0;
}
