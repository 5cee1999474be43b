#pragma once
// `specwatch export ics`: the stored meetings as one RFC 5545 calendar, written
// with libical (never by hand), which a calendar program can subscribe to.
#include "common/item.h"

#include <cstdint>
#include <string>
#include <vector>

namespace specwatch::calendar {

struct Meeting {
    std::string source, body, group;
    Item item;
    std::int64_t last_changed = 0;  // unix seconds: DTSTAMP (the item's last change)
};

// "<16 hex digits>@specwatch": from the source name and the item's id only, so
// the same meeting has the same UID in every export, across restarts, and
// after its title, dates or place change (a calendar updates it in place).
[[nodiscard]] std::string uid(const std::string& source, const std::string& item_id);

// Whether a meeting becomes a VEVENT: its start is a readable date or UTC
// date-time (a page's free text such as "next Tuesday" is not).
[[nodiscard]] bool exportable(const Item& item);

// A VCALENDAR (PRODID, VERSION, CALSCALE, METHOD:PUBLISH) with one VEVENT per
// exportable meeting; others are skipped. CRLF line ends,
// lines folded at 75 octets. Timed meetings are UTC DATE-TIMEs; all-day ones
// VALUE=DATE with an exclusive DTEND (the day after the last day).
[[nodiscard]] std::string to_ics(const std::vector<Meeting>& meetings);

}  // namespace specwatch::calendar
