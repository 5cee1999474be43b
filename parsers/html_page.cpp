#include "parsers/html_page.h"

#include "common/text.h"
#include "parsers/dates.h"
#include "parsers/text.h"
#include "parsers/url.h"

#include <gumbo.h>
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <vector>

namespace specwatch::parse {

namespace {

// gumbo's time grows with the square of real nesting and it has crashed on
// ~100,000 nested formatting elements; real pages nest a few dozen deep.
constexpr std::size_t kMaxDepth = 512;
// A 16 MiB page of nothing but tags has ~2 million; more is not a page.
constexpr std::size_t kMaxTags = 4'000'000;
// Items one page may yield (a 3GPP calendar has a few hundred rows).
constexpr std::size_t kMaxItems = 100'000;

struct GumboDocument {
    GumboOptions options = kGumboDefaultOptions;
    GumboOutput* output = nullptr;

    explicit GumboDocument(std::string_view html) {
        options.max_errors = 0;  // parse errors are not reported: do not collect them
        output = gumbo_parse_with_options(&options, html.data(), html.size());
    }
    ~GumboDocument() {
        if (output) gumbo_destroy_output(&options, output);
    }
    GumboDocument(const GumboDocument&) = delete;
    GumboDocument& operator=(const GumboDocument&) = delete;
};

std::string element_name(const GumboElement& el) {
    if (el.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(el.tag);
    GumboStringPiece piece = el.original_tag;
    gumbo_tag_from_original_text(&piece);
    return to_lower_ascii(std::string_view(piece.data, piece.length));
}

// Copies gumbo's tree into `doc` without recursion. Comments are dropped;
// element and attribute names are HTML's lower case ones.
void copy_tree(const GumboNode* root, pugi::xml_document& doc) {
    struct Frame {
        const GumboNode* node;
        pugi::xml_node into;
    };
    std::vector<Frame> stack;
    const GumboVector& top = root->v.document.children;
    for (unsigned i = top.length; i-- > 0;)
        stack.push_back({static_cast<const GumboNode*>(top.data[i]), doc});
    while (!stack.empty()) {
        Frame f = stack.back();
        stack.pop_back();
        const GumboNode* n = f.node;
        switch (n->type) {
            case GUMBO_NODE_TEXT:
            case GUMBO_NODE_WHITESPACE:
            case GUMBO_NODE_CDATA:
                f.into.append_child(pugi::node_pcdata).set_value(n->v.text.text);
                break;
            case GUMBO_NODE_ELEMENT:
            case GUMBO_NODE_TEMPLATE: {
                const GumboElement& el = n->v.element;
                pugi::xml_node e = f.into.append_child(element_name(el).c_str());
                for (unsigned i = 0; i < el.attributes.length; ++i) {
                    const auto* a = static_cast<const GumboAttribute*>(el.attributes.data[i]);
                    e.append_attribute(a->name).set_value(a->value);
                }
                // Pushed in reverse so that children are appended in order.
                for (unsigned i = el.children.length; i-- > 0;)
                    stack.push_back({static_cast<const GumboNode*>(el.children.data[i]), e});
                break;
            }
            default:
                break;
        }
    }
}

// An element's text as a reader sees it: block boundaries separate words,
// script and style are dropped, white space folded.
std::string node_text(pugi::xml_node root) {
    std::string out;
    struct Frame {
        pugi::xml_node node;
        bool closing;
    };
    std::vector<Frame> stack{{root, false}};
    while (!stack.empty()) {
        const Frame f = stack.back();
        stack.pop_back();
        const pugi::xml_node n = f.node;
        if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) {
            out += n.value();
            continue;
        }
        if (n.type() != pugi::node_element) continue;
        const std::string_view name = n.name();
        if (f.closing) {
            if (is_block_element(name)) out += ' ';
            continue;
        }
        if (is_hidden_element(name)) continue;
        if (is_block_element(name)) out += ' ';
        stack.push_back({n, true});
        std::vector<pugi::xml_node> children;
        for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) children.push_back(c);
        for (auto it = children.rbegin(); it != children.rend(); ++it)
            stack.push_back({*it, false});
    }
    return out;
}

// Hyphens and spaces that pages use to keep "2025-11-17" on one line read as
// their ordinary forms.
std::string plain_punctuation(std::string s) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kMap{{
        {"\u2010", "-"},  // hyphen
        {"\u2011", "-"},  // non-breaking hyphen
        {"\u2012", "-"},  // figure dash
        {"\u2013", "-"},  // en dash
        {"\u2014", "-"},  // em dash
        {"\u00AD", ""},   // soft hyphen
    }};
    for (const auto& [from, to] : kMap) {
        for (std::size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size()))
            s.replace(i, from.size(), to);
    }
    return s;
}

