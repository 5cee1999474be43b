#pragma once
// Meetings are items with a start (common/item.h). What `meetings`, `export
// ics` and the store's change detection agree on: when one is cancelled, and
// how the DATE arguments of those commands read.
#include "common/clock.h"
#include "common/item.h"
#include "common/result.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace specwatch {

// The convention every parser follows: a cancelled meeting stays an item and
// carries the category "cancelled" (any case). The iCalendar parser adds it
// for STATUS:CANCELLED; HTML calendars map their status column to it.
[[nodiscard]] bool is_cancelled(const Item& item);

// The UTC day of a normalized item date ("2026-12-01" or
// "2026-12-01T09:00:00Z"); nullopt for anything else.
[[nodiscard]] std::optional<std::chrono::sys_days> item_day(std::string_view date);
[[nodiscard]] std::string format_day(std::chrono::sys_days day);  // "2026-12-01"

// A DATE argument of `meetings` and `export ics`, as a UTC day "YYYY-MM-DD":
// "2026-12-01", "today", or a duration from today, forward ("30d", "+2w") or
// back ("-7d").
[[nodiscard]] Result<std::string> parse_meeting_date(std::string_view text, SysTime now);

}  // namespace specwatch
