#include "parsers/ical.h"

#include "common/text.h"
#include "parsers/encoding.h"
#include "parsers/text.h"

#include <libical/ical.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace specwatch::parse {

namespace {

// Real calendars nest three deep (VCALENDAR > VEVENT > VALARM); libical frees
// components recursively, so a hostile document must not nest deeper than this.
constexpr int kMaxNesting = 16;
// Occurrences one recurring event may yield, and iterations spent finding
// them: a FREQ=SECONDLY rule from 1970 must not take minutes.
constexpr std::size_t kMaxOccurrences = 1000;
constexpr std::size_t kMaxIterations = 200000;

struct ComponentDeleter {
    void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using Component = std::unique_ptr<icalcomponent, ComponentDeleter>;

struct RecurDeleter {
    void operator()(icalrecur_iterator* r) const { icalrecur_iterator_free(r); }
};
using RecurIterator = std::unique_ptr<icalrecur_iterator, RecurDeleter>;

std::string_view skip_bom_and_space(std::string_view s) {
    if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
    const auto first = s.find_first_not_of(" \t\r\n");
    return first == std::string_view::npos ? std::string_view{} : s.substr(first);
}

struct Shape {
    int deepest = 0;
    // Where the outermost component still open at the end begins, below
    // VCALENDAR: a cut-off document is read up to there.
    std::optional<std::size_t> cut;
    bool closed = true;
};

// The BEGIN:/END: nesting of a document, counted on line starts.
Shape shape_of(std::string_view s) {
    Shape shape;
    std::vector<std::size_t> open;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t eol = s.find('\n', i);
        if (eol == std::string_view::npos) eol = s.size();
        const std::string_view line = s.substr(i, eol - i);
        if (line.size() >= 6 && (line[0] == 'B' || line[0] == 'b') &&
            to_lower_ascii(line.substr(0, 6)) == "begin:") {
            open.push_back(i);
            shape.deepest = std::max(shape.deepest, static_cast<int>(open.size()));
            if (shape.deepest > kMaxNesting) return shape;
        } else if (line.size() >= 4 && (line[0] == 'E' || line[0] == 'e') &&
                   to_lower_ascii(line.substr(0, 4)) == "end:") {
            if (!open.empty()) open.pop_back();
        }
        i = eol + 1;
    }
    shape.closed = open.empty();
    if (open.size() >= 2) shape.cut = open[1];
    return shape;
}

// An all-day DTEND is exclusive; the item model's end is the last day.
constexpr std::time_t kDaySeconds = 24 * 60 * 60;

// A point in time as the item model writes it, with its UTC instant.
struct When {
    std::string text;  // "YYYY-MM-DDTHH:MM:SSZ", or "YYYY-MM-DD" all day; "" unknown
    std::time_t utc = 0;
    bool all_day = false;
};

std::string format_utc(std::time_t t, bool date_only) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, date_only ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// The compact form used in occurrence ids ("20270717T090000Z", "20270717").
std::string compact_utc(const When& w) {
    std::string s;
    for (char c : w.text)
        if (c != '-' && c != ':') s += c;
    return s;
}

// libical reads a physical line in 1 KiB chunks, scanning to the line's end
// for each: a line of n bytes costs n²/1024. Long lines are folded here
// (RFC 5545 3.1: CRLF + space, removed again when libical unfolds), which
// changes nothing in the values and keeps the cost linear.
constexpr std::size_t kFoldAt = 512;

std::string fold_long_lines(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 64);
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t eol = s.find('\n', i);
        if (eol == std::string_view::npos) eol = s.size();
        std::size_t pos = i;
        while (eol - pos > kFoldAt) {
            std::size_t cut = pos + kFoldAt;
            // Not inside a UTF-8 sequence.
            while (cut > pos + 1 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
            out.append(s.substr(pos, cut - pos));
            out += "\r\n ";
            pos = cut;
        }
        out.append(s.substr(pos, eol - pos));
        if (eol < s.size()) out += '\n';
        i = eol + 1;
    }
    return out;
}

class Calendar {
  public:
    explicit Calendar(icalcomponent* root) : root_(root) {}

    // The zone a TZID names: the system's tz database first (it knows the
    // real history of a zone; the IETF's VTIMEZONEs come from a 2003 vzic
    // fork), else the VTIMEZONE the document carries. Quotes, which libical
    // keeps in some positions, and a "/vendor/path/" prefix are dropped.
    icaltimezone* zone(std::string tzid) const {
        if (tzid.size() >= 2 && tzid.front() == '"' && tzid.back() == '"')
            tzid = tzid.substr(1, tzid.size() - 2);
        if (tzid.empty()) return nullptr;
        if (icaltimezone* z = icalcomponent_get_timezone(root_, tzid.c_str())) {
            if (icaltimezone* sys = builtin(tzid)) return sys;
            return z;
        }
        return builtin(tzid);
    }