class Query {
  public:
    Query(std::string_view field, const std::string& expr) : field_(field) {
        if (expr.empty()) return;
        try {
            query_ = std::make_unique<pugi::xpath_query>(expr.c_str());
        } catch (const pugi::xpath_exception& e) {
            error_ = "[source.html] " + std::string(field) + " = \"" + expr +
                     "\" is not XPath 1.0: " + e.what();
        }
    }
    [[nodiscard]] bool set() const { return query_ != nullptr; }
    [[nodiscard]] const std::string& error() const { return error_; }

    // The expression's string value at `ctx`: for nodes, the first one's text
    // (an attribute's value as written, an element's text folded).
    [[nodiscard]] std::string raw(const pugi::xpath_node& ctx) const {
        if (!query_) return "";
        if (query_->return_type() != pugi::xpath_type_node_set) return query_->evaluate_string(ctx);
        pugi::xpath_node_set nodes = query_->evaluate_node_set(ctx);
        if (nodes.empty()) return "";
        nodes.sort();
        const pugi::xpath_node first = nodes.first();
        if (first.attribute()) return first.attribute().value();
        return node_text(first.node());
    }
    // Pages write "-" (and "&nbsp;") in empty cells.
    [[nodiscard]] std::string text(const pugi::xpath_node& ctx) const {
        std::string t = plain_punctuation(clean_text(raw(ctx)));
        return t == "-" ? std::string{} : t;
    }

    // One text per selected node, empty ones dropped (categories); a string
    // expression gives its one value.
    [[nodiscard]] std::vector<std::string> texts(const pugi::xpath_node& ctx) const {
        std::vector<std::string> out;
        if (!query_) return out;
        if (query_->return_type() != pugi::xpath_type_node_set) {
            if (std::string t = text(ctx); !t.empty()) out.push_back(std::move(t));
            return out;
        }
        pugi::xpath_node_set nodes = query_->evaluate_node_set(ctx);
        nodes.sort();
        for (const pugi::xpath_node& n : nodes) {
            std::string t = plain_punctuation(
                clean_text(n.attribute() ? n.attribute().value() : node_text(n.node())));
            if (t.empty() || t == "-") continue;
            if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
        }
        return out;
    }

    [[nodiscard]] pugi::xpath_node_set nodes(const pugi::xml_document& doc) const {
        return query_->evaluate_node_set(doc);
    }
    [[nodiscard]] bool returns_nodes() const {
        return query_->return_type() == pugi::xpath_type_node_set;
    }

  private:
    std::string_view field_;
    std::unique_ptr<pugi::xpath_query> query_;
    std::string error_;
};

