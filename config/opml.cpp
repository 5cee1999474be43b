#include "config/opml.h"

#include "common/text.h"
#include "common/units.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <pugixml.hpp>

namespace specwatch::config {

namespace {

// The prefix written for kOpmlNamespace; on import the document's own
// declaration of the namespace decides.
constexpr std::string_view kPrefix = "specwatch";
// Names end up in log lines and CLI arguments; a title of a paragraph is cut.
constexpr std::size_t kMaxName = 64;
// Body and group names are short labels ("ITU-T SG17").
constexpr std::size_t kMaxLabel = 120;
constexpr std::string_view kFormats[] = {"auto", "rss", "atom", "ics", "html", "json", "xlsx"};

// Writes the document into a string (pugixml writes through a writer).
struct StringWriter final : pugi::xml_writer {
    std::string out;
    void write(const void* data, std::size_t size) override {
        out.append(static_cast<const char*>(data), size);
    }
};

std::string rfc822(SysTime t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday], tm.tm_mday,
                       kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void set_ours(pugi::xml_node n, std::string_view key, const std::string& value) {
    if (value.empty()) return;
    n.append_attribute(fmt::format("{}:{}", kPrefix, key).c_str()).set_value(value.c_str());
}

}  // namespace

std::string sources_to_opml(const std::vector<Source>& sources, SysTime now) {
    pugi::xml_document doc;
    auto decl = doc.append_child(pugi::node_declaration);
    decl.append_attribute("version").set_value("1.0");
    decl.append_attribute("encoding").set_value("UTF-8");
    auto opml = doc.append_child("opml");
    opml.append_attribute("version").set_value("2.0");
    opml.append_attribute(fmt::format("xmlns:{}", kPrefix).c_str())
        .set_value(std::string(kOpmlNamespace).c_str());
    auto head = opml.append_child("head");
    head.append_child("title").text().set("specwatch sources");
    head.append_child("dateCreated").text().set(rfc822(now).c_str());
    auto body = opml.append_child("body");

    // One folder per body, in the order the config first names it.
    std::vector<std::pair<std::string, pugi::xml_node>> folders;
    for (const auto& s : sources) {
        auto it = std::find_if(folders.begin(), folders.end(),
                               [&](const auto& f) { return f.first == s.body; });
        if (it == folders.end()) {
            auto folder = body.append_child("outline");
            folder.append_attribute("text").set_value(s.body.c_str());
            folder.append_attribute("title").set_value(s.body.c_str());
            folders.emplace_back(s.body, folder);
            it = folders.end() - 1;
        }
        auto o = it->second.append_child("outline");
        o.append_attribute("type").set_value("rss");
        o.append_attribute("text").set_value(s.name.c_str());
        o.append_attribute("title").set_value(s.name.c_str());
        o.append_attribute("xmlUrl").set_value(s.url.c_str());
        // OPML 2.0: slash-delimited category paths.
        const std::string category =
            "/" + s.body + (s.group.empty() ? std::string{} : "/" + s.group);
        o.append_attribute("category").set_value(category.c_str());
        set_ours(o, "name", s.name);
        set_ours(o, "body", s.body);
        set_ours(o, "group", s.group);
        set_ours(o, "format", s.format == "auto" ? std::string{} : s.format);
        set_ours(o, "interval", format_duration(s.interval));
        if (!s.enabled) set_ours(o, "enabled", "false");
        std::string tags;
        for (const auto& t : s.tags) tags += (tags.empty() ? "" : ",") + t;
        set_ours(o, "tags", tags);
        const std::pair<std::string_view, const std::string*> html[] = {
            {"item", &s.html.item},   {"title", &s.html.title}, {"link", &s.html.link},
            {"date", &s.html.date},   {"id", &s.html.id},       {"summary", &s.html.summary},
            {"start", &s.html.start}, {"end", &s.html.end},     {"location", &s.html.location}};
        for (const auto& [k, v] : html) set_ours(o, fmt::format("html.{}", k), *v);
        set_ours(o, "json.items", s.json.items);
        set_ours(o, "json.next", s.json.next);
        for (const auto& [k, v] : s.json.fields) set_ours(o, "json." + k, v);
        for (const auto& [k, v] : s.xlsx.fields) set_ours(o, "xlsx." + k, v);
    }
    StringWriter w;
    doc.save(w, "  ", pugi::format_default, pugi::encoding_utf8);
    return w.out;
}

namespace {

std::string attr(pugi::xml_node n, const char* name) {
    return n.attribute(name).as_string();
}

// An attribute whatever the case of its name: readers write xmlUrl, xmlurl
// and XMLURL alike.
std::string attr_icase(pugi::xml_node n, std::string_view name) {
    for (auto a : n.attributes())
        if (to_lower_ascii(a.name()) == name) return a.value();
    return {};
}

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

// "https://www.w3.org/news/feed/" → "w3.org"; "" when there is no host.
std::string host_of(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    rest = rest.substr(0, rest.find(':'));
    std::string host = to_lower_ascii(rest);
    if (host.starts_with("www.")) host.erase(0, 4);
    return host;
}

// Why a feed URL is not imported, or "" when it is fine: http(s) with a host,
// no spaces or control characters. file:// and other schemes are left out: a
// feed list from elsewhere must not point the daemon at local files.
std::string url_problem(std::string_view url) {
    if (std::any_of(url.begin(), url.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == '\x7f'; }))
        return "its URL contains spaces or control characters";
    const std::string lower = to_lower_ascii(url.substr(0, 8));
    if (!lower.starts_with("http://") && !lower.starts_with("https://"))
        return "its URL is not http(s)";
    if (host_of(url).empty()) return "its URL has no host";
    return {};
}

// A label from feed text: one line, trimmed, cut at kMaxLabel bytes on a
// character boundary.
std::string label(std::string_view text) {
    std::string s = trim(sanitize_line(text));
    if (s.size() > kMaxLabel) {
        std::size_t cut = kMaxLabel;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
        s.resize(cut);
        s = trim(s);
    }
    return s;
}

// A valid source name from any text: lower case, runs of other characters as
// one '-', at most kMaxName characters.
std::string make_name(std::string_view text) {
    std::string out;
    for (char c : to_lower_ascii(text)) {
        if (name_char(c))
            out += c;
        else if (!out.empty() && out.back() != '-')
            out += '-';
        if (out.size() >= kMaxName) break;
    }
    while (!out.empty() && (out.back() == '-' || out.back() == '.')) out.pop_back();
    while (!out.empty() && (out.front() == '-' || out.front() == '.')) out.erase(0, 1);
    return out;
}

bool valid_name(std::string_view s) {
    return !s.empty() && s.size() <= kMaxName && std::all_of(s.begin(), s.end(), name_char);
}

int line_at(std::string_view doc, std::ptrdiff_t offset) {
    const auto end = static_cast<std::size_t>(
        std::clamp<std::ptrdiff_t>(offset, 0, static_cast<std::ptrdiff_t>(doc.size())));
    return 1 +
           static_cast<int>(std::count(doc.begin(), doc.begin() + static_cast<long>(end), '\n'));
}

// An outline still to visit, with the texts of its enclosing folders: the
// outermost and, when deeper, the innermost.
struct Folder {
    pugi::xml_node node;
    std::vector<std::string> path;
};

}  // namespace

