#pragma once
// iCalendar (RFC 5545) documents, read with libical: every VEVENT an item
// with start, end and location; recurring events expanded within a window.
#include "common/item.h"
#include "common/result.h"

#include <chrono>
#include <string_view>

namespace specwatch::parse {

// Recurring events give one item per occurrence between `now - past` and
// `now + future`; the window keeps an endless RRULE finite.
struct IcalWindow {
    std::chrono::sys_seconds now;
    std::chrono::seconds past{std::chrono::days{30}};
    std::chrono::seconds future{std::chrono::days{180}};
};

// Parses `utf8` (a VCALENDAR; CRLF or LF line ends, folded or not).
[[nodiscard]] Result<Feed> parse_icalendar(std::string_view utf8, const IcalWindow& window);

}  // namespace specwatch::parse
