#include "parsers/parse.h"

#include "common/text.h"
#include "parsers/encoding.h"
#include "parsers/xml_feed.h"

#include <array>

namespace specwatch::parse {

namespace {

// Formats the config accepts whose parsers are still to come.
constexpr std::array<std::string_view, 4> kPlanned{"ics", "html", "json", "xlsx"};

}  // namespace

Result<Feed> parse(std::string_view bytes, const Options& options) {
    std::string format = to_lower_ascii(trim(options.format));
    if (format.empty()) format = "auto";
    for (const auto planned : kPlanned)
        if (format == planned) return make_error("format '" + format + "' is not supported yet");
    FeedFamily family = FeedFamily::any;
    if (format == "rss")
        family = FeedFamily::rss;
    else if (format == "atom")
        family = FeedFamily::atom;
    else if (format != "auto")
        return make_error("unknown format '" + format +
                          "' (expected auto, rss, atom, ics, html, json or xlsx)");
    const Utf8Document doc = decode_xml_document(bytes, options.content_type);
    return parse_xml_feed(doc.text, options.base_url, family);
}

}  // namespace specwatch::parse
