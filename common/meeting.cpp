#include "common/meeting.h"

#include "common/text.h"
#include "common/units.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace specwatch {

bool is_cancelled(const Item& item) {
    return std::any_of(item.categories.begin(), item.categories.end(),
                       [](const std::string& c) { return to_lower_ascii(trim(c)) == "cancelled"; });
}

std::optional<std::chrono::sys_days> item_day(std::string_view date) {
    using namespace std::chrono;
    if (date.size() < 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
    if (date.size() > 10 && date[10] != 'T') return std::nullopt;
    const auto number = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
        int v = 0;
        const char* first = date.data() + pos;
        const auto [end, ec] = std::from_chars(first, first + len, v);
        if (ec != std::errc{} || end != first + len) return std::nullopt;
        return v;
    };
    const auto y = number(0, 4), m = number(5, 2), d = number(8, 2);
    if (!y || !m || !d) return std::nullopt;
    const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*m)},
                             day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) return std::nullopt;
    return sys_days{ymd};
}

std::string format_day(std::chrono::sys_days day) {
    const std::chrono::year_month_day ymd{day};
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

namespace {

Result<std::string> day_result(std::chrono::sys_days day) {
    return Result<std::string>{boost::system::in_place_value, format_day(day)};
}

}  // namespace

Result<std::string> parse_meeting_date(std::string_view text, SysTime now) {
    const std::string t = trim(text);
    const auto today = std::chrono::floor<std::chrono::days>(now);
    if (to_lower_ascii(t) == "today") return day_result(today);
    if (t.size() == 10)
        if (const auto day = item_day(t)) return day_result(*day);
    if (!t.empty()) {
        std::string_view rest = t;
        const bool back = rest.front() == '-';
        if (rest.front() == '-' || rest.front() == '+') rest.remove_prefix(1);
        if (auto d = parse_duration(rest))
            return day_result(std::chrono::floor<std::chrono::days>(back ? now - *d : now + *d));
    }
    return make_error(fmt::format(
        "invalid date '{}' (expected YYYY-MM-DD, 'today', or days from today such as 30d or -7d)",
        text));
}

}  // namespace specwatch