    // DTSTART, DTEND, RECURRENCE-ID, EXDATE... as When. A DATE is all day
    // whatever TZID says (the datatracker writes VALUE=DATE;TZID=...); a
    // floating time or an unknown zone is taken as UTC, like dates in feeds.
    When when(icaltimetype t, icalproperty* p) const {
        When w;
        if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t)) return w;
        if (t.is_date) {
            t.hour = t.minute = t.second = 0;
            w.utc = icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone());
            w.all_day = true;
            w.text = format_utc(w.utc, true);
            return w;
        }
        icaltimezone* z = nullptr;
        if (!icaltime_is_utc(t) && p) {
            if (icalparameter* tz = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER))
                if (const char* id = icalparameter_get_tzid(tz)) z = zone(id);
        }
        if (!z) z = icaltimezone_get_utc_timezone();
        w.utc = icaltime_as_timet_with_zone(t, z);
        w.text = format_utc(w.utc, false);
        return w;
    }

    When property_time(icalcomponent* c, icalproperty_kind kind) const {
        icalproperty* p = icalcomponent_get_first_property(c, kind);
        if (!p) return {};
        return when(icalproperty_get_datetime_with_component(p, c), p);
    }

  private:
    static icaltimezone* builtin(std::string tzid) {
        if (tzid.front() == '/') {
            // "/freeassociation.sourceforge.net/Tzfile/Europe/Madrid": the
            // last two segments are the Olson name.
            auto slash = tzid.rfind('/');
            if (slash != std::string::npos && slash > 0) {
                auto prev = tzid.rfind('/', slash - 1);
                if (prev != std::string::npos) tzid = tzid.substr(prev + 1);
            }
        }
        return icaltimezone_get_builtin_timezone(tzid.c_str());
    }

    icalcomponent* root_;
};

std::string text_of(const char* s) {
    return s ? clean_text(s) : std::string{};
}

// "mailto:chair@example.org" with CN=Jane Doe → "Jane Doe".
std::string organizer(icalcomponent* ev) {
    icalproperty* p = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
    if (!p) return "";
    if (icalparameter* cn = icalproperty_get_first_parameter(p, ICAL_CN_PARAMETER))
        if (const char* name = icalparameter_get_cn(cn); name && *name) return text_of(name);
    std::string v = text_of(icalproperty_get_organizer(p));
    if (to_lower_ascii(std::string_view(v).substr(0, 7)) == "mailto:") v = v.substr(7);
    return v;
}

struct Event {
    icalcomponent* comp;
    std::string uid;
    When start;
    When end;
    std::optional<When> recurrence_id;
};

class Reader {
  public:
    Reader(const Calendar& cal, const IcalWindow& window)
        : cal_(cal),
          from_(std::chrono::system_clock::to_time_t(window.now - window.past)),
          to_(std::chrono::system_clock::to_time_t(window.now + window.future)) {}

