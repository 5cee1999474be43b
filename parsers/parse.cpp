#include "parsers/parse.h"

#include "common/text.h"
#include "parsers/encoding.h"
#include "parsers/xml_feed.h"

#include <array>

namespace specwatch::parse {

namespace {

// Formats the config accepts whose parsers are still to come.
constexpr std::array<std::string_view, 4> kPlanned{"ics", "html", "json", "xlsx"};

// With format = "auto", documents that are plainly not XML are named by
// their first bytes, so that the error says what the source serves.
std::string_view sniff_non_xml(std::string_view bytes) {
    if (bytes.starts_with("PK\x03\x04")) return "xlsx";  // a ZIP container
    if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
    const auto first = bytes.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return "";
    bytes.remove_prefix(first);
    if (bytes.starts_with("BEGIN:VCALENDAR")) return "ics";
    if (bytes.front() == '{' || bytes.front() == '[') return "json";
    return "";
}

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
    if (family == FeedFamily::any) {
        const std::string_view kind = sniff_non_xml(bytes);
        if (!kind.empty())
            return make_error("not a feed: the document looks like " +
                              std::string(kind == "ics"    ? "iCalendar"
                                          : kind == "json" ? "JSON"
                                                           : "XLSX") +
                              " (format '" + std::string(kind) + "' is not supported yet)");
    }
    const Utf8Document doc = decode_xml_document(bytes, options.content_type);
    return parse_xml_feed(doc.text, options.base_url, family);
}

}  // namespace specwatch::parse
