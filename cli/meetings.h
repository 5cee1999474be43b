#pragma once
// The human view of `specwatch meetings`: one aligned table per ISO week
// ("Week 49 · 30 Nov – 6 Dec 2026"), soonest first, in the local time zone.
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace specwatch::cli {

// `meetings` is the daemon's reply: an array of items with start, end,
// body, group, title, location and status ("cancelled" or "scheduled").
// Timed meetings are shown in the local zone; all-day ones as their days.
[[nodiscard]] std::string render_meetings(const nlohmann::json& meetings,
                                          std::size_t terminal_width);

// "30 Nov – 4 Dec", "9 – 13 Feb", "1 Dec 09:00–10:30", "28 Dec 2026 – 2 Jan 2027": the
// dates of one meeting, short, in the local zone.
[[nodiscard]] std::string meeting_dates(const std::string& start, const std::string& end);

}  // namespace specwatch::cli
