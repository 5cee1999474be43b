#include "parsers/json_feed.h"

#include "common/text.h"
#include "parsers/dates.h"
#include "parsers/encoding.h"
#include "parsers/text.h"
#include "parsers/url.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace specwatch::parse {

namespace {

using nlohmann::json;

// nlohmann's parser recurses once per nesting level; real feeds nest a few
// levels, so a document nesting deeper is refused before it is parsed.
constexpr std::size_t kMaxDepth = 256;
constexpr std::size_t kMaxItems = 100'000;

// The deepest nesting of [ and { outside strings: a linear pre-check.
std::size_t json_depth(std::string_view s) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > kMaxDepth) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

// "meta.next", "authors.0.name": object keys and array indexes.
const json* at_path(const json& root, std::string_view path) {
    const json* cur = &root;
    if (path.empty()) return cur;
    std::size_t i = 0;
    while (i <= path.size()) {
        auto dot = path.find('.', i);
        if (dot == std::string_view::npos) dot = path.size();
        const std::string key(path.substr(i, dot - i));
        if (cur->is_object()) {
            auto it = cur->find(key);
            if (it == cur->end()) return nullptr;
            cur = &*it;
        } else if (cur->is_array() && !key.empty() &&
                   key.find_first_not_of("0123456789") == std::string::npos && key.size() < 9) {
            const auto n = std::stoul(key);
            if (n >= cur->size()) return nullptr;
            cur = &(*cur)[n];
        } else {
            return nullptr;
        }
        i = dot + 1;
    }
    return cur;
}

// Every value at `path`, where a "*" step takes each element of an array (or
// each value of an object): "authors.*.affiliation" is every author's
// affiliation. Bounded by the document, which is bounded by max_body.
void all_at_path(const json& cur, std::string_view path, std::vector<const json*>& out) {
    const auto dot = path.find('.');
    const std::string_view step = path.substr(0, dot);
    const std::string_view rest =
        dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    auto descend = [&](const json& next) {
        if (dot == std::string_view::npos)
            out.push_back(&next);
        else
            all_at_path(next, rest, out);
    };
    if (step == "*") {
        if (cur.is_array() || cur.is_object())
            for (const json& e : cur) descend(e);
        return;
    }
    if (const json* next = at_path(cur, step)) descend(*next);
}

// A scalar as text: strings as they are, numbers and booleans as JSON writes them.
std::string scalar(const json* v) {
    if (!v || v->is_null()) return "";
    if (v->is_string()) return v->get<std::string>();
    if (v->is_number() || v->is_boolean()) return v->dump();
    return "";
}

std::string text(const json* v) {
    return clean_text(scalar(v));
}

// Strings, or the scalars of an array: tags, categories, organizations.
std::vector<std::string> strings(const json* v) {
    std::vector<std::string> out;
    if (!v) return out;
    auto add = [&](const json& e) {
        std::string s = text(&e);
        if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end())
            out.push_back(std::move(s));
    };
    if (v->is_array()) {
        for (const json& e : *v) add(e);
    } else {
        add(*v);
    }
    return out;
}

// A date-only value ("2027-03-16") stays a day for start and end; anything
// else is a moment normalized to UTC.
std::string event_time(const std::string& s) {
    const std::string t = trim(s);
    if (t.size() == 10 && t[4] == '-' && t[7] == '-' && !normalize_date(t).empty()) return t;
    return normalize_date(t);
}

std::string hash_id(const Item& it) {
    return "hash:" + hash_hex(it.title + '\x1f' + (it.published.empty() ? it.start : it.published));
}

// --- JSON Feed (https://jsonfeed.org/version/1.1) ------------------------------

Feed json_feed(const json& doc, std::string_view base_url) {
    Feed feed;
    feed.format = "json";
    feed.title = text(at_path(doc, "title"));
    auto url_at = [&](std::string_view base, const char* path) {
        const std::string u = trim(scalar(at_path(doc, path)));
        return u.empty() ? u : resolve_url(base, u);
    };
    feed.link = url_at(base_url, "home_page_url");
    const std::string feed_url = url_at(base_url, "feed_url");
    const std::string base = feed_url.empty() ? std::string(base_url) : feed_url;
    feed.next = url_at(base, "next_url");
    auto authors_of = [](const json& owner) {
        std::vector<std::string> names;
        if (const json* a = at_path(owner, "authors"); a && a->is_array())
            for (const json& p : *a)
                if (std::string n = text(at_path(p, "name")); !n.empty()) names.push_back(n);
        if (names.empty())
            if (std::string n = text(at_path(owner, "author.name")); !n.empty()) names.push_back(n);
        return names;
    };
    const std::vector<std::string> feed_authors = authors_of(doc);
    const json* items = at_path(doc, "items");
    if (!items || !items->is_array()) return feed;
    HtmlToText to_text;
    for (const json& e : *items) {
        if (!e.is_object()) continue;
        if (feed.items.size() >= kMaxItems) break;
        Item it;
        std::string url = trim(scalar(at_path(e, "url")));
        if (url.empty()) url = trim(scalar(at_path(e, "external_url")));
        if (!url.empty()) it.link = resolve_url(base, url);
        it.title = text(at_path(e, "title"));
        it.summary = text(at_path(e, "summary"));
        if (const std::string html = scalar(at_path(e, "content_html")); !html.empty())
            it.content = to_text(html);
        else
            it.content = text(at_path(e, "content_text"));
        std::vector<std::string> authors = authors_of(e);
        if (authors.empty()) authors = feed_authors;
        for (const auto& a : authors) it.author += (it.author.empty() ? "" : ", ") + a;
        it.categories = strings(at_path(e, "tags"));
        it.published = normalize_date(scalar(at_path(e, "date_published")));
        it.updated = normalize_date(scalar(at_path(e, "date_modified")));
        it.id = trim(scalar(at_path(e, "id")));
        if (it.id.empty()) it.id = link_identity(it.link);
        if (it.id.empty()) it.id = hash_id(it);
        feed.items.push_back(std::move(it));
    }
    return feed;
}

