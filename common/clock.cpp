#include "common/clock.h"

#include "common/units.h"

#include <charconv>

#include <fmt/format.h>

namespace specwatch {

using namespace std::chrono;

std::int64_t to_unix(SysTime t) {
    return duration_cast<seconds>(t.time_since_epoch()).count();
}

SysTime from_unix(std::int64_t s) {
    return SysTime{seconds{s}};
}

std::string format_iso_utc(SysTime t) {
    const auto secs = floor<seconds>(t);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::string format_iso_utc(std::int64_t unix_seconds) {
    return format_iso_utc(from_unix(unix_seconds));
}

namespace {

bool read_int(std::string_view& s, std::size_t width, int& out) {
    if (s.size() < width) return false;
    for (std::size_t i = 0; i < width; ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    std::from_chars(s.data(), s.data() + width, out);
    s.remove_prefix(width);
    return true;
}

bool eat(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
}

}  // namespace

Result<SysTime> parse_iso(std::string_view text) {
    const auto bad = [&] {
        return make_error(
            fmt::format("invalid date '{}' (expected YYYY-MM-DD or "
                        "YYYY-MM-DDTHH:MM:SSZ)",
                        text));
    };
    std::string_view s = text;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (!read_int(s, 4, y) || !eat(s, '-') || !read_int(s, 2, mo) || !eat(s, '-') ||
        !read_int(s, 2, d))
        return bad();
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return bad();
    seconds offset{0};
    if (!s.empty()) {
        if (!eat(s, 'T') && !eat(s, ' ') && !eat(s, 't')) return bad();
        if (!read_int(s, 2, h) || !eat(s, ':') || !read_int(s, 2, mi)) return bad();
        if (eat(s, ':') && !read_int(s, 2, sec)) return bad();
        if (eat(s, '.'))
            while (!s.empty() && s.front() >= '0' && s.front() <= '9') s.remove_prefix(1);
        if (h > 23 || mi > 59 || sec > 60) return bad();
        if (eat(s, 'Z') || eat(s, 'z')) {
        } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
            const int sign = s.front() == '-' ? -1 : 1;
            s.remove_prefix(1);
            int oh = 0, om = 0;
            if (!read_int(s, 2, oh)) return bad();
            eat(s, ':');
            if (!read_int(s, 2, om)) return bad();
            offset = seconds{sign * (oh * 3600 + om * 60)};
        }
        if (!s.empty()) return bad();
    }
    return SysTime{sys_days{ymd}} + hours{h} + minutes{mi} + seconds{sec} - offset;
}

Result<SysTime> parse_since(std::string_view text, SysTime now) {
    if (auto d = parse_duration(text)) return now - *d;
    if (auto t = parse_iso(text)) return *t;
    return make_error(
        fmt::format("invalid time '{}' (expected a duration such as 7d or a date "
                    "such as 2026-03-16)",
                    text));
}

}  // namespace specwatch
