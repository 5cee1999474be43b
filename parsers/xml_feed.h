#pragma once
// RSS (0.9x, 1.0/RDF, 2.0) and Atom (0.3, 1.0) documents, read with pugixml.
#include "common/item.h"
#include "common/result.h"

#include <optional>
#include <string_view>

namespace specwatch::parse {

// Which feed formats the caller accepts: anything (format = "auto"), or the
// one family its source forces.
enum class FeedFamily { any, rss, atom };

// Parses `utf8` (already decoded by decode_xml_document); relative links
// resolve against xml:base and then `base_url`.
[[nodiscard]] Result<Feed> parse_xml_feed(std::string_view utf8, std::string_view base_url,
                                          FeedFamily family);

// The two readers parse_xml_feed chooses between, exposed for the tests and
// the fuzz target that prove them equal. The DOM path reads any XML with
// pugixml; the views path (parsers/xml_views.h) reads the plain XML most
// feeds are written in straight from the bytes, and returns nullopt for
// anything else. Whenever it returns a result, it is the DOM path's.
[[nodiscard]] Result<Feed> parse_xml_feed_dom(std::string_view utf8, std::string_view base_url,
                                              FeedFamily family);
[[nodiscard]] std::optional<Result<Feed>> parse_xml_feed_views(std::string_view utf8,
                                                               std::string_view base_url,
                                                               FeedFamily family);

}  // namespace specwatch::parse
