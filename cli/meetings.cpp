#include "cli/meetings.h"

#include "cli/table.h"
#include "common/clock.h"
#include "common/meeting.h"

#include <chrono>
#include <ctime>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace specwatch::cli {

namespace {

using Json = nlohmann::json;
using std::chrono::days;
using std::chrono::sys_days;

// Columns that should never push the title off the screen.
constexpr std::size_t kGroupWidth = 20;
constexpr std::size_t kPlaceWidth = 24;

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string text(const Json& j, const char* key) {
    if (!j.is_object()) return {};
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// One end of a meeting as shown: its local day, and its local time unless it
// is all day.
struct Moment {
    sys_days day;
    std::optional<std::string> time;  // "09:00"
};

std::optional<Moment> moment(const std::string& iso) {
    if (iso.size() == 10) {
        const auto day = item_day(iso);
        if (!day) return std::nullopt;
        return Moment{*day, std::nullopt};
    }
    const auto t = parse_iso(iso);
    if (!t) return std::nullopt;
    const std::time_t secs = static_cast<std::time_t>(to_unix(*t));
    std::tm tm{};
    if (!::localtime_r(&secs, &tm)) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year{tm.tm_year + 1900},
                                          std::chrono::month{static_cast<unsigned>(tm.tm_mon + 1)},
                                          std::chrono::day{static_cast<unsigned>(tm.tm_mday)}};
    return Moment{sys_days{ymd}, fmt::format("{:02}:{:02}", tm.tm_hour, tm.tm_min)};
}

int year_of(sys_days d) {
    return static_cast<int>(std::chrono::year_month_day{d}.year());
}

// "30 Nov", with the year when asked.
std::string day_text(sys_days d, bool with_year) {
    const std::chrono::year_month_day ymd{d};
    std::string s = fmt::format("{} {}", static_cast<unsigned>(ymd.day()),
                                kMonths[static_cast<unsigned>(ymd.month()) - 1]);
    if (with_year) s += fmt::format(" {}", static_cast<int>(ymd.year()));
    return s;
}

// "9 – 13 Feb" in one month, "30 Nov – 4 Dec" across two; the end's year when
// asked, and the start's too when the years differ.
std::string day_range(sys_days first, sys_days last, bool with_year) {
    const std::chrono::year_month_day a{first}, b{last};
    if (a.year() != b.year()) return day_text(first, true) + " – " + day_text(last, true);
    if (a.month() == b.month())
        return fmt::format("{} – {}", static_cast<unsigned>(a.day()), day_text(last, with_year));
    return day_text(first, false) + " – " + day_text(last, with_year);
}

sys_days monday_of(sys_days d) {
    const std::chrono::weekday wd{d};
    return d - days{(wd.c_encoding() + 6) % 7};
}

// "Week 49 · 30 Nov – 6 Dec 2026". ISO 8601 weeks: a week belongs to the year
// of its Thursday, and week 1 holds that year's first Thursday.
std::string week_header(sys_days monday) {
    const sys_days sunday = monday + days{6};
    const sys_days thursday = monday + days{3};
    const sys_days jan1{std::chrono::year_month_day{std::chrono::year_month_day{thursday}.year(),
                                                    std::chrono::January, std::chrono::day{1}}};
    const auto week = (thursday - jan1).count() / 7 + 1;
    return fmt::format("Week {} · {}", week, day_range(monday, sunday, true));
}

}  // namespace

std::string meeting_dates(const std::string& start, const std::string& end) {
    const auto s = moment(start);
    if (!s) return start;
    auto e = moment(end);
    if (e && e->day < s->day) e.reset();
    const bool other_year = e && year_of(e->day) != year_of(s->day);
    std::string out = day_text(s->day, other_year);
    if (s->time) out += " " + *s->time;
    if (!e) return out;
    if (e->day == s->day) {
        if (s->time && e->time && *e->time != *s->time) out += "–" + *e->time;
        return out;
    }
    if (!s->time && !e->time) return day_range(s->day, e->day, false);
    out += " – " + day_text(e->day, other_year);
    if (e->time) out += " " + *e->time;
    return out;
}

std::string render_meetings(const Json& meetings, std::size_t terminal_width) {
    if (!meetings.is_array() || meetings.empty()) return "No meetings.\n";
    std::string out;
    std::optional<sys_days> week;
    std::optional<Table> table;
    const auto flush = [&] {
        if (table) out += table->render(terminal_width);
        table.reset();
    };
    for (const auto& m : meetings) {
        const std::string start = text(m, "start");
        const auto s = moment(start);
        const std::optional<sys_days> this_week =
            s ? std::optional<sys_days>{monday_of(s->day)} : std::nullopt;
        if (!table || this_week != week) {
            flush();
            if (!out.empty()) out += '\n';
            out += this_week ? week_header(*this_week) : std::string{"Undated"};
            out += '\n';
            week = this_week;
            table.emplace(std::vector<Column>{{"KEY", Align::right},
                                              {"DATES"},
                                              {"BODY"},
                                              {"GROUP", Align::left, kGroupWidth},
                                              {"PLACE", Align::left, kPlaceWidth},
                                              {"STATUS"},
                                              {"TITLE"}});
        }
        std::string key;
        if (const auto it = m.find("key"); it != m.end() && it->is_number_integer())
            key = std::to_string(it->get<long long>());
        const bool cancelled = text(m, "status") == "cancelled";
        table->add_row({key, meeting_dates(start, text(m, "end")), text(m, "body"),
                        text(m, "group"), text(m, "location"), cancelled ? "CANCELLED" : "",
                        text(m, "title")});
    }
    flush();
    return out;
}

}  // namespace specwatch::cli
