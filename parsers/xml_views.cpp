#include "parsers/xml_views.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

namespace specwatch::parse::xml_views {

namespace {

// Byte classes, one table look-up each: elements and attributes are read
// byte by byte (names are short, so scanning them wider does not pay).
enum : unsigned char { kSpace = 1, kNameStart = 2, kName = 4 };
constexpr std::array<unsigned char, 256> kClass = [] {
    std::array<unsigned char, 256> t{};
    // pugixml's white space (ct_space); "\r" never gets this far.
    t[' '] = t['\t'] = t['\n'] = kSpace;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = kNameStart | kName;
    t['_'] = kNameStart | kName;
    for (int c = '0'; c <= '9'; ++c) t[c] = kName;
    t['.'] = t['-'] = t[':'] = kName;
    return t;
}();

bool is(char c, unsigned char cls) {
    return (kClass[static_cast<unsigned char>(c)] & cls) != 0;
}
bool is_space(char c) {
    return is(c, kSpace);
}

// The length of the name at s[i] (0: none), of [A-Za-z_][A-Za-z0-9_.:-]*.
// A name pugixml would read on (bytes above 0x7F are name characters to it)
// ends here on a byte that is then not accepted as what follows a name, so
// the caller bails.
// Inlined: called for every tag, a call cost as much as a short name.
[[gnu::always_inline]] inline std::size_t name_length(std::string_view s, std::size_t i) {
    if (i >= s.size() || !is(s[i], kNameStart)) return 0;
    std::size_t j = i + 1;
    while (j < s.size() && is(s[j], kName)) ++j;
    return j - i;
}

std::size_t skip_space(std::string_view s, std::size_t i) {
    while (i < s.size() && is_space(s[i])) ++i;
    return i;
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
    // About one node per 40 bytes in the benchmark's WordPress feed, one per
    // 25 in terse ones: one allocation for most documents (a reserve that
    // is not used is not touched, so it costs address space, not memory).
    nodes_.reserve(n / 16 + 16);
    attributes_.reserve(n / 512 + 16);
    nodes_.emplace_back().type = pugi::node_document;

    std::size_t i = skip_space(s, 0);
    // The XML declaration (pugixml skips it with parse_declaration off).
    if (s.substr(i, 5) == "<?xml" && i + 5 < n && is_space(s[i + 5])) {
        const auto end = s.find("?>", i + 5);
        if (end == std::string_view::npos) return false;
        if (s.substr(i, end - i).find('<', 1) != std::string_view::npos) return false;
        i = end + 2;
    }

    // The open elements, the document first: each with where its next
    // child goes. Fixed, as deep as the reader goes.
    struct Open {
        std::uint32_t node;
        std::uint32_t last_child;
    };
    std::array<Open, kMaxDepth + 2> open;
    std::size_t depth = 0;  // open[depth] is the current element
    open[0] = {0, 0};
    bool root_done = false;

    const char* const p = s.data();
    auto append = [&](pugi::xml_node_type type, std::string_view text) {
        Open& top = open[depth];
        const auto index = static_cast<std::uint32_t>(nodes_.size());
        NodeData& d = nodes_.emplace_back();
        d.text = text;
        d.type = type;
        d.parent = top.node;
        if (top.last_child == 0)
            nodes_[top.node].first_child = index;
        else
            nodes_[top.last_child].next_sibling = index;
        top.last_child = index;
        return index;
    };

    while (i < n) {
        if (p[i] != '<') {
            // Most runs are short (a line break and indentation between
            // elements): a few bytes are looked at before calling memchr.
            std::size_t end = i + 1;
            const std::size_t near = std::min(n, i + 16);
            while (end < near && p[end] != '<') ++end;
            if (end == near && end < n) {
                const void* lt = std::memchr(p + end, '<', n - end);
                end =
                    lt == nullptr ? n : static_cast<std::size_t>(static_cast<const char*>(lt) - p);
            }
            const std::string_view text(p + i, end - i);
            if (depth == 0) {
                if (!all_space(text)) return false;
            } else {
                append(pugi::node_pcdata, text);
            }
            i = end;
            continue;
        }
        if (i + 1 >= n) return false;
        const char c = p[i + 1];
        if (c == '!') {
            if (i + 3 < n && p[i + 2] == '-' && p[i + 3] == '-') {
                const auto end = s.find("-->", i + 4);
                if (end == std::string_view::npos) return false;
                i = end + 3;
                continue;
            }
            if (depth > 0 && n - i >= 9 && std::memcmp(p + i, "<![CDATA[", 9) == 0) {
                // "]]>": each "]" found by memchr, most sections have none.
                std::size_t end = i + 9;
                while (true) {
                    const void* b = std::memchr(p + end, ']', n - end);
                    if (b == nullptr) return false;
                    end = static_cast<std::size_t>(static_cast<const char*>(b) - p);
                    if (end + 2 < n && p[end + 1] == ']' && p[end + 2] == '>') break;
                    ++end;
                }
                append(pugi::node_cdata, std::string_view(p + i + 9, end - i - 9));
                i = end + 3;
                continue;
            }
            return false;  // a DOCTYPE, or CDATA outside the root
        }
        if (c == '?') return false;  // processing instructions after the prolog
        if (c == '/') {
            if (depth == 0) return false;
            // The open element's name, and then no more of a name.
            const std::string_view name = nodes_[open[depth].node].text;
            std::size_t j = i + 2;
            if (n - j < name.size()) return false;
            for (const char ch : name)
                if (p[j++] != ch) return false;
            if (j < n && is(p[j], kName)) return false;
            j = skip_space(s, j);
            if (j >= n || p[j] != '>') return false;
            i = j + 1;
            if (--depth == 0) root_done = true;
            continue;
        }
        // A start tag.
        if (depth == 0 && root_done) return false;  // a second root
        const std::size_t len = name_length(s, i + 1);
        if (len == 0) return false;
        const auto first_attribute = static_cast<std::uint32_t>(attributes_.size());
        const std::uint32_t el = append(pugi::node_element, std::string_view(p + i + 1, len));
        std::size_t j = i + 1 + len;
        bool closed = false;  // <name/>
        if (j < n && p[j] == '>') {
            ++j;  // most elements: no attributes
        } else {
            while (true) {
                const std::size_t before = j;
                j = skip_space(s, j);
                if (j >= n) return false;
                if (p[j] == '>') {
                    ++j;
                    break;
                }
                if (p[j] == '/') {
                    if (j + 1 >= n || p[j + 1] != '>') return false;
                    j += 2;
                    closed = true;
                    break;
                }
                if (j == before) return false;  // attributes are separated by white space
                const std::size_t alen = name_length(s, j);
                if (alen == 0) return false;
                const std::string_view aname(p + j, alen);
                j = skip_space(s, j + alen);
                if (j >= n || p[j] != '=') return false;
                j = skip_space(s, j + 1);
                if (j >= n || (p[j] != '"' && p[j] != '\'')) return false;
                const auto close = s.find(p[j], j + 1);
                if (close == std::string_view::npos) return false;
                const std::string_view value(p + j + 1, close - j - 1);
                // pugixml turns tabs and line breaks into spaces there.
                for (const char v : value)
                    if (v == '<' || v == '\t' || v == '\n') return false;
                attributes_.push_back({aname, value});
                j = close + 1;
                if (j < n && !is_space(p[j]) && p[j] != '>' && p[j] != '/') return false;
            }
        }
        NodeData& d = nodes_[el];
        d.first_attribute = first_attribute;
        d.attribute_end = static_cast<std::uint32_t>(attributes_.size());
        i = j;
        if (!closed) {
            if (depth + 1 > kMaxDepth) return false;
            open[++depth] = {el, 0};
        } else if (depth == 0) {
            root_done = true;
        }
    }
    return depth == 0 && root_done;
}

}  // namespace specwatch::parse::xml_views
