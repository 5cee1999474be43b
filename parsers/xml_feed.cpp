#include "parsers/xml_feed.h"

#include "common/text.h"
#include "parsers/dates.h"
#include "parsers/text.h"
#include "parsers/url.h"
#include "parsers/xml_views.h"

#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace specwatch::parse {

namespace {

// --- Namespaces --------------------------------------------------------------
//
// Elements are told apart by namespace URI, never by prefix: "dc:creator" is
// whatever prefix the document bound to the Dublin Core URI.

enum class Ns {
    none,  // no namespace: RSS 0.9x/2.0 elements
    rss,   // RSS 1.0, RSS 0.90, and the namespaces some RSS 2.0 feeds declare
    atom10,
    atom03,
    rdf,
    dc,
    dcterms,
    content,
    xhtml,
    itunes,
    media,
    feedburner,
    xml,
    other,
};

struct KnownNs {
    std::string_view uri;  // lower case, without a trailing "/"
    Ns ns;
};
constexpr std::array<KnownNs, 17> kNamespaces{{
    {"http://purl.org/rss/1.0", Ns::rss},
    {"http://my.netscape.com/rdf/simple/0.9", Ns::rss},
    {"http://backend.userland.com/rss2", Ns::rss},
    {"http://backend.userland.com/rss", Ns::rss},
    {"http://blogs.law.harvard.edu/tech/rss", Ns::rss},
    {"http://www.w3.org/2005/atom", Ns::atom10},
    {"http://purl.org/atom/ns#", Ns::atom03},
    {"http://www.w3.org/1999/02/22-rdf-syntax-ns#", Ns::rdf},
    {"http://purl.org/dc/elements/1.1", Ns::dc},
    {"http://purl.org/dc/elements/1.0", Ns::dc},
    {"http://purl.org/dc/terms", Ns::dcterms},
    {"http://purl.org/rss/1.0/modules/content", Ns::content},
    {"http://www.w3.org/1999/xhtml", Ns::xhtml},
    {"http://www.itunes.com/dtds/podcast-1.0.dtd", Ns::itunes},
    {"http://search.yahoo.com/mrss", Ns::media},
    {"http://rssnamespace.org/feedburner/ext/1.0", Ns::feedburner},
    {"http://www.w3.org/xml/1998/namespace", Ns::xml},
}};

constexpr std::string_view kRss090 = "http://my.netscape.com/rdf/simple/0.9";

std::string normalize_uri(std::string_view uri) {
    std::string u = to_lower_ascii(trim(uri));
    while (!u.empty() && u.back() == '/') u.pop_back();
    return u;
}

// normalize_uri's comparison without building its string: classify runs for
// every element and attribute name, and a namespace URI is past the short
// string buffer (a heap allocation each time).
Ns classify(std::string_view uri) {
    if (uri.empty()) return Ns::none;
    constexpr std::string_view kSpace = " \t\r\n\f\v";  // trim()'s
    const auto b = uri.find_first_not_of(kSpace);
    if (b == std::string_view::npos) return Ns::other;
    std::string_view u = uri.substr(b, uri.find_last_not_of(kSpace) - b + 1);
    while (!u.empty() && u.back() == '/') u.remove_suffix(1);
    for (const auto& k : kNamespaces) {
        if (k.uri.size() != u.size()) continue;
        bool same = true;
        for (std::size_t i = 0; same && i < u.size(); ++i) {
            char c = u[i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            same = c == k.uri[i];
        }
        if (same) return k.ns;
    }
    return Ns::other;
}

// Feeds that use a prefix without declaring it ("dc:creator" with no
// xmlns:dc) mean the namespace that prefix conventionally stands for.
struct ConventionalPrefix {
    std::string_view prefix;
    Ns ns;
};
constexpr std::array<ConventionalPrefix, 8> kConventionalPrefixes{{
    {"dc", Ns::dc},
    {"dcterms", Ns::dcterms},
    {"content", Ns::content},
    {"atom", Ns::atom10},
    {"itunes", Ns::itunes},
    {"media", Ns::media},
    {"feedburner", Ns::feedburner},
    {"rdf", Ns::rdf},
}};

struct Binding {
    std::string_view prefix;
    std::string_view uri;
    Ns ns;
};

// The namespace declarations and base URL in effect at one element. Scopes
// live on the C++ stack of the walk that made them, each pointing at its
// parent; the walk is at most a few levels deep. `Node` is pugi::xml_node,
// or xml_views::Node for a document read as views (see parse_xml_feed).
template <class Node>
struct Scope {
    const Scope* parent = nullptr;
    Node node;
    // The base URL in effect: a view of the reader's, or of the string an
    // xml:base made, which every scope under it shares (own_base). Copying
    // the base for each element was an allocation per element.
    std::string_view base;
    std::shared_ptr<const std::string> own_base;
    // This element's own xmlns declarations, sorted by prefix ("" is the
    // default namespace): a root with thousands of them costs a binary search.
    // Each is classified once here, not at every element that uses it.
    std::vector<Binding> bindings;
    // The default namespace in effect (the nearest xmlns=""), kept here so
    // that an unprefixed name, most of them, is not looked up scope by scope.
    Binding default_ns;
    bool has_default = false;

    void set_base(std::string url) {
        own_base = std::make_shared<const std::string>(std::move(url));
        base = *own_base;
    }
};

// The binding of `prefix`; nullptr when nothing binds it.
template <class Node>
const Binding* namespace_binding(const Scope<Node>& scope, std::string_view prefix) {
    static const Binding kXml{"xml", "http://www.w3.org/XML/1998/namespace", Ns::xml};
    if (prefix == "xml") return &kXml;
    for (const Scope<Node>* s = &scope; s != nullptr; s = s->parent) {
        if (s->bindings.empty()) continue;
        const auto it = std::lower_bound(
            s->bindings.begin(), s->bindings.end(), prefix,
            [](const Binding& binding, std::string_view p) { return binding.prefix < p; });
        if (it != s->bindings.end() && it->prefix == prefix) return &*it;
    }
    return nullptr;
}

// namespace_binding(scope, ""), found when the scope was entered.
template <class Node>
const Binding* default_binding(const Scope<Node>& scope) {
    return scope.has_default ? &scope.default_ns : nullptr;
}

struct QName {
    Ns ns = Ns::none;
    std::string_view uri;
    std::string_view local;
    bool bound = true;  // false: a prefix nothing declares
};

template <class Node>
QName split(std::string_view name, const Scope<Node>& scope, bool is_attribute) {
    const auto colon = name.find(':');
    if (colon == std::string_view::npos) {
        // Unprefixed attributes are in no namespace; elements take the default.
        if (is_attribute) return {Ns::none, {}, name};
        const Binding* b = default_binding(scope);
        return b ? QName{b->ns, b->uri, name} : QName{Ns::none, {}, name};
    }
    const std::string_view prefix = name.substr(0, colon);
    if (const Binding* b = namespace_binding(scope, prefix))
        return {b->ns, b->uri, name.substr(colon + 1)};
    Ns ns = Ns::other;
    for (const auto& c : kConventionalPrefixes)
        if (c.prefix == prefix) ns = c.ns;
    return {ns, {}, name.substr(colon + 1), false};
}

// --- Small helpers ------------------------------------------------------------

// trim(s) for a string of its own: moved as it is when there is nothing to
// trim (most attribute values), instead of copied.
std::string trimmed(std::string&& s) {
    auto ws = [](char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
    };
    if (s.empty() || (!ws(s.front()) && !ws(s.back()))) return std::move(s);
    return trim(s);
}

// resolve_url(base, url) for a URL already in a string of its own: an
// absolute one (most links), which resolve_url would copy as it is, is
// moved instead.
std::string resolve_owned(std::string_view base, std::string&& url) {
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    if (!url.empty() && !ws(url.front()) && !ws(url.back()) && has_scheme(url))
        return std::move(url);
    return resolve_url(base, url);
}

// A name in ASCII lower case, without a string: element names are short
// and compared with short literals, so a name longer than the buffer (which
// equals none of them whatever its case) is kept as written.
class LowerName {
  public:
    explicit LowerName(std::string_view name) : view_(name) {
        if (name.size() > buf_.size()) return;
        for (std::size_t i = 0; i < name.size(); ++i) {
            const char c = name[i];
            buf_[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        }
        view_ = std::string_view(buf_.data(), name.size());
    }
    LowerName(const LowerName&) = delete;
    LowerName& operator=(const LowerName&) = delete;
    [[nodiscard]] std::string_view view() const { return view_; }

  private:
    std::array<char, 32> buf_;
    std::string_view view_;
};

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

// An attribute's value, references decoded (the document is parsed without
// pugixml's own decoding, see parse_xml_feed); "" when absent.
template <class Node>
std::string attribute(Node el, std::string_view name) {
    for (auto a = el.first_attribute(); a; a = a.next_attribute())
        if (name == a.name()) return decode_entities(a.value());
    return "";
}

// An attribute in a namespace, whatever its prefix (rdf:about).
template <class Node>
std::string attribute_ns(const Scope<Node>& own, Ns ns, std::string_view local) {
    for (auto a = own.node.first_attribute(); a; a = a.next_attribute()) {
        const QName q = split(a.name(), own, true);
        if (q.ns == ns && q.local == local) return decode_entities(a.value());
    }
    return "";
}

template <class Node>
bool has_element_children(Node n) {
    for (Node c = n.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_element) return true;
    return false;
}

template <class Node>
Scope<Node> enter(const Scope<Node>& parent, Node el) {
    Scope<Node> s{&parent,           el, parent.base, parent.own_base, {}, parent.default_ns,
                  parent.has_default};
    // Most elements have no attributes: nothing to read.
    const auto first = el.first_attribute();
    if (!first) return s;
    bool based = false;
    for (auto a = first; a; a = a.next_attribute()) {
        const std::string_view name = a.name();
        if (name == "xml:base" && !based) {
            s.set_base(resolve_url(parent.base, decode_entities(a.value())));
            based = true;
        } else if (name == "xmlns") {
            s.bindings.push_back({"", a.value(), classify(a.value())});
        } else if (name.starts_with("xmlns:")) {
            s.bindings.push_back({name.substr(6), a.value(), classify(a.value())});
        }
    }
    // stable: of two declarations of one prefix, the first is found.
    if (s.bindings.size() > 1)
        std::stable_sort(s.bindings.begin(), s.bindings.end(),
                         [](const Binding& a, const Binding& b) { return a.prefix < b.prefix; });
    // "" sorts first: this element's own default namespace replaces the parent's.
    if (!s.bindings.empty() && s.bindings.front().prefix.empty()) {
        s.default_ns = s.bindings.front();
        s.has_default = true;
    }
    return s;
}

std::string decode_base64(std::string_view in) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char c : in) {
        int v = -1;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+' || c == '-')
            v = 62;
        else if (c == '/' || c == '_')
            v = 63;
        else if (c == '=')
            break;
        if (v < 0) continue;  // line breaks and other white space
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

// "jane@example.org (Jane Doe)" and "Jane Doe <jane@example.org>" are Jane Doe.
std::string person_name(std::string_view s) {
    std::string t = trim(s);
    if (!t.empty() && t.back() == ')') {
        const auto open = t.find('(');
        if (open != std::string::npos && open > 0 &&
            t.substr(0, open).find('@') != std::string::npos) {
            std::string name = trim(std::string_view(t).substr(open + 1, t.size() - open - 2));
            if (!name.empty()) return name;
        }
    }
    if (!t.empty() && t.back() == '>') {
        const auto open = t.rfind('<');
        if (open != std::string::npos && open > 0 &&
            t.substr(open).find('@') != std::string::npos) {
            std::string name = trim(std::string_view(t).substr(0, open));
            if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
                name = trim(std::string_view(name).substr(1, name.size() - 2));
            if (!name.empty()) return name;
        }
    }
    return t;
}

// --- Entities declared in the document's internal DTD subset --------------
//
// pugixml skips the DTD. Feeds rarely declare entities, but when they do the
// text needs them: internal general entities with literal values are
// expanded, one level deep (a value's own references are not expanded again)
// and within a budget per document, so billion-laughs stays harmless.

class DtdEntities {
  public:
    // Expanded bytes per document, at most.
    static constexpr std::size_t kBudget = 1 << 20;

    explicit DtdEntities(std::string_view text);
    // `raw` with declared entity references replaced by their values.
    [[nodiscard]] std::string expand(std::string_view raw) const;
    [[nodiscard]] bool empty() const { return defs_.empty(); }

  private:
    std::unordered_map<std::string, std::string> defs_;
    mutable std::size_t budget_ = kBudget;
};

DtdEntities::DtdEntities(std::string_view text) {
    // The doctype must come before the root element: skip the prolog.
    std::size_t i = 0;
    while (true) {
        while (i < text.size() &&
               (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
            ++i;
        std::size_t end = 0;
        if (text.substr(i, 4) == "<!--") {
            end = text.find("-->", i + 4);
        } else if (text.substr(i, 2) == "<?") {
            end = text.find("?>", i + 2);
        } else {
            break;
        }
        if (end == std::string_view::npos) return;
        i = end + (text[end] == '-' ? 3 : 2);
    }
    if (text.substr(i, 9) != "<!DOCTYPE") return;
    const auto open = text.find_first_of("[>", i);
    if (open == std::string_view::npos || text[open] != '[') return;
    const auto close = text.find(']', open);
    if (close == std::string_view::npos) return;
    const std::string_view subset = text.substr(open + 1, close - open - 1);
    constexpr std::size_t kMaxEntities = 256;
    constexpr std::size_t kMaxValue = 4096;
    for (auto at = subset.find("<!ENTITY");
         at != std::string_view::npos && defs_.size() < kMaxEntities;
         at = subset.find("<!ENTITY", at + 1)) {
        std::size_t j = at + 8;
        auto space = [&] {
            while (j < subset.size() && (subset[j] == ' ' || subset[j] == '\t' ||
                                         subset[j] == '\r' || subset[j] == '\n'))
                ++j;
        };
        space();
        if (j >= subset.size() || subset[j] == '%') continue;  // parameter entities
        const std::size_t name_at = j;
        while (j < subset.size() && subset[j] != ' ' && subset[j] != '\t' && subset[j] != '\r' &&
               subset[j] != '\n' && subset[j] != '"' && subset[j] != '\'')
            ++j;
        const std::string_view name = subset.substr(name_at, j - name_at);
        space();
        if (name.empty() || j >= subset.size() || (subset[j] != '"' && subset[j] != '\''))
            continue;  // SYSTEM or PUBLIC: an external entity, never fetched
        const auto end = subset.find(subset[j], j + 1);
        if (end == std::string_view::npos) break;
        const std::string_view value = subset.substr(j + 1, end - j - 1);
        // The first declaration of a name is binding (XML 1.0 section 4.2).
        if (value.size() <= kMaxValue && value.find('<') == std::string_view::npos)
            defs_.emplace(name, value);
    }
}

std::string DtdEntities::expand(std::string_view raw) const {
    if (defs_.empty() || raw.find('&') == std::string_view::npos) return std::string(raw);
    std::string out;
    std::size_t i = 0;
    while (i < raw.size()) {
        const auto amp = raw.find('&', i);
        if (amp == std::string_view::npos) break;
        out.append(raw.substr(i, amp - i));
        i = amp;
        // Names are short: look for the ";" nearby only, so a run of "&"
        // without one stays linear.
        const auto semi = raw.substr(0, std::min(raw.size(), amp + 64)).find(';', amp);
        const std::string name = semi == std::string_view::npos
                                     ? std::string()
                                     : std::string(raw.substr(amp + 1, semi - amp - 1));
        const auto def = defs_.find(name);
        if (def == defs_.end() || def->second.size() > budget_) {
            out += '&';
            ++i;
            continue;
        }
        budget_ -= def->second.size();
        out += def->second;
        i = semi + 1;
    }
    out.append(raw.substr(std::min(i, raw.size())));
    return out;
}

// --- Items under construction -------------------------------------------------
//
// A field can come from several elements (an RSS <link>, an atom:link, a
// permalink guid); each offer has a priority and the lowest wins, the first
// of equals. So the result does not depend on the order of the elements.

struct Slot {
    int priority = INT_MAX;
    std::string value;

    void offer(int p, std::string v) {
        if (v.empty() || p >= priority) return;
        priority = p;
        value = std::move(v);
    }
    // For dates, a repeated element corrects the one before it (as in
    // feedparser): the last of equals wins.
    void offer_last(int p, std::string v) {
        if (v.empty() || p > priority) return;
        priority = p;
        value = std::move(v);
    }
};

struct Draft {
    // Far above what real items carry (a WordPress post with many tags has
    // ~50); they bound the work a hostile item can cause.
    static constexpr std::size_t kMaxAuthors = 50;
    static constexpr std::size_t kMaxCategories = 200;

    Slot id, link, title, summary, content, published, updated;
    std::vector<std::string> authors;
    int author_priority = INT_MAX;
    std::vector<std::string> categories;

    // Several authors of the same kind (two dc:creator) are all kept.
    void add_author(int p, std::string v) {
        if (v.empty() || p > author_priority) return;
        if (p < author_priority) {
            authors.clear();
            author_priority = p;
        }
        if (authors.size() < kMaxAuthors &&
            std::find(authors.begin(), authors.end(), v) == authors.end())
            authors.push_back(std::move(v));
    }
    void add_category(std::string v) {
        if (!v.empty() && categories.size() < kMaxCategories &&
            std::find(categories.begin(), categories.end(), v) == categories.end()) {
            // Items have a few: one allocation rather than one per doubling.
            if (categories.empty()) categories.reserve(4);
            categories.push_back(std::move(v));
        }
    }
};

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

// --- The reader -----------------------------------------------------------------

template <class Node>
class Reader {
  public:
    using Scope = parse::Scope<Node>;

    Reader(std::string_view base_url, const DtdEntities& entities)
        : base_url_(base_url), entities_(entities) {}

    // `doc`: the document node, whose element is the feed.
    Result<Feed> read(Node doc, FeedFamily family);

  private:
    // Text of the element's direct character data: references decoded in
    // parsed text, CDATA sections as written.
    std::string raw_text(Node n) const;
    // Text of all descendants, for inline XHTML: script and style skipped,
    // block elements separating words. Not yet cleaned.
    std::string walk_text(Node n) const;

    // raw_text without a copy when the element holds one CDATA section or
    // one run of text without references (most fields): a view of the
    // document, else `holder`.
    std::string_view raw_view(Node n, std::string& holder) const {
        const Node c = n.first_child();
        if (!c) return {};
        if (!c.next_sibling()) {
            if (c.type() == pugi::node_cdata) return c.value();
            if (c.type() == pugi::node_pcdata) {
                const std::string_view v = c.value();
                if (v.find('&') == std::string_view::npos) return v;
                holder = decode(v);  // raw_text's result, without appending it to another string
                return holder;
            }
        }
        holder = raw_text(n);
        return holder;
    }

    std::string plain(Node n) const {
        if (has_element_children(n)) return clean_text(walk_text(n));
        std::string holder;
        return clean_text(raw_view(n, holder));
    }
    std::string html(Node n) {
        if (has_element_children(n)) return clean_text(walk_text(n));
        std::string holder;
        return html_(raw_view(n, holder));
    }
    // Text by the specs but HTML in practice (RSS titles): markup or
    // references make it HTML.
    std::string sniffed(Node n) {
        if (has_element_children(n)) return clean_text(walk_text(n));
        std::string holder;
        const std::string_view raw = raw_view(n, holder);
        return looks_like_html(raw) ? html_(raw) : clean_text(raw);
    }
    std::string atom_text(Node n);
    std::string atom_person(const Scope& own) const;
    std::string date(Node n) const {
        if (has_element_children(n)) return normalize_date(plain(n));
        std::string holder;
        const std::string_view raw = raw_view(n, holder);
        // Clean text is read in place; anything else as plain() gives it.
        if (is_clean_text(raw)) return normalize_date(raw);
        return normalize_date(clean_text(raw));
    }
    std::string media_text(Node n) {
        return to_lower_ascii(trimmed(attribute(n, "type"))) == "html" ? html(n) : plain(n);
    }
    void atom_link(const Scope& own, Slot& link, int priority) const;

    // `nested`: inside a media:group, which is read one level deep only.
    void item_child(const Scope& own, Draft& d, bool nested = false);
    void feed_child(const Scope& own, Draft& d);
    // Fills `it`, a new item (made in place in the feed's vector rather
    // than moved there: an Item is a dozen strings).
    void finish(Draft& d, const std::vector<std::string>& inherited, Item& it) const;

    Feed rss(const Scope& root, bool rdf);
    Feed cdf(const Scope& root);
    Feed atom(const Scope& root, bool entry_only);

    // An element's name; elements in the root's namespace belong to the
    // format read (so an Atom feed in an old draft's namespace, or in none,
    // still reads as Atom).
    QName element_name(const Scope& own) const {
        QName q = split(own.node.name(), own, false);
        if (q.bound && q.uri == family_uri_) q.ns = family_;
        return q;
    }

    // Parsed character data to text.
    std::string decode(std::string_view raw) const {
        return decode_entities(entities_.empty() ? raw : entities_.expand(raw));
    }

    std::string base_url_;
    const DtdEntities& entities_;
    Ns family_ = Ns::none;
    std::string family_uri_;
    HtmlToText html_;
};

template <class Node>
std::string Reader<Node>::raw_text(Node n) const {
    std::string out;
    for (Node c = n.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_pcdata)
            out += decode(c.value());
        else if (c.type() == pugi::node_cdata)
            out += c.value();
    }
    return out;
}

// The lower case local name of an element ("xhtml:P" is "p").
template <class Node>
std::string local_name(Node el) {
    std::string_view name = el.name();
    if (const auto colon = name.find(':'); colon != std::string_view::npos)
        name = name.substr(colon + 1);
    return to_lower_ascii(name);
}

template <class Node>
std::string Reader<Node>::walk_text(Node n) const {
    std::string out;
    // Without recursion: a hostile document may nest elements a million deep.
    auto advance = [&](Node c) -> Node {
        while (true) {
            if (Node next = c.next_sibling()) return next;
            c = c.parent();
            if (!c || c == n) return {};
            if (is_block_element(local_name(c))) out += ' ';  // leaving an element
        }
    };
    Node cur = n.first_child();
    while (cur) {
        if (cur.type() == pugi::node_pcdata) {
            out += decode(cur.value());
        } else if (cur.type() == pugi::node_cdata) {
            out += cur.value();
        } else if (cur.type() == pugi::node_element) {
            const std::string local = local_name(cur);
            if (!is_hidden_element(local)) {
                if (is_block_element(local)) out += ' ';
                if (cur.first_child()) {
                    cur = cur.first_child();
                    continue;
                }
            }
        }
        cur = advance(cur);
    }
    return out;
}

// Atom text constructs: type="text" (default), "html", "xhtml", or a MIME type
// (Atom 0.3, whose mode="escaped"/"base64"/"xml" says how it is carried).
template <class Node>
std::string Reader<Node>::atom_text(Node n) {
    const std::string type = to_lower_ascii(trimmed(attribute(n, "type")));
    const std::string mode = to_lower_ascii(trimmed(attribute(n, "mode")));
    const bool is_html = type == "html" || type == "text/html";
    const bool is_xhtml = type == "xhtml" || type == "application/xhtml+xml";
    if (mode == "base64") {
        const std::string bytes = decode_base64(raw_text(n));
        if (is_html) return html_(bytes);
        if (type.empty() || type == "text" || type.starts_with("text/")) return clean_text(bytes);
        return "";  // an image or another binary type: no text
    }
    if (is_html) {
        // mode="xml" (Atom 0.3's default) with escaped HTML is still HTML.
        return html(n);
    }
    if (is_xhtml || mode == "xml" || type.ends_with("+xml") || type.ends_with("/xml"))
        return clean_text(walk_text(n));
    if (type.empty() || type == "text" || type.starts_with("text/")) return plain(n);
    return "";  // Atom 1.0 base64 content of another type
}

// An Atom person: its name, else its e-mail address.
template <class Node>
std::string Reader<Node>::atom_person(const Scope& own) const {
    std::string name, email;
    for (Node c = own.node.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        const Scope cs = enter(own, c);
        const QName q = element_name(cs);
        if (q.ns != Ns::atom10 && q.ns != Ns::atom03 && q.ns != Ns::none) continue;
        if (q.local == "name" && name.empty()) name = plain(c);
        if (q.local == "email" && email.empty()) email = plain(c);
    }
    if (!name.empty()) return name;
    if (!email.empty()) return email;
    // Some feeds write the name as the element's text.
    return has_element_children(own.node) ? std::string() : person_name(plain(own.node));
}

// atom:link: rel="alternate" (or no rel) is the link; an alternate of a
// non-HTML type is second best; any other rel (self, related, enclosure) is
// used only when there is nothing else.
template <class Node>
void Reader<Node>::atom_link(const Scope& own, Slot& link, int priority) const {
    std::string href = trimmed(attribute(own.node, "href"));
    // Some feeds write the URL as the element's text, as RSS does.
    if (href.empty() && !has_element_children(own.node)) href = plain(own.node);
    if (href.empty()) return;
    std::string rel = to_lower_ascii(trimmed(attribute(own.node, "rel")));
    if (rel == "http://www.iana.org/assignments/relation/alternate") rel = "alternate";
    const std::string type = to_lower_ascii(trimmed(attribute(own.node, "type")));
    int p = priority + 3;
    if (rel.empty() || rel == "alternate")
        p = type.empty() || type.find("html") != std::string::npos ? priority : priority + 1;
    link.offer(p, resolve_owned(own.base, std::move(href)));
}

// Priorities (lower wins): the format's own element first, then the other
// vocabularies in the order feeds use them.
template <class Node>
void Reader<Node>::item_child(const Scope& own, Draft& d, bool nested) {
    const Node el = own.node;
    const QName q = element_name(own);
    switch (q.ns) {
        case Ns::none:
        case Ns::rss: {
            LowerName lowered{q.local};
            const std::string_view local = lowered.view();
            if (local == "title") {
                d.title.offer(0, sniffed(el));
            } else if (local == "link") {
                if (std::string url = plain(el); !url.empty())
                    d.link.offer(0, resolve_owned(own.base, std::move(url)));
            } else if (local == "description" || local == "summary") {
                // <summary> is a common misspelling of <description>; when an
                // item has both, the second is its fuller text (as feedparser
                // reads it).
                if (d.summary.priority == 0)
                    d.content.offer(1, html(el));
                else
                    d.summary.offer(0, html(el));
            } else if (local == "guid") {
                std::string guid = plain(el);
                // A guid is a permalink unless it says otherwise, but feeds
                // leave the attribute out on ids like "12345": without it,
                // only an http(s) URL becomes the link.
                const std::string perma = to_lower_ascii(trimmed(attribute(el, "isPermaLink")));
                if (perma == "true" ||
                    (perma.empty() && (iequals(std::string_view(guid).substr(0, 7), "http://") ||
                                       iequals(std::string_view(guid).substr(0, 8), "https://"))))
                    d.link.offer(3, resolve_url(own.base, guid));
                d.id.offer(0, std::move(guid));
            } else if (local == "author") {
                d.add_author(0, person_name(plain(el)));
            } else if (local == "category") {
                d.add_category(plain(el));
            } else if (local == "pubdate") {
                d.published.offer_last(0, date(el));
            } else if (local == "fullitem") {  // UserLand's full text, before content:encoded
                d.content.offer(1, html(el));
            }
            break;
        }
        case Ns::atom10:
        case Ns::atom03: {
            const std::string_view local = q.local;
            if (local == "id") {
                d.id.offer(1, plain(el));
            } else if (local == "title") {
                d.title.offer(1, atom_text(el));
            } else if (local == "link") {
                atom_link(own, d.link, 1);
            } else if (local == "summary") {
                d.summary.offer(1, atom_text(el));
            } else if (local == "content") {
                // Out-of-line content (src=) is named by its URL: the entry's
                // text is elsewhere, and that is where.
                if (const std::string src = trimmed(attribute(el, "src")); src.empty())
                    d.content.offer(1, atom_text(el));
                else
                    d.content.offer(3, resolve_url(own.base, src));
            } else if (local == "author") {
                d.add_author(1, atom_person(own));
            } else if (local == "category") {
                std::string term = clean_text(attribute(el, "term"));
                if (term.empty()) term = clean_text(attribute(el, "label"));
                d.add_category(std::move(term));
            } else if (local == "published") {
                d.published.offer_last(1, date(el));
            } else if (local == "issued") {  // Atom 0.3
                d.published.offer_last(2, date(el));
            } else if (local == "created") {
                d.published.offer_last(3, date(el));
            } else if (local == "updated" || local == "modified") {
                d.updated.offer_last(1, date(el));
            }
            break;
        }
        case Ns::dc: {
            const std::string_view local = q.local;
            if (local == "creator" || local == "author") {  // dc:author is not DC, but used
                d.add_author(2, person_name(plain(el)));
            } else if (local == "subject") {
                d.add_category(plain(el));
            } else if (local == "date") {
                d.published.offer_last(2, date(el));
            } else if (local == "title") {
                d.title.offer(2, sniffed(el));
            } else if (local == "description") {
                d.summary.offer(2, sniffed(el));
            }
            break;
        }
        case Ns::dcterms: {
            if (q.local == "modified") {
                d.updated.offer_last(2, date(el));
            } else if (q.local == "issued" || q.local == "created" || q.local == "date") {
                d.published.offer_last(3, date(el));
            }
            break;
        }
        case Ns::content:
            if (q.local == "encoded") d.content.offer(0, html(el));
            break;
        case Ns::xhtml:
            if (q.local == "body" || q.local == "div")
                d.content.offer(2, clean_text(walk_text(el)));
            break;
        case Ns::itunes:
            if (q.local == "author") {
                d.add_author(3, plain(el));
            } else if (q.local == "summary") {
                d.summary.offer(3, sniffed(el));
            } else if (q.local == "category") {
                // Apple's categories nest: "Technology" > "Gadgets" are both kept.
                d.add_category(clean_text(attribute(el, "text")));
                if (!nested)
                    for (Node c = el.first_child(); c; c = c.next_sibling())
                        if (c.type() == pugi::node_element) item_child(enter(own, c), d, true);
            }
            break;
        case Ns::media:
            if (q.local == "title") {
                d.title.offer(3, media_text(el));
            } else if (q.local == "description") {
                d.summary.offer(4, media_text(el));
            } else if (q.local == "category") {
                d.add_category(plain(el));
            } else if (q.local == "keywords") {
                // "post-quantum, hybrid, terminology" (the datatracker's RFC feed)
                const std::string all = plain(el);
                std::size_t i = 0;
                while (i <= all.size()) {
                    auto comma = all.find(',', i);
                    if (comma == std::string::npos) comma = all.size();
                    d.add_category(trim(std::string_view(all).substr(i, comma - i)));
                    i = comma + 1;
                }
            } else if (q.local == "group" && !nested) {
                for (Node c = el.first_child(); c; c = c.next_sibling())
                    if (c.type() == pugi::node_element) item_child(enter(own, c), d, true);
            }
            break;
        case Ns::feedburner:
            // FeedBurner's <link> is its own redirector; origLink is the article.
            if (q.local == "origLink") d.link.offer(-1, resolve_owned(own.base, plain(el)));
            break;
        default:
            break;
    }
}

template <class Node>
void Reader<Node>::feed_child(const Scope& own, Draft& d) {
    const Node el = own.node;
    const QName q = element_name(own);
    switch (q.ns) {
        case Ns::none:
        case Ns::rss: {
            LowerName lowered{q.local};
            const std::string_view local = lowered.view();
            if (local == "title") {
                d.title.offer(0, sniffed(el));
            } else if (local == "link") {
                if (std::string url = plain(el); !url.empty())
                    d.link.offer(0, resolve_owned(own.base, std::move(url)));
            } else if (local == "lastbuilddate") {
                d.updated.offer_last(1, date(el));
            } else if (local == "pubdate") {
                d.updated.offer_last(3, date(el));
            }
            break;
        }
        case Ns::atom10:
        case Ns::atom03: {
            const std::string_view local = q.local;
            if (local == "title") {
                d.title.offer(1, atom_text(el));
            } else if (local == "link") {
                atom_link(own, d.link, 1);
            } else if (local == "updated" || local == "modified") {
                d.updated.offer_last(0, date(el));
            } else if (local == "author") {
                d.add_author(1, atom_person(own));
            }
            break;
        }
        case Ns::dc:
            if (q.local == "date") {
                d.updated.offer_last(2, date(el));
            } else if (q.local == "title") {
                d.title.offer(2, sniffed(el));
            }
            break;
        case Ns::dcterms:
            if (q.local == "modified") d.updated.offer_last(2, date(el));
            break;
        default:
            break;
    }
}

template <class Node>
void Reader<Node>::finish(Draft& d, const std::vector<std::string>& inherited, Item& it) const {
    it.link = std::move(d.link.value);
    it.title = std::move(d.title.value);
    it.summary = std::move(d.summary.value);
    it.content = std::move(d.content.value);
    it.author = join(d.authors.empty() ? inherited : d.authors, ", ");
    it.categories = std::move(d.categories);
    it.published = std::move(d.published.value);
    it.updated = std::move(d.updated.value);
    it.id = std::move(d.id.value);
    if (it.id.empty()) it.id = link_identity(it.link);
    if (it.id.empty()) {
        // Neither id nor link: what identifies the item to a reader is its
        // title and date (its text when it has neither); unit separators keep
        // the parts apart.
        std::string key = it.title + '\x1f' + (it.published.empty() ? it.updated : it.published);
        if (it.title.empty() && it.published.empty() && it.updated.empty())
            key += '\x1f' + it.summary + '\x1f' + it.content;
        it.id = "hash:" + hash_hex(key);
    }
}

template <class Node>
Feed Reader<Node>::rss(const Scope& root, bool rdf) {
    Feed feed;
    feed.format = "rss2.0";
    if (rdf) {
        feed.format = "rss1.0";
        for (Node c = root.node.first_child(); c; c = c.next_sibling()) {
            if (c.type() != pugi::node_element) continue;
            const Scope cs = enter(root, c);
            if (normalize_uri(element_name(cs).uri) == kRss090) feed.format = "rss0.9x";
        }
    } else {
        const std::string version = trimmed(attribute(root.node, "version"));
        if (version.starts_with("0.")) feed.format = "rss0.9x";
    }

    Draft channel;
    bool have_channel = false;
    auto read_item = [&](const Scope& item) {
        Draft d;
        if (rdf) d.id.offer(1, trimmed(attribute_ns(item, Ns::rdf, "about")));
        for (Node c = item.node.first_child(); c; c = c.next_sibling())
            if (c.type() == pugi::node_element) item_child(enter(item, c), d);
        finish(d, {}, feed.items.emplace_back());
    };
    // Items belong in the channel (RSS 0.9x/2.0) or beside it (RSS 1.0);
    // feeds put them in either place, so both are read, in document order.
    for (Node c = root.node.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        const Scope cs = enter(root, c);
        const QName q = element_name(cs);
        if (q.ns != Ns::none && q.ns != Ns::rss) continue;
        LowerName lowered{q.local};
        const std::string_view local = lowered.view();
        if (local == "item") {
            read_item(cs);
        } else if (local == "channel") {
            // Items are most of a channel: room for them at once, not by
            // doubling (each doubling moved every Item). Counted by a look
            // at the names, a superset of the items read below, no larger
            // than the item elements a document really holds.
            std::size_t items = 0;
            for (Node e = c.first_child(); e; e = e.next_sibling())
                if (e.type() == pugi::node_element) {
                    const std::string_view name = e.name();
                    items += name.size() >= 4 && iequals(name.substr(name.size() - 4), "item");
                }
            feed.items.reserve(feed.items.size() + items);
            for (Node e = c.first_child(); e; e = e.next_sibling()) {
                if (e.type() != pugi::node_element) continue;
                const Scope es = enter(cs, e);
                const QName eq = element_name(es);
                if ((eq.ns == Ns::none || eq.ns == Ns::rss) && iequals(eq.local, "item"))
                    read_item(es);
                else if (!have_channel)
                    feed_child(es, channel);
            }
            have_channel = true;
        }
    }
    feed.title = std::move(channel.title.value);
    feed.link = std::move(channel.link.value);
    feed.updated = std::move(channel.updated.value);
    return feed;
}

// Microsoft's Channel Definition Format (1997): a <CHANNEL> root with HREF,
// BASE and LASTMOD attributes, <TITLE> and <ABSTRACT> children, <ITEM>s
// (also inside sub-channels) with the same. Names are case-insensitive.
template <class Node>
Feed Reader<Node>::cdf(const Scope& root) {
    Feed feed;
    feed.format = "cdf";
    auto attr = [](Node el, std::string_view name) {
        for (auto a = el.first_attribute(); a; a = a.next_attribute())
            if (iequals(a.name(), name)) return std::string(a.value());
        return std::string{};
    };
    auto based = [&](const Scope& parent, Node el) {
        Scope s = enter(parent, el);
        if (const std::string b = trim(decode(attr(el, "base"))); !b.empty())
            s.set_base(resolve_url(parent.base, b));
        return s;
    };
    auto read_text = [&](const Scope& el, Draft& d) {
        for (Node c = el.node.first_child(); c; c = c.next_sibling()) {
            if (c.type() != pugi::node_element) continue;
            if (iequals(c.name(), "title"))
                d.title.offer(0, sniffed(c));
            else if (iequals(c.name(), "abstract"))
                d.summary.offer(0, sniffed(c));
        }
        if (const std::string href = trim(decode(attr(el.node, "href"))); !href.empty())
            d.link.offer(0, resolve_url(el.base, href));
        d.updated.offer(0, normalize_date(decode(attr(el.node, "lastmod"))));
    };
    const Scope top = based(*root.parent, root.node);
    Draft head;
    read_text(top, head);
    // Sub-channels nest; they are walked with an explicit stack.
    std::vector<Scope> channels{top};
    std::size_t next = 0;
    while (next < channels.size() && channels.size() < 10000) {
        const Scope ch = channels[next++];
        for (Node c = ch.node.first_child(); c; c = c.next_sibling()) {
            if (c.type() != pugi::node_element) continue;
            if (iequals(c.name(), "channel")) {
                channels.push_back(based(ch, c));
            } else if (iequals(c.name(), "item")) {
                const Scope is = based(ch, c);
                Draft d;
                read_text(is, d);
                finish(d, {}, feed.items.emplace_back());
            }
        }
    }
    feed.title = std::move(head.title.value);
    feed.link = std::move(head.link.value);
    feed.updated = std::move(head.updated.value);
    return feed;
}

template <class Node>
Feed Reader<Node>::atom(const Scope& root, bool entry_only) {
    Feed feed;
    feed.format = family_ == Ns::atom03 ? "atom0.3" : "atom1.0";
    auto is_atom = [](const QName& q) {
        return q.ns == Ns::atom10 || q.ns == Ns::atom03 || q.ns == Ns::none;
    };

    auto read_entry = [&](const Scope& entry, const std::vector<std::string>& feed_authors) {
        Draft d;
        std::vector<std::string> source_authors;
        for (Node c = entry.node.first_child(); c; c = c.next_sibling()) {
            if (c.type() != pugi::node_element) continue;
            const Scope cs = enter(entry, c);
            const QName q = element_name(cs);
            if (is_atom(q) && q.local == "source") {
                // An entry copied from another feed keeps that feed's authors.
                Draft source;
                for (Node s = c.first_child(); s; s = s.next_sibling())
                    if (s.type() == pugi::node_element) feed_child(enter(cs, s), source);
                source_authors = std::move(source.authors);
                continue;
            }
            item_child(cs, d);
        }
        // An entry without an author has its source's, else the feed's (RFC 4287 4.2.1).
        finish(d, source_authors.empty() ? feed_authors : source_authors,
               feed.items.emplace_back());
    };

    if (entry_only) {
        read_entry(root, {});
        return feed;
    }
    Draft head;
    // The feed's authors may follow its entries: read the feed-level
    // elements first.
    std::size_t entries = 0;
    for (Node c = root.node.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        const Scope cs = enter(root, c);
        const QName q = element_name(cs);
        if (!(is_atom(q) && (q.local == "entry" || q.local == "item")))
            feed_child(cs, head);
        else
            ++entries;
    }
    // Room for the entries at once: each doubling moved every Item.
    feed.items.reserve(entries);
    for (Node c = root.node.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        const Scope cs = enter(root, c);
        const QName q = element_name(cs);
        // An <item> in an Atom feed is an entry written by an RSS habit.
        if (is_atom(q) && (q.local == "entry" || q.local == "item")) read_entry(cs, head.authors);
    }
    feed.title = std::move(head.title.value);
    feed.link = std::move(head.link.value);
    feed.updated = std::move(head.updated.value);
    return feed;
}

template <class Node>
Result<Feed> Reader<Node>::read(Node doc, FeedFamily family) {
    // pugi::xml_document::document_element(): the first element child.
    Node root_el;
    for (Node c = doc.first_child(); c && !root_el; c = c.next_sibling())
        if (c.type() == pugi::node_element) root_el = c;
    const Scope top{nullptr, doc, base_url_, nullptr, {}, {}, false};
    const Scope root = enter(top, root_el);
    const QName q = split(root_el.name(), root, false);
    const std::string shown = "<" + std::string(root_el.name()) + ">";
    // Feeds are recognized by their root's local name: namespaces vary
    // (RSS 2.0 in UserLand's, Atom drafts in their own) more than names do.
    const bool is_rss = iequals(q.local, "rss") && q.ns != Ns::atom10 && q.ns != Ns::atom03;
    const bool is_rdf = q.local == "RDF" && (q.ns == Ns::rdf || q.ns == Ns::rss);
    const bool atomish = q.ns != Ns::rss && q.ns != Ns::rdf && q.ns != Ns::xhtml;
    const bool is_feed = q.local == "feed" && atomish;
    const bool is_entry = q.local == "entry" && (q.ns == Ns::atom10 || q.ns == Ns::atom03);

    if (is_rss || is_rdf) {
        if (family == FeedFamily::atom)
            return make_error("not an Atom feed: root element is " + shown +
                              " (an RSS feed; the source's format says atom)");
        family_ = Ns::rss;
        family_uri_ = q.uri;
        return rss(root, is_rdf);
    }
    if (is_feed || is_entry) {
        if (family == FeedFamily::rss)
            return make_error("not an RSS feed: root element is " + shown +
                              " (an Atom feed; the source's format says rss)");
        const bool old =
            q.ns == Ns::atom03 ||
            (q.ns != Ns::atom10 && trimmed(attribute(root_el, "version")).starts_with("0."));
        family_ = old ? Ns::atom03 : Ns::atom10;
        family_uri_ = q.uri;
        return atom(root, is_entry);
    }
    if (iequals(q.local, "channel") && q.ns == Ns::none) {
        if (family == FeedFamily::atom)
            return make_error("not an Atom feed: root element is " + shown +
                              " (a CDF channel; the source's format says atom)");
        return cdf(root);
    }
    std::string what = "not a feed: root element is " + shown;
    if (iequals(q.local, "html")) what += " (a web page, not RSS or Atom)";
    return make_error(what);
}

// "line L, column C" of a byte offset, counting columns in characters.
std::string position(std::string_view text, std::ptrdiff_t offset) {
    const auto end = static_cast<std::size_t>(
        std::clamp<std::ptrdiff_t>(offset, 0, static_cast<std::ptrdiff_t>(text.size())));
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < end; ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// The name of the first element, read the way an HTML page starts: for a
// document pugixml rejects, whether it is a web page is the useful news.
std::string first_element_name(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        i = text.find('<', i);
        if (i == std::string_view::npos || i + 1 >= text.size()) return "";
        const char c = text[i + 1];
        if (c == '!' || c == '?') {
            if (iequals(text.substr(i, 14), "<!doctype html")) return "html";
            const std::size_t end =
                text.substr(i, 4) == "<!--" ? text.find("-->", i) : text.find('>', i);
            if (end == std::string_view::npos) return "";
            i = end + 1;
            continue;
        }
        std::size_t j = i + 1;
        while (j < text.size() && text[j] != '>' && text[j] != '/' && text[j] != ' ' &&
               text[j] != '\t' && text[j] != '\r' && text[j] != '\n' && j - i < 64)
            ++j;
        return std::string(text.substr(i + 1, j - i - 1));
    }
    return "";
}

}  // namespace

Result<Feed> parse_xml_feed_dom(std::string_view utf8, std::string_view base_url,
                                FeedFamily family) {
    // pugixml's own reference decoding is off: it knows only XML's five named
    // references and would leave "&nbsp;" and "&amp;nbsp;" alike as "&nbsp;".
    // Decoding ourselves keeps HTML's named references (RSS 0.91's DTD
    // declares them) apart from escaped text. pugixml expands no DTD entities,
    // so billion-laughs documents stay small.
    const std::string_view start =
        utf8.substr(std::min(utf8.size(), utf8.find_first_not_of(" \t\r\n")));
    if (start.empty()) return make_error("not a feed: the document is empty");
    if (start.front() != '<') {
        // JSON, plain text, a server's error message: show how it starts.
        std::string shown = clean_text(start.substr(0, 40));
        if (start.size() > 40) shown += "...";
        return make_error("not a feed: the document is not XML (it starts with \"" + shown + "\")");
    }
    pugi::xml_document doc;
    const pugi::xml_parse_result r =
        doc.load_buffer(utf8.data(), utf8.size(), xml_views::kPugiOptions, pugi::encoding_utf8);
    if (!r) {
        const std::string first = first_element_name(utf8);
        if (iequals(first, "html"))
            return make_error("not a feed: root element is <html> (a web page, not RSS or Atom)");
        if (r.status == pugi::status_no_document_element)
            return make_error("not a feed: the document has no root element");
        std::string what = r.description();
        if (!what.empty())
            what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
        // pugixml reports a cut-off document where it ends; say so plainly.
        if (r.offset + 1 >= static_cast<std::ptrdiff_t>(utf8.size()))
            what = r.status == pugi::status_end_element_mismatch
                       ? "the document ends before its elements are closed (truncated?)"
                       : what + " at the end of the document (truncated?)";
        return make_error("XML error at " + position(utf8, r.offset) + ": " + what);
    }
    const DtdEntities entities{utf8};
    Reader<pugi::xml_node> reader{base_url, entities};
    return reader.read(doc, family);
}

std::optional<Result<Feed>> parse_xml_feed_views(std::string_view utf8, std::string_view base_url,
                                                 FeedFamily family) {
    xml_views::Document doc;
    if (!doc.read(utf8)) return std::nullopt;
    // The views refuse a DOCTYPE, so the document declares no entities: no
    // need to look for its declarations again.
    const DtdEntities entities{std::string_view{}};
    Reader<xml_views::Node> reader{base_url, entities};
    return reader.read(doc.root(), family);
}

Result<Feed> parse_xml_feed(std::string_view utf8, std::string_view base_url, FeedFamily family) {
    // Most feeds are plain XML: read as views of the bytes, without building
    // pugixml's DOM; a document the views reader refuses takes the DOM path.
    if (auto feed = parse_xml_feed_views(utf8, base_url, family)) return std::move(*feed);
    return parse_xml_feed_dom(utf8, base_url, family);
}

}  // namespace specwatch::parse
