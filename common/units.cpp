#include "common/units.h"

#include <charconv>
#include <limits>

#include <fmt/format.h>

namespace specwatch {

namespace {

struct Unit {
    std::string_view name;
    std::uint64_t factor;
};

// Parses "<number><unit>…" where each unit comes from `units`; a bare number
// uses `bare` as its unit (0: not allowed).
Result<std::uint64_t> parse_scaled(std::string_view text, std::initializer_list<Unit> units,
                                   std::uint64_t bare, std::string_view what) {
    const std::string shown{text};
    if (text.empty()) return make_error(fmt::format("empty {}", what));
    std::uint64_t total = 0;
    while (!text.empty()) {
        std::uint64_t n = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec != std::errc{} || ptr == text.data())
            return make_error(fmt::format(
                "invalid {} '{}' (expected e.g. {})", what, shown,
                what == "duration" ? "\"90s\", \"30m\", \"1h\", \"1d\"" : "\"16MiB\", \"512KiB\""));
        text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
        std::size_t len = 0;
        while (len < text.size() && (text[len] < '0' || text[len] > '9')) ++len;
        const std::string_view suffix = text.substr(0, len);
        text.remove_prefix(len);
        std::uint64_t factor = 0;
        if (suffix.empty()) {
            factor = bare;
        } else {
            for (const auto& u : units)
                if (u.name == suffix) factor = u.factor;
        }
        if (factor == 0)
            return make_error(fmt::format("invalid {} '{}' (unknown unit '{}')", what, shown,
                                          suffix.empty() ? "none" : suffix));
        if (n > std::numeric_limits<std::uint64_t>::max() / factor || total + n * factor < total)
            return make_error(fmt::format("{} '{}' is too large", what, shown));
        total += n * factor;
    }
    return total;
}

}  // namespace

Result<Seconds> parse_duration(std::string_view text) {
    auto r = parse_scaled(text, {{"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {"w", 7 * 86400}},
                          0, "duration");
    if (!r) return r.error();
    // Ten years is more than any interval or retention anyone means; beyond it
    // time_point arithmetic would start to overflow.
    if (*r > 10ULL * 366 * 86400)
        return make_error(fmt::format("duration '{}' is too large", text));
    return Seconds{static_cast<Seconds::rep>(*r)};
}

std::string format_duration(Seconds d) {
    auto s = d.count();
    if (s == 0) return "0s";
    std::string out;
    if (s < 0) {
        out = "-";
        s = -s;
    }
    const std::pair<long long, char> parts[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    for (auto [factor, unit] : parts) {
        if (s >= factor) {
            out += fmt::format("{}{}", s / factor, unit);
            s %= factor;
        }
    }
    return out;
}

Result<std::uint64_t> parse_size(std::string_view text) {
    return parse_scaled(text,
                        {{"B", 1},
                         {"KB", 1000},
                         {"MB", 1000 * 1000},
                         {"GB", 1000ULL * 1000 * 1000},
                         {"KiB", 1024},
                         {"MiB", 1024 * 1024},
                         {"GiB", 1024ULL * 1024 * 1024},
                         {"k", 1024},
                         {"K", 1024},
                         {"M", 1024 * 1024},
                         {"G", 1024ULL * 1024 * 1024}},
                        1, "size");
}

}  // namespace specwatch