Result<OpmlImport> opml_to_toml(std::string_view document, const std::string& file,
                                const std::string& default_body) {
    if (document.size() > kMaxOpmlBytes)
        return make_error(fmt::format("{}: larger than {} MiB; not a feed list", file,
                                      kMaxOpmlBytes / (1024 * 1024)));
    pugi::xml_document doc;
    // Default options: entities beyond the five predefined ones and any DTD
    // are not expanded, so a hostile document cannot grow in memory.
    const auto parsed =
        doc.load_buffer(document.data(), document.size(), pugi::parse_default, pugi::encoding_auto);
    if (!parsed)
        return make_error(fmt::format("{}:{}: not well-formed XML: {}", file,
                                      line_at(document, parsed.offset), parsed.description()));
    const auto root = doc.document_element();
    if (std::string_view(root.name()) != "opml")
        return make_error(
            fmt::format("{}: not an OPML document (the root element is <{}>, not "
                        "<opml>)",
                        file, sanitize_line(root.name())));
    const auto body = root.child("body");
    if (!body) return make_error(fmt::format("{}: the OPML document has no <body>", file));

    // The prefix the document gives specwatch's namespace, if any.
    std::string ours;
    for (auto a : root.attributes()) {
        const std::string_view n = a.name();
        if (n.starts_with("xmlns:") && kOpmlNamespace == a.value())
            ours = std::string(n.substr(6)) + ":";
    }
    const auto our = [&](pugi::xml_node n, std::string_view key) -> std::string {
        if (ours.empty()) return {};
        return attr(n, (ours + std::string(key)).c_str());
    };

    OpmlImport out;
    toml::array sources;
    std::set<std::string> names;
    // Depth-first, in document order, without recursion: nesting depth is the
    // document's to choose.
    std::vector<Folder> stack;
    const auto push_children = [&](pugi::xml_node parent, const std::vector<std::string>& path) {
        std::vector<pugi::xml_node> children;
        for (auto o : parent.children("outline")) children.push_back(o);
        for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back({*it, path});
    };
    push_children(body, {});
    std::vector<std::pair<pugi::xml_node, std::vector<std::string>>> feeds;
    while (!stack.empty()) {
        Folder f = std::move(stack.back());
        stack.pop_back();
        const auto o = f.node;
        if (!attr_icase(o, "xmlurl").empty() || !attr_icase(o, "url").empty()) {
            feeds.emplace_back(o, std::move(f.path));
            if (feeds.size() > kMaxOpmlFeeds)
                return make_error(
                    fmt::format("{}: more than {} feeds; not a feed list", file, kMaxOpmlFeeds));
            continue;
        }
        if (!o.first_child()) continue;
        std::string text = label(attr(o, "text"));
        if (text.empty()) text = label(attr(o, "title"));
        // Only the outermost (the body) and the innermost (the group) are
        // used: keeping two bounds the copies however deep it nests.
        if (!text.empty()) {
            if (f.path.size() < 2)
                f.path.push_back(std::move(text));
            else
                f.path.back() = std::move(text);
        }
        push_children(o, f.path);
    }

    for (const auto& [o, path] : feeds) {
        std::string url = attr_icase(o, "xmlurl");
        if (url.empty()) url = attr_icase(o, "url");
        url = trim(url);
        std::string title = label(attr(o, "text"));
        if (title.empty()) title = label(attr(o, "title"));
        const std::string shown = title.empty() ? sanitize_line(url) : title;
        if (const auto why = url_problem(url); !why.empty()) {
            out.warnings.push_back(fmt::format("{}: outline '{}' skipped: {}", file, shown, why));
            continue;
        }
        const std::string host = host_of(url);

        std::string name = our(o, "name");
        if (!valid_name(name)) name = make_name(title);
        if (name.empty()) name = make_name(host);
        if (name.empty()) name = "feed";
        // A name taken ("News" in two folders): the host tells them apart,
        // else a number.
        if (names.contains(name)) name = make_name(name + "-" + host);
        if (names.contains(name)) {
            const std::string stem = name.substr(0, kMaxName - 6);
            for (int i = 2;; ++i)
                if (name = fmt::format("{}-{}", stem, i); !names.contains(name)) break;
        }
        names.insert(name);

        std::string body_name = label(our(o, "body"));
        if (body_name.empty() && !path.empty()) body_name = path.front();
        if (body_name.empty()) body_name = label(default_body);
        if (body_name.empty()) body_name = host;
        std::string group = label(our(o, "group"));
        if (group.empty() && path.size() > 1) group = path.back();

        toml::table t;
        t.insert("name", name);
        t.insert("body", body_name);
        if (!group.empty()) t.insert("group", group);
        t.insert("url", url);
        const std::string format = to_lower_ascii(our(o, "format"));
        if (!format.empty() && format != "auto") {
            if (std::find(std::begin(kFormats), std::end(kFormats), format) != std::end(kFormats))
                t.insert("format", format);
            else
                out.warnings.push_back(fmt::format("{}: outline '{}': unknown format '{}' left out",
                                                   file, shown, sanitize_line(format)));
        }
        if (const std::string iv = our(o, "interval"); !iv.empty()) {
            if (parse_duration(iv))
                t.insert("interval", iv);
            else
                out.warnings.push_back(fmt::format("{}: outline '{}': interval '{}' left out", file,
                                                   shown, sanitize_line(iv)));
        }
        if (our(o, "enabled") == "false") t.insert("enabled", false);
        if (const std::string tags = our(o, "tags"); !tags.empty()) {
            toml::array arr;
            std::istringstream in(tags);
            for (std::string tag; std::getline(in, tag, ',');)
                if (auto clean = label(tag); !clean.empty()) arr.push_back(clean);
            if (!arr.empty()) t.insert("tags", std::move(arr));
        }
        // The [source.html|json|xlsx] rules specwatch's export carries.
        std::map<std::string, toml::table> rules;
        if (!ours.empty())
            for (auto a : o.attributes()) {
                const std::string_view n = a.name();
                if (!n.starts_with(ours)) continue;
                const std::string_view key = n.substr(ours.size());
                for (std::string_view sub : {"html", "json", "xlsx"}) {
                    const std::string prefix = std::string(sub) + ".";
                    if (!key.starts_with(prefix) || key.size() == prefix.size()) continue;
                    const std::string field(key.substr(prefix.size()));
                    if (valid_name(field)) rules[std::string(sub)].insert(field, a.value());
                }
            }
        for (auto& [sub, table] : rules) t.insert(sub, std::move(table));
        if (format == "html" && !rules.contains("html"))
            out.warnings.push_back(fmt::format(
                "{}: source '{}' is format \"html\": add its [source.html] rules", file, name));
        sources.push_back(std::move(t));
        ++out.sources;
    }
    if (out.sources == 0)
        return make_error(fmt::format("{}: no feed to import (no outline with an xmlUrl{})", file,
                                      out.warnings.empty() ? "" : " that can be imported"));
    toml::table out_root;
    out_root.insert("source", std::move(sources));
    std::ostringstream os;
    os << toml::toml_formatter{out_root};
    out.toml = os.str();
    if (!out.toml.empty() && out.toml.back() != '\n') out.toml += '\n';
    return out;
}

}  // namespace specwatch::config
