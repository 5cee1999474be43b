#include "parsers/xml_views.h"

#include <cstring>
#include <limits>

namespace specwatch::parse::xml_views {

namespace {

// pugixml's white space (ct_space); "\r" never gets this far.
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n';
}

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':';
}

// The length of the name at s[i] (0: none). A name pugixml would read on
// (bytes above 0x7F are name characters to it) ends here on a byte that is
// then not accepted as what follows a name, so the caller bails.
std::size_t name_length(std::string_view s, std::size_t i) {
    if (i >= s.size() || !is_name_start(s[i])) return 0;
    std::size_t j = i + 1;
    while (j < s.size() && is_name_char(s[j])) ++j;
    return j - i;
}

std::size_t skip_space(std::string_view s, std::size_t i) {
    while (i < s.size() && is_space(s[i])) ++i;
    return i;
}

NodeData text_node(pugi::xml_node_type type, std::string_view value) {
    NodeData d;
    d.type = type;
    d.value = value;
    return d;
}

NodeData element_node(std::string_view name, std::uint32_t first_attribute) {
    NodeData d;
    d.type = pugi::node_element;
    d.name = name;
    d.first_attribute = d.attribute_end = first_attribute;
    return d;
}

bool all_space(std::string_view s) {
    for (const char c : s)
        if (!is_space(c)) return false;
    return true;
}

}  // namespace

bool Document::read(std::string_view s) {
    nodes_.clear();
    attributes_.clear();
    const std::size_t n = s.size();
    // Indexes are 32 bits; pugixml stops at a NUL and rewrites "\r".
    if (n >= std::numeric_limits<std::uint32_t>::max() / 2) return false;
    if (n == 0 || std::memchr(s.data(), '\0', n) != nullptr ||
        std::memchr(s.data(), '\r', n) != nullptr)
        return false;
    // About one node per 60 bytes in the fixtures' feeds: one allocation
    // for most documents.
    nodes_.reserve(n / 48 + 16);
    attributes_.reserve(n / 512 + 16);
    nodes_.push_back(text_node(pugi::node_document, {}));

    std::size_t i = skip_space(s, 0);
    // The XML declaration (pugixml skips it with parse_declaration off).
    if (s.substr(i, 5) == "<?xml" && i + 5 < n && is_space(s[i + 5])) {
        const auto end = s.find("?>", i + 5);
        if (end == std::string_view::npos) return false;
        if (s.substr(i, end - i).find('<', 1) != std::string_view::npos) return false;
        i = end + 2;
    }

    // The open elements: the current one and where its next child goes.
    struct Open {
        std::uint32_t node;
        std::uint32_t last_child;
    };
    std::vector<Open> open;
    open.reserve(16);
    open.push_back({0, 0});
    bool root_done = false;

    auto append = [&](NodeData d) {
        Open& top = open.back();
        const auto index = static_cast<std::uint32_t>(nodes_.size());
        d.parent = top.node;
        nodes_.push_back(d);
        if (top.last_child == 0)
            nodes_[top.node].first_child = index;
        else
            nodes_[top.last_child].next_sibling = index;
        top.last_child = index;
        return index;
    };

    while (i < n) {
        if (s[i] != '<') {
            const void* lt = std::memchr(s.data() + i, '<', n - i);
            const std::size_t end =
                lt == nullptr ? n
                              : static_cast<std::size_t>(static_cast<const char*>(lt) - s.data());
            const std::string_view text = s.substr(i, end - i);
            if (open.size() == 1) {
                if (!all_space(text)) return false;
            } else {
                append(text_node(pugi::node_pcdata, text));
            }
            i = end;
            continue;
        }
        if (i + 1 >= n) return false;
        const char c = s[i + 1];
        if (c == '!') {
            if (s.substr(i, 4) == "<!--") {
                const auto end = s.find("-->", i + 4);
                if (end == std::string_view::npos) return false;
                i = end + 3;
                continue;
            }
            if (s.substr(i, 9) == "<![CDATA[" && open.size() > 1) {
                const auto end = s.find("]]>", i + 9);
                if (end == std::string_view::npos) return false;
                append(text_node(pugi::node_cdata, s.substr(i + 9, end - i - 9)));
                i = end + 3;
                continue;
            }
            return false;  // a DOCTYPE, or CDATA outside the root
        }
        if (c == '?') return false;  // processing instructions after the prolog
        if (c == '/') {
            if (open.size() == 1) return false;
            const std::size_t len = name_length(s, i + 2);
            if (len == 0 || s.substr(i + 2, len) != nodes_[open.back().node].name) return false;
            const std::size_t j = skip_space(s, i + 2 + len);
            if (j >= n || s[j] != '>') return false;
            i = j + 1;
            open.pop_back();
            if (open.size() == 1) root_done = true;
            continue;
        }
        // A start tag.
        if (open.size() == 1 && root_done) return false;  // a second root
        const std::size_t len = name_length(s, i + 1);
        if (len == 0) return false;
        const auto first_attribute = static_cast<std::uint32_t>(attributes_.size());
        const std::uint32_t el = append(element_node(s.substr(i + 1, len), first_attribute));
        std::size_t j = i + 1 + len;
        bool closed = false;  // <name/>
        while (true) {
            const std::size_t before = j;
            j = skip_space(s, j);
            if (j >= n) return false;
            if (s[j] == '>') {
                ++j;
                break;
            }
            if (s[j] == '/') {
                if (j + 1 >= n || s[j + 1] != '>') return false;
                j += 2;
                closed = true;
                break;
            }
            if (j == before) return false;  // attributes are separated by white space
            const std::size_t alen = name_length(s, j);
            if (alen == 0) return false;
            const std::string_view aname = s.substr(j, alen);
            j = skip_space(s, j + alen);
            if (j >= n || s[j] != '=') return false;
            j = skip_space(s, j + 1);
            if (j >= n || (s[j] != '"' && s[j] != '\'')) return false;
            const auto close = s.find(s[j], j + 1);
            if (close == std::string_view::npos) return false;
            const std::string_view value = s.substr(j + 1, close - j - 1);
            // pugixml turns tabs and line breaks into spaces there.
            for (const char v : value)
                if (v == '<' || v == '\t' || v == '\n') return false;
            attributes_.push_back({aname, value});
            j = close + 1;
            if (j < n && !is_space(s[j]) && s[j] != '>' && s[j] != '/') return false;
        }
        nodes_[el].attribute_end = static_cast<std::uint32_t>(attributes_.size());
        i = j;
        if (!closed) {
            if (open.size() > kMaxDepth) return false;
            open.push_back({el, 0});
        } else if (open.size() == 1) {
            root_done = true;
        }
    }
    return open.size() == 1 && root_done;
}

}  // namespace specwatch::parse::xml_views
