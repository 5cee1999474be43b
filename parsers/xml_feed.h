#pragma once
// RSS (0.9x, 1.0/RDF, 2.0) and Atom (0.3, 1.0) documents, read with pugixml.
#include "common/item.h"
#include "common/result.h"

#include <string_view>

namespace specwatch::parse {

// Which feed formats the caller accepts: anything (format = "auto"), or the
// one family its source forces.
enum class FeedFamily { any, rss, atom };

// Parses `utf8` (already decoded by decode_xml_document); relative links
// resolve against xml:base and then `base_url`.
[[nodiscard]] Result<Feed> parse_xml_feed(std::string_view utf8, std::string_view base_url,
                                          FeedFamily family);

}  // namespace specwatch::parse