std::string fmt_line(std::string_view label, std::string_view url) {
    std::string out(label);
    out += ": ";
    out += url;
    return out;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

int month_number(std::string_view word) {
    static constexpr std::array<std::string_view, 12> kMonths{
        "january", "february", "march",     "april",   "may",      "june",
        "july",    "august",   "september", "october", "november", "december"};
    const std::string w = to_lower_ascii(word);
    if (w.size() < 3) return 0;
    for (std::size_t i = 0; i < kMonths.size(); ++i) {
        if (kMonths[i].starts_with(w)) return static_cast<int>(i) + 1;
        if (w == "sept" && i == 8) return 9;
    }
    return 0;
}

bool valid_day(int y, int m, int d) {
    static constexpr std::array<int, 12> kDays{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m != 2 || d <= 28 || leap;
}

std::string ymd(int y, int m, int d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return buf;
}

}  // namespace

std::optional<DayRange> parse_day_range(std::string_view raw) {
    const std::string text = plain_punctuation(clean_text(raw));
    struct Day {
        int d = 0, m = 0, y = 0;
    };
    std::vector<Day> days;
    // ISO dates first: "2027-03-12", "2027-03-12 - 2027-03-16".
    {
        std::size_t i = 0;
        while (i + 10 <= text.size()) {
            const std::string_view s = std::string_view(text).substr(i, 10);
            if (is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
                s[4] == '-' && is_digit(s[5]) && is_digit(s[6]) && s[7] == '-' && is_digit(s[8]) &&
                is_digit(s[9]) && (i == 0 || !is_digit(text[i - 1]))) {
                days.push_back({(s[8] - '0') * 10 + (s[9] - '0'), (s[5] - '0') * 10 + (s[6] - '0'),
                                std::stoi(std::string(s.substr(0, 4)))});
                i += 10;
            } else {
                ++i;
            }
        }
    }
    if (days.empty()) {
        // Words: day numbers, month names, four-digit years. Day-first text
        // ("12-16 March 2027") names the month after its days; month-first
        // text ("March 12-16, 2027") before them.
        std::vector<std::string> tokens;
        std::string cur;
        auto flush = [&] {
            if (!cur.empty()) tokens.push_back(std::move(cur));
            cur.clear();
        };
        for (char c : text) {
            const bool alnum = std::isalnum(static_cast<unsigned char>(c)) != 0;
            if (!alnum) {
                flush();
                continue;
            }
            if (!cur.empty() && is_digit(cur.back()) != is_digit(c)) {
                // "12th": the suffix is dropped; "March12": split.
                if (is_digit(cur.back()) && (c == 's' || c == 'n' || c == 'r' || c == 't')) {
                    flush();
                    cur = std::string(1, c);
                    continue;
                }
                flush();
            }
            cur += c;
        }
        flush();
        bool month_first = false;
        bool seen_any = false;
        int current_month = 0;
        std::vector<std::size_t> pending;  // days waiting for their month (day-first)
        for (const std::string& t : tokens) {
            if (is_digit(t[0])) {
                if (t.size() > 4) return std::nullopt;
                const int n = std::stoi(t);
                if (t.size() == 4) {
                    for (Day& d : days)
                        if (d.y == 0) d.y = n;
                    continue;
                }
                if (n < 1 || n > 31) return std::nullopt;
                if (!seen_any) month_first = false;
                seen_any = true;
                days.push_back({n, month_first ? current_month : 0, 0});
                if (!month_first) pending.push_back(days.size() - 1);
                continue;
            }
            const int m = month_number(t);
            if (m == 0) {
                // Ordinal suffixes and weekday names are noise; other words too.
                continue;
            }
            if (!seen_any) month_first = true;
            seen_any = true;
            current_month = m;
            if (!month_first) {
                for (std::size_t i : pending) days[i].m = m;
                pending.clear();
            }
        }
        // "March 2027" alone is not a day.
    }
    if (days.empty()) return std::nullopt;
    for (const Day& d : days)
        if (!valid_day(d.y, d.m, d.d)) return std::nullopt;
    DayRange r;
    r.start = ymd(days.front().y, days.front().m, days.front().d);
    if (days.size() > 1) {
        r.end = ymd(days.back().y, days.back().m, days.back().d);
        if (r.end == r.start) r.end.clear();
    }
    return r;
}

std::string page_link(std::string_view base_url, std::string_view href) {
    std::string s = trim(href);
    if (s.empty()) return "";
    const bool scheme_relative = s.starts_with("//");
    for (char& c : s)
        if (c == '\\') c = '/';
    // Collapse doubled separators in the path only: not in "https://" nor in
    // the query or fragment.
    std::size_t from = 0;
    if (const auto colon = s.find("://"); colon != std::string::npos && has_scheme(s))
        from = s.find('/', colon + 3);
    else if (scheme_relative)
        from = s.find('/', 2);
    const std::size_t stop = std::min(s.find('?'), s.find('#'));
    if (from != std::string::npos) {
        std::string out = s.substr(0, from);
        for (std::size_t i = from; i < s.size(); ++i) {
            if (i < stop && s[i] == '/' && !out.empty() && out.back() == '/' && i > from) continue;
            out += s[i];
        }
        s = std::move(out);
    }
    return resolve_url(base_url, s);
}

Result<Feed> parse_html_page(std::string_view utf8, std::string_view base_url,
                             const config::HtmlRules& rules) {
    if (rules.item.empty() || rules.title.empty())
        return make_error(
            "format 'html' needs rules: 'item' and 'title' XPath expressions in [source.html]");
    const std::string_view body =
        utf8.substr(std::min(utf8.size(), utf8.find_first_not_of(" \t\r\n")));
    if (body.empty()) return make_error("not a page: the document is empty");
    const HtmlShape shape = html_page_shape(utf8);
    if (shape.depth > kMaxDepth)
        return make_error("HTML error: elements nest " + std::to_string(shape.depth) +
                          " deep (more than " + std::to_string(kMaxDepth) +
                          "); the page is not read");
    if (shape.tags > kMaxTags)
        return make_error("HTML error: more than " + std::to_string(kMaxTags) +
                          " tags; the page is not read");

    const Query item_q{"item", rules.item};
    const Query title_q{"title", rules.title};
    const Query link_q{"link", rules.link};
    const Query date_q{"date", rules.date};
    const Query id_q{"id", rules.id};
    const Query summary_q{"summary", rules.summary};
    const Query start_q{"start", rules.start};
    const Query end_q{"end", rules.end};
    const Query location_q{"location", rules.location};
    const Query categories_q{"categories", rules.categories};
    const Query content_q{"content", rules.content};
    // Links a meeting's reminder lists, written into the item's content as
    // "Agenda: URL" lines (the item model has one link).
    const std::array<std::pair<std::string_view, Query>, 3> related{{
        {"Agenda", Query{"agenda", rules.agenda}},
        {"Documents", Query{"documents", rules.documents}},
        {"Invitation", Query{"invitation", rules.invitation}},
    }};
    for (const Query* q :
         {&item_q, &title_q, &link_q, &date_q, &id_q, &summary_q, &start_q, &end_q, &location_q,
          &categories_q, &content_q, &related[0].second, &related[1].second, &related[2].second})
        if (!q->error().empty()) return make_error(q->error());
    if (!item_q.returns_nodes())
        return make_error("[source.html] item = \"" + rules.item + "\" does not select nodes");

    pugi::xml_document doc;
    {
        const GumboDocument g{utf8};
        if (!g.output) return make_error("HTML error: gumbo could not parse the page");
        copy_tree(g.output->document, doc);
    }

    Feed feed;
    feed.format = "html";
    feed.link = std::string(base_url);
    if (pugi::xml_node t = doc.select_node("/html/head/title").node())
        feed.title = clean_text(node_text(t));

    pugi::xpath_node_set rows;
    try {
        rows = item_q.nodes(doc);
    } catch (const pugi::xpath_exception& e) {
        return make_error("[source.html] item: " + std::string(e.what()));
    }
    rows.sort();
    for (const pugi::xpath_node& row : rows) {
        if (feed.items.size() >= kMaxItems) break;
        Item it;
        it.title = title_q.text(row);
        if (link_q.set()) {
            const std::string href = link_q.raw(row);
            if (!trim(href).empty()) it.link = page_link(base_url, href);
        }
        // Header rows, spacer rows, rows with missing cells: no title, no item.
        if (it.title.empty()) continue;
        it.summary = summary_q.text(row);
        it.location = location_q.text(row);
        it.categories = categories_q.texts(row);
        it.content = content_q.text(row);
        for (const auto& [label, q] : related) {
            if (!q.set()) continue;
            const std::string href = q.raw(row);
            if (trim(href).empty()) continue;
            const std::string url = page_link(base_url, href);
            if (url.empty()) continue;
            if (!it.content.empty()) it.content += '\n';
            it.content += fmt_line(label, url);
        }
        if (date_q.set()) {
            const std::string d = date_q.text(row);
            it.published = normalize_date(d);
            if (it.published.empty())
                if (auto r = parse_day_range(d)) it.published = r->start + "T00:00:00Z";
        }
        if (start_q.set()) {
            const std::string s = start_q.text(row);
            if (auto r = parse_day_range(s)) {
                it.start = r->start;
                it.end = r->end;
                // A time of day makes it a moment, not a day.
                if (s.find(':') != std::string::npos)
                    if (std::string t = normalize_date(s); !t.empty()) it.start = t;
            }
        }
        if (end_q.set()) {
            const std::string e = end_q.text(row);
            if (auto r = parse_day_range(e)) {
                it.end = r->end.empty() ? r->start : r->end;
                if (e.find(':') != std::string::npos)
                    if (std::string t = normalize_date(e); !t.empty()) it.end = t;
            }
        }
        it.id = id_q.text(row);
        if (it.id.empty()) it.id = link_identity(it.link);
        if (it.id.empty())
            it.id = "hash:" + hash_hex(it.title + '\x1f' + it.start + '\x1f' + it.published);
        feed.items.push_back(std::move(it));
    }
    return feed;
}

}  // namespace specwatch::parse
