#include "calendar/ics.h"

#include "common/clock.h"
#include "common/meeting.h"
#include "common/text.h"
#include "common/version.h"

#include <libical/ical.h>

#include <chrono>
#include <memory>
#include <optional>

#include <fmt/format.h>

namespace specwatch::calendar {

namespace {

// One owner per libical handle (STYLE.md point 1). A component owns the
// properties and subcomponents added to it.
struct ComponentFree {
    void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using Component = std::unique_ptr<icalcomponent, ComponentFree>;

struct BufferFree {
    void operator()(char* s) const { icalmemory_free_buffer(s); }
};

// Feed text is untrusted. libical escapes TEXT values (newlines become "\n",
// commas and semicolons are backslashed), so a title cannot start a property
// of its own; control characters and escape sequences go anyway, and one-line
// fields lose their line breaks.
std::string one_line(const std::string& s) {
    return sanitize_line(s);
}

// A URI value is written as it is (RFC 5545 3.3.13): nothing that could end
// the line or the value may pass. Links are absolute URLs already; anything
// with spaces or controls is dropped rather than repaired.
std::optional<std::string> clean_uri(const std::string& s) {
    if (s.empty()) return std::nullopt;
    for (const unsigned char c : s)
        if (c <= 0x20 || c == 0x7f || c == '"') return std::nullopt;
    return s;
}

icaltimetype utc_time(std::int64_t unix_seconds) {
    return icaltime_from_timet_with_zone(static_cast<time_t>(unix_seconds), 0,
                                         icaltimezone_get_utc_timezone());
}

icaltimetype date_value(std::chrono::sys_days day) {
    const std::chrono::year_month_day ymd{day};
    icaltimetype t = icaltime_null_date();
    t.year = static_cast<int>(ymd.year());
    t.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    t.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    t.is_date = 1;
    return t;
}

std::optional<std::int64_t> instant(const std::string& iso) {
    if (iso.size() <= 10) return std::nullopt;
    auto t = parse_iso(iso);
    if (!t) return std::nullopt;
    return to_unix(*t);
}

void add(icalcomponent* c, icalproperty* p) {
    if (p) icalcomponent_add_property(c, p);
}

// DTSTART and DTEND, of the same value type (RFC 5545 3.6.1). False when the
// start cannot be read: such an item is no calendar event.
bool add_times(icalcomponent* ev, const Item& item) {
    using std::chrono::days;
    if (item.start.size() == 10) {
        const auto first = item_day(item.start);
        if (!first) return false;
        auto last = item_day(item.end).value_or(*first);
        if (last < *first) last = *first;
        add(ev, icalproperty_new_dtstart(date_value(*first)));
        add(ev, icalproperty_new_dtend(date_value(last + days{1})));  // exclusive
        return true;
    }
    const auto start = instant(item.start);
    if (!start) return false;
    add(ev, icalproperty_new_dtstart(utc_time(*start)));
    std::optional<std::int64_t> end = instant(item.end);
    if (!end && item.end.size() == 10)
        if (const auto last = item_day(item.end))  // a timed start with a last day
            end = std::chrono::duration_cast<std::chrono::seconds>(
                      (*last + days{1}).time_since_epoch())
                      .count();
    if (end && *end > *start) add(ev, icalproperty_new_dtend(utc_time(*end)));
    return true;
}

std::string description(const Meeting& m) {
    std::string where = m.body;
    if (!m.group.empty() && m.group != m.body) where += where.empty() ? m.group : ", " + m.group;
    std::string text = sanitize_text(m.item.summary);
    if (!text.empty()) text += "\n\n";
    text += fmt::format("Source: {}", one_line(m.source));
    if (!where.empty()) text += fmt::format(" ({})", one_line(where));
    if (const auto link = clean_uri(m.item.link)) text += "\n" + *link;
    return text;
}

Component event(const Meeting& m) {
    Component ev{icalcomponent_new_vevent()};
    const Item& item = m.item;
    if (!add_times(ev.get(), item)) return nullptr;
    add(ev.get(), icalproperty_new_uid(uid(m.source, item.id).c_str()));
    add(ev.get(), icalproperty_new_dtstamp(utc_time(m.last_changed)));
    add(ev.get(), icalproperty_new_lastmodified(utc_time(m.last_changed)));
    add(ev.get(), icalproperty_new_summary(one_line(item.title).c_str()));
    if (!item.location.empty())
        add(ev.get(), icalproperty_new_location(one_line(item.location).c_str()));
    if (const auto link = clean_uri(item.link)) add(ev.get(), icalproperty_new_url(link->c_str()));
    add(ev.get(), icalproperty_new_description(description(m).c_str()));
    for (const auto& c : item.categories)
        if (const std::string v = one_line(c); !v.empty() && to_lower_ascii(v) != "cancelled")
            add(ev.get(), icalproperty_new_categories(v.c_str()));
    if (!m.body.empty()) add(ev.get(), icalproperty_new_categories(one_line(m.body).c_str()));
    // A scheduled meeting has no STATUS: a feed does not say it is confirmed.
    if (is_cancelled(item)) add(ev.get(), icalproperty_new_status(ICAL_STATUS_CANCELLED));
    add(ev.get(), icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
    return ev;
}

}  // namespace

bool exportable(const Item& item) {
    return item.start.size() == 10 ? item_day(item.start).has_value()
                                   : instant(item.start).has_value();
}

std::string uid(const std::string& source, const std::string& item_id) {
    return hash_hex(source + '\x1f' + item_id) + "@specwatch";
}

std::string to_ics(const std::vector<Meeting>& meetings) {
    Component cal{icalcomponent_new_vcalendar()};
    add(cal.get(),
        icalproperty_new_prodid(fmt::format("-//specwatch//specwatch {}//EN", kVersion).c_str()));
    add(cal.get(), icalproperty_new_version("2.0"));
    add(cal.get(), icalproperty_new_calscale("GREGORIAN"));
    add(cal.get(), icalproperty_new_method(ICAL_METHOD_PUBLISH));
    // The name calendar programs show for a subscription (a common extension).
    icalproperty* name = icalproperty_new_x("specwatch meetings");
    icalproperty_set_x_name(name, "X-WR-CALNAME");
    add(cal.get(), name);
    for (const auto& m : meetings)
        if (Component ev = event(m)) icalcomponent_add_component(cal.get(), ev.release());
    std::unique_ptr<char, BufferFree> text{icalcomponent_as_ical_string_r(cal.get())};
    return text ? std::string{text.get()} : std::string{};
}

}  // namespace specwatch::calendar