    void read(icalcomponent* vcalendar, Feed& feed) {
        std::vector<Event> events;
        for (icalcomponent* c = icalcomponent_get_first_component(vcalendar, ICAL_VEVENT_COMPONENT);
             c; c = icalcomponent_get_next_component(vcalendar, ICAL_VEVENT_COMPONENT)) {
            Event e{c, text_of(icalcomponent_get_uid(c)),
                    cal_.property_time(c, ICAL_DTSTART_PROPERTY), end_of(c), std::nullopt};
            if (icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY))
                e.recurrence_id = cal_.property_time(c, ICAL_RECURRENCEID_PROPERTY);
            if (e.recurrence_id && !e.recurrence_id->text.empty())
                overridden_.insert({e.uid, e.recurrence_id->utc});
            events.push_back(std::move(e));
        }
        for (const Event& e : events) {
            if (e.recurrence_id && !e.recurrence_id->text.empty()) {
                // A moved or cancelled occurrence: shown when either its old
                // or its new time falls in the window.
                const bool in = in_window(e.recurrence_id->utc) || in_window(e.start.utc);
                if (in)
                    feed.items.push_back(item(e, e.start, e.end, compact_utc(*e.recurrence_id)));
                continue;
            }
            if (icalcomponent_get_first_property(e.comp, ICAL_RRULE_PROPERTY) ||
                icalcomponent_get_first_property(e.comp, ICAL_RDATE_PROPERTY)) {
                expand(e, feed);
                continue;
            }
            feed.items.push_back(item(e, e.start, e.end, ""));
        }
    }

  private:
    bool in_window(std::time_t t) const { return t >= from_ && t <= to_; }

    When end_of(icalcomponent* c) const {
        When end = cal_.property_time(c, ICAL_DTEND_PROPERTY);
        if (!end.text.empty()) return end;
        icalproperty* d = icalcomponent_get_first_property(c, ICAL_DURATION_PROPERTY);
        const When start = cal_.property_time(c, ICAL_DTSTART_PROPERTY);
        if (!d || start.text.empty()) return end;
        const icaldurationtype dur = icalproperty_get_duration(d);
        end.all_day = start.all_day;
        end.utc = start.utc + icaldurationtype_as_int(dur);
        end.text = format_utc(end.utc, end.all_day);
        return end;
    }

    When shifted(const When& w, std::time_t by) const {
        When r = w;
        r.utc += by;
        r.text = format_utc(r.utc, r.all_day);
        return r;
    }

    // One item per occurrence in the window: RRULE occurrences and RDATEs,
    // less EXDATEs and occurrences that a RECURRENCE-ID component replaces.
    void expand(const Event& e, Feed& feed) {
        if (e.start.text.empty()) return;
        icalproperty* start_prop = icalcomponent_get_first_property(e.comp, ICAL_DTSTART_PROPERTY);
        const icaltimetype dtstart = icalproperty_get_datetime_with_component(start_prop, e.comp);
        const std::time_t length = e.end.text.empty() ? 0 : e.end.utc - e.start.utc;

        std::set<std::time_t> excluded;
        for (icalproperty* p = icalcomponent_get_first_property(e.comp, ICAL_EXDATE_PROPERTY); p;
             p = icalcomponent_get_next_property(e.comp, ICAL_EXDATE_PROPERTY)) {
            const When w = cal_.when(icalproperty_get_datetime_with_component(p, e.comp), p);
            if (!w.text.empty()) excluded.insert(w.utc);
        }
        std::set<std::time_t> starts;
        std::map<std::time_t, When> whens;
        auto offer = [&](const When& w) {
            if (w.text.empty() || !in_window(w.utc) || excluded.contains(w.utc) ||
                overridden_.contains({e.uid, w.utc}) || whens.size() >= kMaxOccurrences)
                return;
            whens.emplace(w.utc, w);
        };
        for (icalproperty* p = icalcomponent_get_first_property(e.comp, ICAL_RRULE_PROPERTY); p;
             p = icalcomponent_get_next_property(e.comp, ICAL_RRULE_PROPERTY)) {
            const icalrecurrencetype rule = icalproperty_get_rrule(p);
            RecurIterator it{icalrecur_iterator_new(rule, dtstart)};
            if (!it) continue;
            std::size_t steps = 0;
            for (icaltimetype t = icalrecur_iterator_next(it.get());
                 !icaltime_is_null_time(t) && steps < kMaxIterations;
                 t = icalrecur_iterator_next(it.get()), ++steps) {
                // Occurrences keep DTSTART's zone: their wall-clock time is
                // constant across daylight saving changes.
                const When w = cal_.when(t, start_prop);
                if (w.text.empty() || w.utc > to_) break;
                offer(w);
            }
        }
        for (icalproperty* p = icalcomponent_get_first_property(e.comp, ICAL_RDATE_PROPERTY); p;
             p = icalcomponent_get_next_property(e.comp, ICAL_RDATE_PROPERTY)) {
            const icaldatetimeperiodtype rd = icalproperty_get_rdate(p);
            if (!icaltime_is_null_time(rd.time)) offer(cal_.when(rd.time, p));
        }
        for (const auto& [utc, w] : whens)
            feed.items.push_back(
                item(e, w, e.end.text.empty() ? When{} : shifted(w, length), compact_utc(w)));
    }

    Item item(const Event& e, const When& start, const When& end,
              const std::string& occurrence) const {
        icalcomponent* c = e.comp;
        Item it;
        it.title = text_of(icalcomponent_get_summary(c));
        it.summary = text_of(icalcomponent_get_description(c));
        it.location = text_of(icalcomponent_get_location(c));
        it.start = start.text;
        // The item model's end is the last day of an all-day meeting, as
        // calendar pages write it; an iCalendar DATE end is the day after
        // (RFC 5545 3.6.1). A DTEND on DTSTART (seen in the wild) is one day.
        it.end = end.all_day && !end.text.empty()
                     ? format_utc(std::max(end.utc - kDaySeconds, start.utc), true)
                     : end.text;
        if (icalproperty* p = icalcomponent_get_first_property(c, ICAL_URL_PROPERTY))
            it.link = text_of(icalproperty_get_url(p));
        it.author = organizer(c);
        for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_CATEGORIES_PROPERTY); p;
             p = icalcomponent_get_next_property(c, ICAL_CATEGORIES_PROPERTY)) {
            // libical keeps "a,b" as one value; RFC 5545 makes it a list.
            std::string all = text_of(icalproperty_get_categories(p));
            std::size_t i = 0;
            while (i <= all.size()) {
                auto comma = all.find(',', i);
                if (comma == std::string::npos) comma = all.size();
                std::string one = trim(std::string_view(all).substr(i, comma - i));
                if (!one.empty() && std::find(it.categories.begin(), it.categories.end(), one) ==
                                        it.categories.end())
                    it.categories.push_back(std::move(one));
                i = comma + 1;
            }
        }
        it.published = cal_.property_time(c, ICAL_CREATED_PROPERTY).text;
        it.updated = cal_.property_time(c, ICAL_LASTMODIFIED_PROPERTY).text;
        // A cancelled meeting stays an item (its cancellation is news) and
        // says so where every view shows it.
        if (icalcomponent_get_status(c) == ICAL_STATUS_CANCELLED) {
            it.title = "CANCELLED: " + it.title;
            it.categories.push_back("cancelled");
        }
        it.id = e.uid;
        if (it.id.empty()) it.id = "hash:" + hash_hex(it.title + '\x1f' + start.text);
        if (!occurrence.empty()) it.id += "/" + occurrence;
        return it;
    }

    const Calendar& cal_;
    std::time_t from_;
    std::time_t to_;
    std::set<std::pair<std::string, std::time_t>> overridden_;
};

}  // namespace

