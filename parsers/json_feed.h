#pragma once
// JSON documents: JSON Feed 1.0/1.1 natively, anything else through a
// source's [source.json] mapping (an item path and field paths).
#include "common/item.h"
#include "common/result.h"
#include "config/config.h"

#include <string_view>

namespace specwatch::parse {

// Parses `utf8`. With `rules` that name `items`, the mapping applies; else
// the document must be a JSON Feed. Relative links (and the paging URL in
// Feed::next) resolve against `base_url`.
[[nodiscard]] Result<Feed> parse_json(std::string_view utf8, std::string_view base_url,
                                      const config::JsonRules* rules);

}  // namespace specwatch::parse
