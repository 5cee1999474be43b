#pragma once
// Dates as feeds write them, normalized to the item model's UTC form.
#include <string>
#include <string_view>

namespace specwatch::parse {

// Reads an RFC 822/1123/2822 date (with or without weekday, seconds, a
// 2-digit year, a numeric offset or a named US/European zone, also the RFC 850
// and asctime variants) or an ISO 8601/RFC 3339 date-time (with or without
// seconds, fractions, an offset; basic or extended form; a date alone) and
// returns it in UTC as "YYYY-MM-DDTHH:MM:SSZ". A date without a zone is taken
// as UTC (the common practice of feed readers); a date alone is midnight UTC.
// Anything else, including impossible dates ("31 Feb"), unknown zone names and
// ambiguous forms ("01/02/2003"), gives "": never a guess.
[[nodiscard]] std::string normalize_date(std::string_view text);

}  // namespace specwatch::parse