// --- [source.json] mapping ---------------------------------------------------------

Result<Feed> mapped(const json& doc, std::string_view base_url, const config::JsonRules& rules) {
    // "." is the document itself.
    const json* items = rules.items == "." ? &doc : at_path(doc, rules.items);
    if (!items)
        return make_error("[source.json] items = \"" + rules.items +
                          "\": no such path in the document");
    if (!items->is_array() && !items->is_object())
        return make_error("[source.json] items = \"" + rules.items +
                          "\" is neither an array nor an object");
    Feed feed;
    feed.format = "json";
    feed.link = std::string(base_url);
    if (!rules.next.empty())
        if (std::string next = trim(scalar(at_path(doc, rules.next))); !next.empty())
            feed.next = resolve_url(base_url, next);
    auto field = [&](const json& e, const char* name) -> const json* {
        auto it = rules.fields.find(name);
        if (it == rules.fields.end() || it->second.empty()) return nullptr;
        if (it->second.find('*') == std::string::npos) return at_path(e, it->second);
        std::vector<const json*> all;
        all_at_path(e, it->second, all);
        return all.empty() ? nullptr : all.front();
    };
    // Lists (categories, organizations, authors): every value a "*" path reaches.
    auto list = [&](const json& e, const char* name) {
        auto it = rules.fields.find(name);
        std::vector<std::string> out;
        if (it == rules.fields.end() || it->second.empty()) return out;
        std::vector<const json*> all;
        all_at_path(e, it->second, all);
        for (const json* v : all)
            for (auto& s : strings(v))
                if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
        return out;
    };
    // A single object (one document's own JSON, such as the datatracker's
    // doc.json) is one item.
    std::vector<const json*> objects;
    if (items->is_object())
        objects.push_back(items);
    else
        for (const json& e : *items) objects.push_back(&e);
    for (const json* element : objects) {
        const json& e = *element;
        if (feed.items.size() >= kMaxItems) break;
        Item it;
        it.title = text(field(e, "title"));
        if (std::string link = trim(scalar(field(e, "link"))); !link.empty())
            it.link = resolve_url(base_url, link);
        it.summary = text(field(e, "summary"));
        it.content = text(field(e, "content"));
        for (const auto& a : list(e, "author")) it.author += (it.author.empty() ? "" : ", ") + a;
        it.location = text(field(e, "location"));
        it.categories = list(e, "categories");
        it.organizations = list(e, "organizations");
        it.published = normalize_date(scalar(field(e, "published")));
        it.updated = normalize_date(scalar(field(e, "updated")));
        it.start = event_time(scalar(field(e, "start")));
        it.end = event_time(scalar(field(e, "end")));
        it.id = trim(scalar(field(e, "id")));
        // Tastypie and most APIs give every object a "resource_uri" or "id".
        if (it.id.empty() && e.is_object()) {
            if (std::string uri = trim(scalar(at_path(e, "resource_uri"))); !uri.empty())
                it.id = resolve_url(base_url, uri);
            else if (std::string id = trim(scalar(at_path(e, "id"))); !id.empty())
                it.id = id;
        }
        if (it.id.empty()) it.id = link_identity(it.link);
        if (it.id.empty()) it.id = hash_id(it);
        feed.items.push_back(std::move(it));
    }
    return feed;
}

}  // namespace

Result<Feed> parse_json(std::string_view utf8, std::string_view base_url,
                        const config::JsonRules* rules) {
    if (utf8.starts_with("\xEF\xBB\xBF")) utf8.remove_prefix(3);
    if (utf8.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return make_error("not a feed: the document is empty");
    if (const std::size_t d = json_depth(utf8); d > kMaxDepth)
        return make_error("JSON error: arrays and objects nest more than " +
                          std::to_string(kMaxDepth) + " deep");
    const std::string text = valid_utf8(utf8);
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::exception& e) {
        // nlohmann's message says where: "parse error at line 3, column 7: ..."
        std::string what = e.what();
        if (const auto at = what.find("parse error"); at != std::string::npos)
            what = what.substr(at);
        return make_error("JSON error: " + what);
    }
    if (rules && !rules->items.empty()) return mapped(doc, base_url, *rules);
    const std::string version = scalar(at_path(doc, "version"));
    if (!doc.is_object() || !version.starts_with("https://jsonfeed.org/version/"))
        return make_error(
            "not a JSON Feed (no \"version\": \"https://jsonfeed.org/version/1.1\"); "
            "other JSON needs a [source.json] mapping with 'items'");
    return json_feed(doc, base_url);
}

}  // namespace specwatch::parse
