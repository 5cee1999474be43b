// libical as specwatchd's calendar parser uses it (parsers/ical.cpp): parse a
// VCALENDAR, find its VEVENT and expand its RRULE; libical brings ICU.
#include <libical/ical.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "bench/floor/floor.h"

namespace floor_bench {
namespace {

void start_ical(const Args& /*args*/, Keep& /*keep*/) {
    static const char kCalendar[] =
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "PRODID:-//specwatch//floor//EN\r\n"
        "BEGIN:VEVENT\r\n"
        "UID:floor-1@specwatch\r\n"
        "DTSTAMP:20261101T090000Z\r\n"
        "DTSTART;TZID=Europe/Paris:20261201T093000\r\n"
        "DTEND;TZID=Europe/Paris:20261201T110000\r\n"
        "SUMMARY:ITU-R WP 5D interim meeting\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=8;BYDAY=TU,TH\r\n"
        "END:VEVENT\r\n"
        "END:VCALENDAR\r\n";
    std::unique_ptr<icalcomponent, decltype(&icalcomponent_free)> root(
        icalparser_parse_string(kCalendar), icalcomponent_free);
    if (!root)
        throw std::runtime_error(std::string("icalparser: ") + icalerror_strerror(icalerrno));
    icalcomponent* event = icalcomponent_get_first_component(root.get(), ICAL_VEVENT_COMPONENT);
    if (!event) throw std::runtime_error("no VEVENT in the calendar");
    icalproperty* start = icalcomponent_get_first_property(event, ICAL_DTSTART_PROPERTY);
    icalproperty* rule = icalcomponent_get_first_property(event, ICAL_RRULE_PROPERTY);
    if (!start || !rule) throw std::runtime_error("no DTSTART or RRULE in the VEVENT");
    const icaltimetype dtstart = icalproperty_get_datetime_with_component(start, event);
    icaltimezone* paris = icaltimezone_get_builtin_timezone("Europe/Paris");
    std::unique_ptr<icalrecur_iterator, decltype(&icalrecur_iterator_free)> it(
        icalrecur_iterator_new(icalproperty_get_rrule(rule), dtstart), icalrecur_iterator_free);
    if (!it) throw std::runtime_error("icalrecur_iterator_new failed");
    int count = 0;
    for (icaltimetype t = icalrecur_iterator_next(it.get()); !icaltime_is_null_time(t);
         t = icalrecur_iterator_next(it.get())) {
        if (icaltime_as_timet_with_zone(t, paris ? paris : icaltimezone_get_utc_timezone()) <= 0)
            throw std::runtime_error("an occurrence before 1970");
        ++count;
    }
    if (count != 8) throw std::runtime_error("the RRULE gave " + std::to_string(count) + " dates");
}

}  // namespace

const Part kPart{3, &start_ical};

}  // namespace floor_bench
