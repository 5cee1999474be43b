#include "parsers/parse.h"

#include "common/text.h"
#include "parsers/encoding.h"
#include "parsers/html_page.h"
#include "parsers/ical.h"
#include "parsers/json_feed.h"
#include "parsers/xlsx.h"
#include "parsers/xml_feed.h"

#include <algorithm>

namespace specwatch::parse {

namespace {

// What the first bytes say a document is, whatever the Content-Type claimed.
enum class Kind { xml, ics, json, xlsx, html, empty };

bool iequals_prefix(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && to_lower_ascii(s.substr(0, prefix.size())) == prefix;
}

Kind sniff(std::string_view bytes) {
    if (bytes.starts_with("PK\x03\x04")) return Kind::xlsx;  // a ZIP container
    if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
    const auto first = bytes.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return Kind::empty;
    bytes.remove_prefix(first);
    if (iequals_prefix(bytes, "begin:vcalendar")) return Kind::ics;
    if (bytes.front() == '{' || bytes.front() == '[') return Kind::json;
    // An HTML page: a doctype, or <html>/<head>/<body> before any other
    // element (comments and processing instructions skipped).
    std::size_t i = 0;
    for (int guard = 0; guard < 64 && i < bytes.size(); ++guard) {
        i = bytes.find('<', i);
        if (i == std::string_view::npos) break;
        const std::string_view rest = bytes.substr(i);
        if (iequals_prefix(rest, "<!doctype html")) return Kind::html;
        if (rest.starts_with("<!--")) {
            const auto end = bytes.find("-->", i);
            if (end == std::string_view::npos) break;
            i = end + 3;
            continue;
        }
        if (rest.starts_with("<?") || rest.starts_with("<!")) {
            const auto end = bytes.find('>', i);
            if (end == std::string_view::npos) break;
            i = end + 1;
            continue;
        }
        if (iequals_prefix(rest, "<html") || iequals_prefix(rest, "<head") ||
            iequals_prefix(rest, "<body"))
            return Kind::html;
        break;
    }
    return Kind::xml;
}

// An HTML page's charset when the HTTP header gave none: <meta charset> or
// <meta http-equiv content="...; charset=...">, within the first 2 KiB as
// the HTML5 prescan reads it.
std::string page_content_type(std::string_view bytes, std::string_view content_type) {
    if (to_lower_ascii(content_type).find("charset=") != std::string::npos)
        return std::string(content_type);
    const std::string head = to_lower_ascii(bytes.substr(0, 2048));
    for (auto m = head.find("<meta"); m != std::string::npos; m = head.find("<meta", m + 5)) {
        const auto end = head.find('>', m);
        const std::string_view tag = std::string_view(head).substr(
            m, end == std::string::npos ? std::string::npos : end - m);
        const auto cs = tag.find("charset=");
        if (cs == std::string_view::npos) continue;
        std::size_t i = cs + 8;
        while (i < tag.size() && (tag[i] == '"' || tag[i] == '\'' || tag[i] == ' ')) ++i;
        std::size_t j = i;
        while (j < tag.size() && tag[j] != '"' && tag[j] != '\'' && tag[j] != ' ' &&
               tag[j] != ';' && tag[j] != '/')
            ++j;
        if (j > i) return "text/html; charset=" + std::string(tag.substr(i, j - i));
    }
    return std::string(content_type);
}

Result<Feed> parse_page(std::string_view bytes, const Options& options) {
    if (!options.source || options.source->html.item.empty())
        return make_error(
            "format 'html' needs rules: 'item' and 'title' XPath expressions in [source.html] "
            "(specwatch parse --config C --source S)");
    const Utf8Document doc =
        decode_xml_document(bytes, page_content_type(bytes, options.content_type));
    return parse_html_page(doc.utf8(), options.base_url, options.source->html);
}

Result<Feed> parse_calendar(std::string_view bytes, const Options& options) {
    const Utf8Document doc = decode_xml_document(bytes, options.content_type);
    IcalWindow window;
    window.now =
        options.now
            ? *options.now
            : std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    return parse_icalendar(doc.utf8(), window);
}

Result<Feed> parse_json_document(std::string_view bytes, const Options& options) {
    const Utf8Document doc = decode_xml_document(bytes, options.content_type);
    return parse_json(doc.utf8(), options.base_url,
                      options.source ? &options.source->json : nullptr);
}

Result<Feed> parse_workbook(std::string_view bytes, const Options& options) {
    return parse_xlsx(bytes, options.source ? &options.source->xlsx : nullptr);
}

// Every format's organizations, split ("Huawei, HiSilicon") and normalized
// with the alias table in effect (CONTRACT.md: "normalized").
Result<Feed> normalized(Result<Feed> feed, const Options& options) {
    if (!feed) return feed;
    const OrgTable* table = options.organizations;
    if (!table && options.source && options.source->organizations)
        table = options.source->organizations.get();
    if (!table) table = &OrgTable::builtin();
    for (auto& item : feed->items) {
        if (item.organizations.empty()) continue;
        std::vector<std::string> out;
        for (const auto& cell : item.organizations)
            for (auto& name : table->split(cell))
                if (std::find(out.begin(), out.end(), name) == out.end())
                    out.push_back(std::move(name));
        item.organizations = std::move(out);
    }
    return feed;
}

Result<Feed> parse_any(std::string_view bytes, const Options& options);

}  // namespace

Result<Feed> parse(std::string_view bytes, const Options& options) {
    return normalized(parse_any(bytes, options), options);
}

namespace {

Result<Feed> parse_any(std::string_view bytes, const Options& options) {
    std::string format = to_lower_ascii(trim(options.format));
    if (format.empty()) format = "auto";
    if (format == "ics") return parse_calendar(bytes, options);
    if (format == "html") return parse_page(bytes, options);
    if (format == "json") return parse_json_document(bytes, options);
    if (format == "xlsx") return parse_workbook(bytes, options);
    FeedFamily family = FeedFamily::any;
    if (format == "rss")
        family = FeedFamily::rss;
    else if (format == "atom")
        family = FeedFamily::atom;
    else if (format != "auto")
        return make_error("unknown format '" + format +
                          "' (expected auto, rss, atom, ics, html, json or xlsx)");
    if (family == FeedFamily::any) {
        switch (sniff(bytes)) {
            case Kind::ics:
                return parse_calendar(bytes, options);
            case Kind::json:
                return parse_json_document(bytes, options);
            case Kind::xlsx:
                return parse_workbook(bytes, options);
            case Kind::html:
                // A page is read only with rules; without, it is most often a
                // server's error page where a feed was expected, and the XML
                // reader says so.
                if (options.source && !options.source->html.item.empty())
                    return parse_page(bytes, options);
                break;
            default:
                break;
        }
    }
    const Utf8Document doc = decode_xml_document(bytes, options.content_type);
    return parse_xml_feed(doc.utf8(), options.base_url, family);
}

}  // namespace

}  // namespace specwatch::parse
