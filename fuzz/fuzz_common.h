#pragma once
// Shared by the fuzz targets: the libFuzzer entry point's signature, and a
// source whose rules come from TOML (the same path the daemon reads them by).
#include "config/config.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace specwatch::fuzz {

inline std::string_view bytes(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// The one source of `toml`, which must be valid: a fuzz target with a broken
// fixed config would test nothing.
inline config::Source source_from(std::string_view toml) {
    auto c = config::load_string(toml, "fuzz.toml");
    if (!c || c->sources.empty()) {
        std::fputs("fuzz target: its own source config does not load\n", stderr);
        std::abort();
    }
    return c->sources.front();
}

}  // namespace specwatch::fuzz
