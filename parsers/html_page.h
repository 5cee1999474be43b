#pragma once
// Web pages (meeting tables, event calendars) read through a source's
// [source.html] rules: the page is parsed as HTML5 by gumbo, copied into a
// pugixml document, and the rules are XPath 1.0 expressions over it.
#include "common/item.h"
#include "common/result.h"
#include "config/config.h"

#include <optional>
#include <string>
#include <string_view>

namespace specwatch::parse {

// Parses `utf8` with `rules`; relative links resolve against `base_url`.
[[nodiscard]] Result<Feed> parse_html_page(std::string_view utf8, std::string_view base_url,
                                           const config::HtmlRules& rules);

// The days a page writes for an event: "2027-03-12", "12 March 2027",
// "12-16 March 2027", "28 Feb - 3 Mar 2027", "March 12-16, 2027", with
// non-breaking hyphens and spaces. Start and end as "YYYY-MM-DD" (end empty
// for a single day); nothing when the text holds no complete date.
struct DayRange {
    std::string start;
    std::string end;
};
[[nodiscard]] std::optional<DayRange> parse_day_range(std::string_view text);

// A link as pages write it, repaired: backslashes become slashes and doubled
// separators in the path one ("/../..\\ftp\\tsg_ran\\\\WG1/" is
// "/../../ftp/tsg_ran/WG1/"), then resolved against `base_url`.
[[nodiscard]] std::string page_link(std::string_view base_url, std::string_view href);

}  // namespace specwatch::parse
