#pragma once
// Durations ("90s", "30m", "1h", "1d", "2w", "1h30m") and sizes ("16MiB",
// "512KB", "1000") as written in the config and on the command line.
#include "common/result.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace specwatch {

using Seconds = std::chrono::seconds;

[[nodiscard]] Result<Seconds> parse_duration(std::string_view text);
[[nodiscard]] std::string format_duration(Seconds d);  // "1h30m", "45s", "2d"

[[nodiscard]] Result<std::uint64_t> parse_size(std::string_view text);

}  // namespace specwatch