Result<Feed> parse_icalendar(std::string_view utf8, const IcalWindow& window) {
    const std::string_view body = skip_bom_and_space(utf8);
    if (body.empty()) return make_error("not a calendar: the document is empty");
    if (to_lower_ascii(body.substr(0, 15)) != "begin:vcalendar") {
        std::string shown = clean_text(body.substr(0, 40));
        if (body.size() > 40) shown += "...";
        return make_error("not an iCalendar document (it starts with \"" + shown +
                          "\", not BEGIN:VCALENDAR)");
    }
    const Shape shape = shape_of(body);
    if (shape.deepest > kMaxNesting)
        return make_error("iCalendar error: components nest more than " +
                          std::to_string(kMaxNesting) + " deep");
    // libical needs a NUL-terminated string, and reads LF-only lines and
    // folded lines alike. A cut-off document loses its unfinished component
    // and gets its END:VCALENDAR back: the items before the damage are read.
    std::string text = fold_long_lines(valid_utf8(shape.cut ? body.substr(0, *shape.cut) : body));
    if (!shape.closed) text += "\r\nEND:VCALENDAR\r\n";
    icalerror_set_errors_are_fatal(0);
    Component root{icalparser_parse_string(text.c_str())};
    if (!root) return make_error("iCalendar error: libical could not read the document");

    std::vector<icalcomponent*> calendars;
    if (icalcomponent_isa(root.get()) == ICAL_VCALENDAR_COMPONENT) {
        calendars.push_back(root.get());
    } else {
        for (icalcomponent* c =
                 icalcomponent_get_first_component(root.get(), ICAL_VCALENDAR_COMPONENT);
             c; c = icalcomponent_get_next_component(root.get(), ICAL_VCALENDAR_COMPONENT))
            calendars.push_back(c);
    }
    if (calendars.empty()) return make_error("iCalendar error: no VCALENDAR in the document");

    Feed feed;
    feed.format = "icalendar";
    for (icalcomponent* vcal : calendars) {
        if (feed.title.empty())
            if (icalproperty* p = icalcomponent_get_first_property(vcal, ICAL_X_PROPERTY); p) {
                for (; p; p = icalcomponent_get_next_property(vcal, ICAL_X_PROPERTY))
                    if (icalproperty_get_x_name(p) &&
                        std::string_view(icalproperty_get_x_name(p)) == "X-WR-CALNAME") {
                        feed.title = text_of(icalproperty_get_x(p));
                        break;
                    }
            }
        const Calendar cal{vcal};
        Reader reader{cal, window};
        reader.read(vcal, feed);
    }
    return feed;
}

}  // namespace specwatch::parse
