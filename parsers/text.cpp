#include "parsers/text.h"

#include "common/text.h"
#include "parsers/encoding.h"

#include <gumbo.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

namespace specwatch::parse {

namespace {

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_html_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

template <std::size_t N>
constexpr bool among(std::string_view name, const std::array<std::string_view, N>& set) {
    return std::find(set.begin(), set.end(), name) != set.end();
}

constexpr std::array<std::string_view, 53> kBlock{
    "address",    "article", "aside",   "blockquote", "body",  "br",     "caption", "center",
    "dd",         "details", "dialog",  "dir",        "div",   "dl",     "dt",      "fieldset",
    "figcaption", "figure",  "footer",  "form",       "h1",    "h2",     "h3",      "h4",
    "h5",         "h6",      "header",  "hgroup",     "hr",    "html",   "legend",  "li",
    "listing",    "main",    "menu",    "nav",        "ol",    "option", "p",       "plaintext",
    "pre",        "search",  "section", "summary",    "table", "tbody",  "td",      "tfoot",
    "th",         "thead",   "tr",      "ul",         "xmp",
};
constexpr std::array<std::string_view, 9> kHidden{
    "script", "style", "template", "iframe", "noembed", "noframes", "head", "object", "embed",
};
// Elements that never have content: their start tags do not nest.
constexpr std::array<std::string_view, 16> kVoid{
    "area", "base", "br",    "col",    "embed", "hr",  "img",    "input",
    "link", "meta", "param", "source", "track", "wbr", "keygen", "basefont",
};

// --- A linear HTML tag scanner ---------------------------------------------
//
// Follows the HTML5 tokenizer for what matters to text: tags (attribute values
// may hold ">"), comments, bogus comments, and the elements whose content is
// raw text. It builds no tree; it is what both the gumbo guard and the
// fallback conversion run on, in one pass over the input.

enum class Raw { none, rawtext, rcdata, plaintext };

Raw raw_kind(std::string_view name) {
    if (name == "script" || name == "style" || name == "xmp" || name == "iframe" ||
        name == "noembed" || name == "noframes")
        return Raw::rawtext;
    if (name == "textarea" || name == "title") return Raw::rcdata;
    if (name == "plaintext") return Raw::plaintext;
    return Raw::none;
}

// Index of "</name" (case-insensitive) followed by a tag-ending character, at
// or after `from`; npos when there is none.
std::size_t find_end_tag(std::string_view s, std::string_view name, std::size_t from) {
    for (std::size_t i = s.find("</", from); i != std::string_view::npos; i = s.find("</", i + 1)) {
        const std::size_t n = i + 2;
        if (n + name.size() > s.size()) return std::string_view::npos;
        bool same = true;
        for (std::size_t k = 0; k < name.size() && same; ++k) same = lower(s[n + k]) == name[k];
        if (!same) continue;
        const std::size_t after = n + name.size();
        if (after == s.size() || is_html_space(s[after]) || s[after] == '/' || s[after] == '>')
            return i;
    }
    return std::string_view::npos;
}

struct TagEnd {
    std::size_t next;   // index after the tag
    bool self_closing;  // it ended with "/>"
    bool complete;      // false: the input ended inside the tag
};

// Skips a tag's attributes from `i` as the HTML5 tokenizer reads them: only
// a quote right after "=" starts a quoted value, which may hold ">".
TagEnd skip_attributes(std::string_view s, std::size_t i) {
    const std::size_t n = s.size();
    auto skip_space = [&] {
        while (i < n && is_html_space(s[i])) ++i;
    };
    while (true) {
        skip_space();
        if (i >= n) return {n, false, false};
        if (s[i] == '>') return {i + 1, false, true};
        if (s[i] == '/') {
            if (i + 1 < n && s[i + 1] == '>') return {i + 2, true, true};
            ++i;
            continue;
        }
        ++i;  // the first character of a name may be anything, "=" included
        while (i < n && !is_html_space(s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=') ++i;
        skip_space();
        if (i >= n || s[i] != '=') continue;
        ++i;
        skip_space();
        if (i < n && (s[i] == '"' || s[i] == '\'')) {
            const auto q = s.find(s[i], i + 1);
            if (q == std::string_view::npos) return {n, false, false};
            i = q + 1;
        } else {
            while (i < n && !is_html_space(s[i]) && s[i] != '>') ++i;
        }
    }
}

template <class Visitor>
void scan_html(std::string_view s, Visitor& v) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto lt = s.find('<', i);
        if (lt == std::string_view::npos) {
            v.text(s.substr(i));
            return;
        }
        if (lt > i) v.text(s.substr(i, lt - i));
        i = lt;
        const char next = i + 1 < s.size() ? s[i + 1] : '\0';
        if (next == '!' || next == '?') {
            if (s.substr(i, 4) == "<!--") {
                std::size_t from = i + 4;
                // "<!-->" and "<!--->" are complete (empty) comments.
                if (s.substr(from, 1) == ">") from = i + 2;
                if (s.substr(from, 2) == "->") from = i + 3;
                const auto end = s.find("-->", from);
                i = end == std::string_view::npos ? s.size() : end + 3;
            } else {  // a doctype, "<![CDATA[" outside foreign content, "<?pi": bogus comments
                const auto end = s.find('>', i);
                i = end == std::string_view::npos ? s.size() : end + 1;
            }
            continue;
        }
        const bool end_tag = next == '/';
        const std::size_t name_at = end_tag ? i + 2 : i + 1;
        if (name_at >= s.size() || !is_alpha(s[name_at])) {
            if (end_tag && name_at < s.size()) {  // "</>" is dropped, "</3" a bogus comment
                const auto end = s.find('>', i);
                i = end == std::string_view::npos ? s.size() : end + 1;
            } else {
                v.text("<");  // a "<" that starts no tag is text
                ++i;
            }
            continue;
        }
        std::size_t j = name_at;
        std::string name;
        while (j < s.size() && !is_html_space(s[j]) && s[j] != '/' && s[j] != '>') {
            name += lower(s[j]);
            ++j;
        }
        const TagEnd tag = skip_attributes(s, j);
        if (!tag.complete) return;  // the input ended inside a tag: HTML drops it
        i = tag.next;
        if (end_tag) {
            v.end(name);
            continue;
        }
        v.start(name, tag.self_closing);
        const Raw kind = raw_kind(name);
        if (kind == Raw::none) continue;
        if (kind == Raw::plaintext) {
            v.raw(name, s.substr(i), kind);
            return;
        }
        const auto close = find_end_tag(s, name, i);
        const std::size_t stop = close == std::string_view::npos ? s.size() : close;
        v.raw(name, s.substr(i, stop - i), kind);
        i = stop;
    }
}

// Counts tags and the nesting depth a naive reading gives (end tags close
// the innermost open element of their name; unknown ones are ignored).
class Guard {
  public:
    void text(std::string_view) {}
    void start(const std::string& name, bool self_closing) {
        ++tags;
        if (self_closing || among(name, kVoid)) return;
        stack_.push_back(name);
        ++open_[name];
        depth = std::max(depth, stack_.size());
    }
    void end(const std::string& name) {
        ++tags;
        auto it = open_.find(name);
        if (it == open_.end() || it->second == 0) return;
        while (!stack_.empty()) {
            const std::string top = std::move(stack_.back());
            stack_.pop_back();
            --open_[top];
            if (top == name) break;
        }
    }
    void raw(const std::string& name, std::string_view, Raw) { end(name); }

    std::size_t tags = 0;
    std::size_t depth = 0;

  private:
    std::vector<std::string> stack_;
    std::unordered_map<std::string, std::size_t> open_;
};

// Text with references still encoded ("&lt;" standing for a literal "<"),
// decoded in one go at the end.
class LinearText {
  public:
    void text(std::string_view t) {
        if (t == "<")
            out += "&lt;";
        else
            out += t;
    }
    void start(const std::string& name, bool) {
        if (is_block_element(name)) out += ' ';
    }
    void end(const std::string& name) { start(name, false); }
    void raw(const std::string& name, std::string_view content, Raw kind) {
        if (is_hidden_element(name)) return;
        for (char c : content) {
            if (c == '<')
                out += "&lt;";
            else if (c == '&' && kind != Raw::rcdata)
                out += "&amp;";  // raw text has no references
            else
                out += c;
        }
    }

    std::string out;
};

// --- gumbo -----------------------------------------------------------------

struct GumboParse {
    GumboOptions options = kGumboDefaultOptions;
    GumboOutput* output = nullptr;

    explicit GumboParse(std::string_view html) {
        options.fragment_context = GUMBO_TAG_DIV;
        options.max_errors = 0;  // errors are not reported: do not collect them
        output = gumbo_parse_with_options(&options, html.data(), html.size());
    }
    ~GumboParse() {
        if (output) gumbo_destroy_output(&options, output);
    }
    GumboParse(const GumboParse&) = delete;
    GumboParse& operator=(const GumboParse&) = delete;
};

// The text of a gumbo tree, walked without recursion (trees can be deep).
std::string gumbo_text(const GumboNode* root) {
    std::string out;
    struct Frame {
        const GumboNode* node;
        unsigned next_child;
    };
    std::vector<Frame> stack{{root, 0}};
    while (!stack.empty()) {
        Frame& f = stack.back();
        const GumboNode* n = f.node;
        if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
            n->type == GUMBO_NODE_CDATA) {
            out += n->v.text.text;
            stack.pop_back();
            continue;
        }
        if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_DOCUMENT) {
            stack.pop_back();  // comments, template contents
            continue;
        }
        const GumboVector& children =
            n->type == GUMBO_NODE_ELEMENT ? n->v.element.children : n->v.document.children;
        std::string_view name;
        if (n->type == GUMBO_NODE_ELEMENT) name = gumbo_normalized_tagname(n->v.element.tag);
        if (f.next_child == 0) {
            if (is_hidden_element(name)) {
                stack.pop_back();
                continue;
            }
            if (is_block_element(name)) out += ' ';
        }
        if (f.next_child < children.length) {
            const auto* child = static_cast<const GumboNode*>(children.data[f.next_child]);
            ++f.next_child;
            stack.push_back({child, 0});
            continue;
        }
        if (is_block_element(name)) out += ' ';
        stack.pop_back();
    }
    return out;
}

// Code points for &#128;–&#159;, as HTML5 reads them (windows-1252).
constexpr std::array<char32_t, 32> kC1{
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178,
};

void append_utf8(std::string& out, char32_t cp) {
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp >= 0x80 && cp <= 0x9F) cp = kC1[cp - 0x80];
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// The common references, decoded without a parser; false when `s` has one
// this does not know (the full table is gumbo's).
bool decode_common(std::string_view s, std::string& out) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kNamed{{
        {"amp;", "&"},
        {"lt;", "<"},
        {"gt;", ">"},
        {"quot;", "\""},
        {"apos;", "'"},
        {"nbsp;", "\xC2\xA0"},
    }};
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto amp = s.find('&', i);
        if (amp == std::string_view::npos) {
            out.append(s.substr(i));
            break;
        }
        out.append(s.substr(i, amp - i));
        i = amp + 1;
        if (i >= s.size() || (!is_alpha(s[i]) && s[i] != '#')) {
            out += '&';  // "Q & A": no reference
            continue;
        }
        if (s[i] == '#') {
            std::size_t j = i + 1;
            const bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
            if (hex) ++j;
            char32_t cp = 0;
            std::size_t digits = 0;
            for (; j < s.size() && digits < 8; ++j, ++digits) {
                const char c = s[j];
                int d = -1;
                if (is_digit(c))
                    d = c - '0';
                else if (hex && lower(c) >= 'a' && lower(c) <= 'f')
                    d = lower(c) - 'a' + 10;
                if (d < 0) break;
                cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(d);
            }
            if (digits == 0 || j >= s.size() || s[j] != ';') return false;
            append_utf8(out, cp);
            i = j + 1;
            continue;
        }
        bool known = false;
        for (const auto& [name, value] : kNamed) {
            if (s.substr(i, name.size()) == name) {
                out += value;
                i += name.size();
                known = true;
                break;
            }
        }
        if (!known) return false;
    }
    return true;
}

// HTML5 named references through gumbo's tokenizer: the input is given as
// text only (every "<" escaped), which gumbo parses in linear time.
std::string decode_with_gumbo(std::string_view s) {
    std::string escaped;
    escaped.reserve(s.size() + 16);
    for (char c : s) {
        if (c == '<')
            escaped += "&lt;";
        else
            escaped += c;
    }
    GumboParse p{escaped};
    if (!p.output) return std::string(s);
    // Text alone parses to text nodes under the fragment's root, nothing else.
    std::string out;
    const GumboVector& children = p.output->root->v.element.children;
    for (unsigned i = 0; i < children.length; ++i) {
        const auto* n = static_cast<const GumboNode*>(children.data[i]);
        if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE) out += n->v.text.text;
    }
    return out;
}

// --- Eight bytes at a time ----------------------------------------------------

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
constexpr std::uint64_t kSpaces = kOnes * 0x20;

std::uint64_t load8(const char* p) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, 8);
    return w;
}

// The high bit of each byte of `w` that is zero, exactly.
std::uint64_t zero_bytes(std::uint64_t w) {
    constexpr std::uint64_t kLow7 = kOnes * 0x7F;
    return ~(((w & kLow7) + kLow7) | w | kLow7);
}

// A high bit set in the bytes of `w` below `low` (0x20 or 0x21), 0x7F or
// above: none when all eight are in [low, 0x7E]. The lowest byte marked is
// exactly the first such byte (bytes after it may be marked wrongly by the
// borrow, which only the first-byte search and the none-test read).
std::uint64_t special_mask(std::uint64_t w, unsigned low) {
    const std::uint64_t below = (w - kOnes * low) & ~w & kHigh;
    return (w & kHigh) | below | zero_bytes(w ^ (kOnes * 0x7F));
}

#if defined(__SSE2__)
// Sixteen bytes at a time where the target has SSE2 (every x86-64): one bit
// per byte, bit k for p[k].
std::uint32_t bits16(__m128i m) {
    return static_cast<std::uint32_t>(_mm_movemask_epi8(m));
}
// The bytes of p[0, 16) below 0x20 or from 0x7F up: none when all sixteen
// are printable ASCII. (Signed: bytes from 0x80 are negative.)
__m128i special16(__m128i v) {
    return _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F)));
}
__m128i load16(const char* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
// What ends clean text among p[0, 16): a byte that is not printable ASCII,
// or a space followed by a space (so p[16] is read too). Bit k for p[k].
std::uint32_t unclean16(const char* p) {
    const __m128i v = load16(p);
    const __m128i space = _mm_set1_epi8(' ');
    return bits16(_mm_or_si128(special16(v), _mm_and_si128(_mm_cmpeq_epi8(v, space),
                                                           _mm_cmpeq_epi8(load16(p + 1), space))));
}
#endif

// The same for p[0, 8) (p[8] read too): the high bit of each byte marked,
// the lowest one exactly.
std::uint64_t unclean8(const char* p) {
    const std::uint64_t w = load8(p);
    return special_mask(w, 0x20) | (zero_bytes(w ^ kSpaces) & zero_bytes(load8(p + 1) ^ kSpaces));
}

// The length of the UTF-8 sequence starting with lead byte `b` (>= 0xC0) of
// text already checked to be valid.
std::size_t utf8_length(unsigned char b) {
    return b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

// True when the valid UTF-8 sequence p[0, len) is one of the Unicode space
// separators clean_text folds like ASCII white space.
bool is_unicode_space(const char* p, std::size_t len) {
    const auto b0 = static_cast<unsigned char>(p[0]);
    if (len == 2) return b0 == 0xC2 && static_cast<unsigned char>(p[1]) == 0xA0;
    if (len != 3) return false;
    const auto b1 = static_cast<unsigned char>(p[1]);
    const auto b2 = static_cast<unsigned char>(p[2]);
    switch (b0) {
        case 0xE1:
            return b1 == 0x9A && b2 == 0x80;  // U+1680
        case 0xE2:
            if (b1 == 0x80)  // U+2000–U+200A, U+2028, U+2029, U+202F
                return (b2 >= 0x80 && b2 <= 0x8A) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF;
            return b1 == 0x81 && b2 == 0x9F;  // U+205F
        case 0xE3:
            return b1 == 0x80 && b2 == 0x80;  // U+3000
        default:
            return false;
    }
}

// The end of the run of printable ASCII starting at s[i] (a printable
// character other than a space, and not `<` or `&` when `markup`), single
// spaces between two such characters included: the text clean_text would
// copy as it is. Eight bytes at a time; a space is a stop only when another
// follows it, so words do not end the scan.
template <bool markup>
std::size_t plain_run_end(std::string_view s, std::size_t i) {
    const std::size_t n = s.size();
    auto plain = [&](std::size_t k) {
        const auto c = static_cast<unsigned char>(s[k]);
        return c >= ' ' && c < 0x7F && (!markup || (c != '<' && c != '&'));
    };
    std::size_t j = i + 1;
    bool found = false;
#if defined(__SSE2__)
    for (; j + 17 <= n; j += 16) {
        std::uint32_t b = unclean16(s.data() + j);
        if constexpr (markup) {
            const __m128i v = load16(s.data() + j);
            b |= bits16(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')),
                                     _mm_cmpeq_epi8(v, _mm_set1_epi8('&'))));
        }
        if (b != 0) {
            j += static_cast<std::size_t>(std::countr_zero(b));
            found = true;
            break;
        }
    }
#endif
    for (; !found && j + 9 <= n; j += 8) {
        std::uint64_t m = unclean8(s.data() + j);
        if constexpr (markup) {
            const std::uint64_t w = load8(s.data() + j);
            m |= zero_bytes(w ^ (kOnes * '<')) | zero_bytes(w ^ (kOnes * '&'));
        }
        if (m != 0) {
            j += static_cast<std::size_t>(std::countr_zero(m)) / 8;
            found = true;
            break;
        }
    }
    if (!found)
        while (j < n && plain(j) && !(s[j] == ' ' && j + 1 < n && s[j + 1] == ' ')) ++j;
    // A space before what ends the run is not the run's.
    if (s[j - 1] == ' ') --j;
    return j;
}

// Where the direct reader's text goes: written as clean_text would give it,
// in the same pass. Every run of white space (ASCII and the Unicode space
// separators) is one space between words, none at the ends. The text given
// is valid UTF-8 whose only control characters are white space (the reader
// checked its input, and gives up on references to other controls).
class CleanSink {
  public:
    explicit CleanSink(std::string& out) : out_(out) {}

    void space() { pending_ = !out_.empty(); }
    void word(const char* p, std::size_t n) {
        if (pending_) {
            out_ += ' ';
            pending_ = false;
        }
        out_.append(p, n);
    }
    // Text in which `<` and `&` are characters like the others (a
    // reference's value).
    void text(std::string_view s) {
        std::size_t i = 0;
        while (i < s.size()) {
            const auto b = static_cast<unsigned char>(s[i]);
            if (b > ' ' && b < 0x7F) {
                const std::size_t j = plain_run_end<false>(s, i);
                word(s.data() + i, j - i);
                i = j;
            } else if (b < 0x80) {
                space();  // white space: the only controls given
                ++i;
            } else {
                const std::size_t len = std::min(utf8_length(b), s.size() - i);
                if (is_unicode_space(s.data() + i, len))
                    space();
                else
                    word(s.data() + i, len);
                i += len;
            }
        }
    }

  private:
    std::string& out_;
    bool pending_ = false;
};

// --- A direct reader for simple fragments ----------------------------------
//
// Most feed fragments are well nested markup of a few common elements. For
// those the text gumbo's tree gives can be read straight off the tags: the
// reader keeps the stack of open elements that gumbo would build, and gives
// up (false) whenever the HTML5 tree construction would do more than push and
// pop it (misnested formatting, tables, foreign content, raw text other than
// style and script, unusual comments, control characters, invalid UTF-8).
// Its text is written clean as it is read (CleanSink), in one pass.
// tests/unit/parsers_test.cpp checks it against gumbo on every fragment of
// the fixtures and on random fragments; fuzz target html_text does too.

struct Entity {
    std::string_view name;
    std::string_view value;
};
constexpr Entity kEntities[] = {
#include "parsers/entities.inc"
};

// Where the names starting with each byte begin in kEntities (sorted by
// name): a lookup searches the ~40 names of its first letter, not all 2,231.
struct EntityIndex {
    std::array<std::uint16_t, 257> first{};  // names starting with byte c: [first[c], first[c + 1])
};

constexpr EntityIndex entity_index() {
    EntityIndex index;
    std::size_t k = 0;
    for (std::size_t c = 0; c <= 256; ++c) {
        while (k < std::size(kEntities) && static_cast<unsigned char>(kEntities[k].name[0]) < c)
            ++k;
        index.first[c] = static_cast<std::uint16_t>(k);
    }
    return index;
}

constexpr EntityIndex kEntityIndex = entity_index();

const Entity* find_entity(std::string_view name) {
    if (name.empty()) return nullptr;
    const auto c = static_cast<unsigned char>(name[0]);
    const auto* begin = std::begin(kEntities) + kEntityIndex.first[c];
    const auto* end = std::begin(kEntities) + kEntityIndex.first[c + 1];
    const auto* it = std::lower_bound(
        begin, end, name, [](const Entity& e, std::string_view n) { return e.name < n; });
    return it != end && it->name == name ? it : nullptr;
}

bool is_alnum(char c) {
    return is_alpha(c) || is_digit(c);
}

// A code point clean_text would drop or treat as a terminal escape: the
// direct reader leaves such text to gumbo.
bool is_control(char32_t cp) {
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r' && cp != '\f') || cp == 0x7F ||
           (cp >= 0x80 && cp <= 0x9F);
}

// Valid UTF-8 without control characters.
bool plain_input(std::string_view s) {
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        // Sixteen or eight bytes at a time while they are ASCII from 0x20 to 0x7E.
#if defined(__SSE2__)
        if (i + 16 <= n && bits16(special16(load16(s.data() + i))) == 0) {
            i += 16;
            continue;
        }
#endif
        if (i + 8 <= n && special_mask(load8(s.data() + i), 0x20) == 0) {
            i += 8;
            continue;
        }
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            if (is_control(b)) return false;
            ++i;
            continue;
        }
        char32_t cp = 0;
        const std::size_t len = decode_utf8(s, i, cp);
        if (len == 0 || is_control(cp)) return false;
        i += len;
    }
    return true;
}

// The UTF-8 of `cp` as append_utf8 writes it, into `buf`; returns its length.
std::size_t encode_utf8(char32_t cp, std::array<char, 4>& buf) {
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp >= 0x80 && cp <= 0x9F) cp = kC1[cp - 0x80];
    if (cp < 0x80) {
        buf[0] = static_cast<char>(cp);
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = static_cast<char>(0xC0 | (cp >> 6));
        buf[1] = static_cast<char>(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = static_cast<char>(0xE0 | (cp >> 12));
        buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = static_cast<char>(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = static_cast<char>(0xF0 | (cp >> 18));
    buf[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = static_cast<char>(0x80 | (cp & 0x3F));
    return 4;
}

// Decodes the character reference at s[i] == '&' into `out` as the HTML5
// tokenizer does in data; returns the index after it, or npos when the
// reader should leave the fragment to gumbo.
std::size_t read_reference(std::string_view s, std::size_t i, CleanSink& out) {
    const std::size_t n = s.size();
    std::size_t j = i + 1;
    if (j < n && s[j] == '#') {
        ++j;
        const bool hex = j < n && (s[j] == 'x' || s[j] == 'X');
        if (hex) ++j;
        char32_t cp = 0;
        std::size_t digits = 0;
        for (; j < n; ++j, ++digits) {
            const char c = s[j];
            int d = -1;
            if (is_digit(c))
                d = c - '0';
            else if (hex && lower(c) >= 'a' && lower(c) <= 'f')
                d = lower(c) - 'a' + 10;
            if (d < 0) break;
            if (digits >= 8) return std::string_view::npos;  // overflow: gumbo's business
            cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(d);
            // Beyond Unicode: gumbo's own overflow handling decides (its
            // text for &#xDFFFFF7F; is not U+FFFD), so leave it to gumbo.
            if (cp > 0x10FFFF) return std::string_view::npos;
        }
        if (digits == 0 || j >= n || s[j] != ';') return std::string_view::npos;
        if (cp >= 0x80 && cp <= 0x9F) cp = kC1[cp - 0x80];
        if (cp != 0 && is_control(cp)) return std::string_view::npos;
        std::array<char, 4> buf{};
        out.text(std::string_view(buf.data(), encode_utf8(cp, buf)));
        return j + 1;
    }
    std::size_t k = j;
    while (k < n && is_alnum(s[k]) && k - j < 32) ++k;
    if (k == j) {
        out.word("&", 1);
        return j;
    }
    if (k < n && s[k] == ';') {
        if (const Entity* e = find_entity(s.substr(j, k - j + 1))) {
            out.text(e->value);
            return k + 1;
        }
    }
    // Legacy names read without ";" (the longest that matches) and names
    // that match nothing: gumbo's business.
    for (std::size_t len = k - j; len > 0; --len)
        if (find_entity(s.substr(j, len))) return std::string_view::npos;
    if (k < n && s[k] == ';') return std::string_view::npos;
    out.word(s.data() + i, k - i);
    return k;
}

// Elements the reader knows, with what the tree construction does with them.
enum Kind : unsigned {
    kInline = 1,        // pushed and popped, nothing else
    kFormatting = 2,    // a formatting element (the adoption agency's)
    kSpecial = 4,       // a "special" element: stops the search for li, dd, dt
    kClosesP = 8,       // its start tag closes an open p
    kVoidEl = 16,       // never pushed
    kOptionalEnd = 32,  // closed by implied end tags (p, li, dd, dt)
    kHeading = 64,
    kRawHidden = 128,   // style, script: raw text, not shown
    kBlockSpace = 256,  // is_block_element: a word boundary (set from kBlock)
    // Names the tree construction asks about, as bits rather than string
    // comparisons.
    kIsP = 512,
    kIsLi = 1024,
    kIsDdDt = 2048,
    kIsA = 4096,
    kIsDivAddress = 8192,
};

// A known element's name, lower case, zero-padded: compared as two words.
struct ElementInfo {
    std::string_view name;
    unsigned kind;
    std::array<std::uint64_t, 2> key;
};

constexpr std::size_t kMaxName = 16;

constexpr std::array<std::uint64_t, 2> name_key(std::string_view name) {
    std::array<std::uint64_t, 2> key{};
    for (std::size_t k = 0; k < name.size() && k < kMaxName; ++k)
        key[k / 8] |= std::uint64_t{static_cast<unsigned char>(name[k])} << (8 * (k % 8));
    return key;
}

// The known elements with kBlockSpace set from kBlock, and where each first
// letter's entries start.
struct ElementTable {
    std::array<ElementInfo, 61> entries{};
    std::array<unsigned char, 27> first{};  // entries of letter k: [first[k], first[k + 1])
};

constexpr ElementTable element_table() {
    struct E {
        std::string_view name;
        unsigned kind;
    };
    constexpr unsigned kBlockK = kSpecial | kClosesP;
    constexpr E kKnown[] = {
        {"a", kInline | kFormatting | kIsA},
        {"abbr", kInline},
        {"address", kBlockK | kIsDivAddress},
        {"article", kBlockK},
        {"aside", kBlockK},
        {"b", kInline | kFormatting},
        {"bdi", kInline},
        {"bdo", kInline},
        {"big", kInline | kFormatting},
        {"blockquote", kBlockK},
        {"br", kVoidEl},
        {"center", kBlockK},
        {"cite", kInline},
        {"code", kInline | kFormatting},
        {"dd", kBlockK | kOptionalEnd | kIsDdDt},
        {"del", kInline},
        {"dfn", kInline},
        {"div", kBlockK | kIsDivAddress},
        {"dl", kBlockK},
        {"dt", kBlockK | kOptionalEnd | kIsDdDt},
        {"em", kInline | kFormatting},
        {"figcaption", kBlockK},
        {"figure", kBlockK},
        {"font", kInline | kFormatting},
        {"footer", kBlockK},
        {"h1", kBlockK | kHeading},
        {"h2", kBlockK | kHeading},
        {"h3", kBlockK | kHeading},
        {"h4", kBlockK | kHeading},
        {"h5", kBlockK | kHeading},
        {"h6", kBlockK | kHeading},
        {"header", kBlockK},
        {"hr", kVoidEl | kClosesP},
        {"i", kInline | kFormatting},
        {"img", kVoidEl},
        {"ins", kInline},
        {"kbd", kInline},
        {"li", kBlockK | kOptionalEnd | kIsLi},
        {"mark", kInline},
        {"nav", kBlockK},
        {"ol", kBlockK},
        {"p", kBlockK | kOptionalEnd | kIsP},
        {"pre", kBlockK},
        {"q", kInline},
        {"s", kInline | kFormatting},
        {"samp", kInline},
        {"script", kRawHidden},
        {"section", kBlockK},
        {"small", kInline | kFormatting},
        {"span", kInline},
        {"strike", kInline | kFormatting},
        {"strong", kInline | kFormatting},
        {"style", kRawHidden},
        {"sub", kInline},
        {"sup", kInline},
        {"time", kInline},
        {"tt", kInline | kFormatting},
        {"u", kInline | kFormatting},
        {"ul", kBlockK},
        {"var", kInline},
        {"wbr", kVoidEl},
    };
    static_assert(std::size(kKnown) == ElementTable{}.entries.size());
    ElementTable table;
    for (std::size_t k = 0; k < std::size(kKnown); ++k) {
        unsigned kind = kKnown[k].kind;
        if (among(kKnown[k].name, kBlock)) kind |= kBlockSpace;
        table.entries[k] = {kKnown[k].name, kind, name_key(kKnown[k].name)};
    }
    std::size_t k = 0;
    for (std::size_t letter = 0; letter <= 26; ++letter) {
        while (k < std::size(kKnown) && static_cast<std::size_t>(kKnown[k].name[0] - 'a') < letter)
            ++k;
        table.first[letter] = static_cast<unsigned char>(k);
    }
    return table;
}

constexpr ElementTable kElements = element_table();

// The element whose lower case name, zero-padded to kMaxName bytes, is `key`.
const ElementInfo* element_info(const std::array<std::uint64_t, 2>& key) {
    const auto first = static_cast<unsigned char>(key[0] & 0xFF);
    if (first < 'a' || first > 'z') return nullptr;
    const std::size_t letter = first - 'a';
    for (std::size_t k = kElements.first[letter]; k < kElements.first[letter + 1]; ++k) {
        const ElementInfo& e = kElements.entries[k];
        if (e.key[0] == key[0] && e.key[1] == key[1]) return &e;
    }
    return nullptr;
}

class DirectReader {
  public:
    explicit DirectReader(std::string& out) : out_(out) {}

    bool read(std::string_view s);

  private:
    static constexpr std::size_t kMaxOpen = 64;

    // The open elements are entries of kElements: one element, one address.
    [[nodiscard]] unsigned top_kind() const { return open_ == 0 ? 0 : stack_[open_ - 1]->kind; }
    [[nodiscard]] bool is_open(unsigned is) const {
        for (std::size_t k = 0; k < open_; ++k)
            if (stack_[k]->kind & is) return true;
        return false;
    }
    bool start(const ElementInfo& e);
    bool end(const ElementInfo& e);
    // Pops p, li, dd, dt from the top (implied end tags) except `keep`.
    void pop_implied(const ElementInfo* keep) {
        while (open_ > 0 && stack_[open_ - 1] != keep && (top_kind() & kOptionalEnd)) --open_;
    }
    // li, dd, dt start tags: close the open one (kIsLi or kIsDdDt) if gumbo
    // would with nothing but implied end tags in between.
    bool close_item(unsigned is);

    CleanSink out_;
    // Entries [0, open_) only are read, each written first: not zeroed per fragment.
    std::array<const ElementInfo*, kMaxOpen> stack_;
    std::size_t open_ = 0;
};

bool DirectReader::close_item(unsigned is) {
    bool only_p = true;
    for (std::size_t k = open_; k-- > 0;) {
        const unsigned kind = stack_[k]->kind;
        if (kind & is) {
            if (!only_p) return false;
            open_ = k;
            return true;
        }
        if (kind & kIsP) continue;
        if ((kind & kIsDivAddress) || !(kind & kSpecial)) {
            only_p = false;
            continue;
        }
        return true;  // a special element: nothing to close
    }
    return true;
}

bool DirectReader::start(const ElementInfo& e) {
    const unsigned kind = e.kind;
    if (kind & kIsLi) {
        if (!close_item(kIsLi)) return false;
    } else if (kind & kIsDdDt) {
        if (!close_item(kIsDdDt)) return false;
    }
    if (kind & kClosesP) {
        if (top_kind() & kIsP)
            --open_;
        else if (is_open(kIsP))
            return false;
    }
    if ((kind & kHeading) && (top_kind() & kHeading)) --open_;
    if ((kind & kIsA) && is_open(kIsA)) return false;
    if (kind & kBlockSpace) out_.space();
    if (kind & kVoidEl) return true;
    if (open_ == kMaxOpen) return false;
    stack_[open_++] = &e;
    return true;
}

bool DirectReader::end(const ElementInfo& e) {
    const unsigned kind = e.kind;
    if (kind & kVoidEl) return false;
    if (kind & kSpecial) {
        if (kind & kHeading) {
            pop_implied(nullptr);
            if (!(top_kind() & kHeading)) return false;
        } else {
            pop_implied(&e);
            if (open_ == 0 || stack_[open_ - 1] != &e) return false;
        }
        if (kind & kBlockSpace) out_.space();
    } else if (open_ == 0 || stack_[open_ - 1] != &e) {
        return false;
    }
    --open_;
    return true;
}

bool DirectReader::read(std::string_view s) {
    if (!plain_input(s)) return false;
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b > ' ' && b < 0x7F && b != '<' && b != '&') {
            const std::size_t j = plain_run_end<true>(s, i);
            out_.word(s.data() + i, j - i);
            i = j;
            continue;
        }
        if (b == '&') {
            i = read_reference(s, i, out_);
            if (i == std::string_view::npos) return false;
            continue;
        }
        if (b != '<') {
            if (b < 0x80) {
                out_.space();  // white space: plain_input let no other control through
                ++i;
            } else {
                const std::size_t len = utf8_length(b);
                if (is_unicode_space(s.data() + i, len))
                    out_.space();
                else
                    out_.word(s.data() + i, len);
                i += len;
            }
            continue;
        }
        const char next = i + 1 < n ? s[i + 1] : '\0';
        if (next == '!') {
            if (s.substr(i, 4) != "<!--") return false;
            if (s.substr(i + 4, 1) == ">" || s.substr(i + 4, 2) == "->") return false;
            const auto close = s.find("-->", i + 4);
            const std::size_t stop = close == std::string_view::npos ? n : close;
            const std::string_view body = s.substr(i + 4, stop - (i + 4));
            if (body.find("--!") != std::string_view::npos || body.ends_with("--!") ||
                body.ends_with("-"))
                return false;
            i = close == std::string_view::npos ? n : close + 3;
            continue;
        }
        if (next == '?') return false;
        const bool end_tag = next == '/';
        const std::size_t name_at = end_tag ? i + 2 : i + 1;
        if (name_at >= n || !is_alpha(s[name_at])) {
            if (end_tag) return false;
            out_.word("<", 1);
            ++i;
            continue;
        }
        std::size_t j = name_at;
        std::array<std::uint64_t, 2> key{};
#if defined(__SSE2__)
        if (name_at + kMaxName <= n) {
            // The name ends at white space, "/" or ">"; lowered and
            // zero-padded in one go.
            const __m128i v = load16(s.data() + j);
            auto is = [&](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
            const __m128i stop = _mm_or_si128(
                _mm_or_si128(_mm_or_si128(is(' '), is('\t')), _mm_or_si128(is('\n'), is('\r'))),
                _mm_or_si128(is('\f'), _mm_or_si128(is('/'), is('>'))));
            const std::uint32_t stops = bits16(stop);
            if (stops == 0) return false;  // a name of 16 or more characters: none known
            const auto len = std::countr_zero(stops);
            const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                                _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
            const __m128i lowered = _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
            const __m128i index =
                _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            const __m128i in_name = _mm_cmplt_epi8(index, _mm_set1_epi8(static_cast<char>(len)));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(key.data()),
                             _mm_and_si128(lowered, in_name));
            j += static_cast<std::size_t>(len);
        } else
#endif
        {
            std::size_t len = 0;
            while (j < n && !is_html_space(s[j]) && s[j] != '/' && s[j] != '>') {
                if (len == kMaxName) return false;
                key[len / 8] |= std::uint64_t{static_cast<unsigned char>(lower(s[j]))}
                                << (8 * (len % 8));
                ++len;
                ++j;
            }
        }
        const ElementInfo* info = element_info(key);
        if (!info) return false;
        const unsigned kind = info->kind;
        TagEnd tag{j + 1, false, true};
        if (j >= n || s[j] != '>') {
            tag = skip_attributes(s, j);
            if (!tag.complete) return false;
        }
        i = tag.next;
        if (kind & kRawHidden) {
            if (end_tag) return false;
            const std::string_view name = info->name;
            const auto close = find_end_tag(s, name, i);
            const std::string_view content =
                s.substr(i, (close == std::string_view::npos ? n : close) - i);
            if (content.find("<!--") != std::string_view::npos) return false;
            if (close == std::string_view::npos) return true;
            const TagEnd after = skip_attributes(s, close + 2 + name.size());
            if (!after.complete) return true;
            i = after.next;
            continue;
        }
        if (!(end_tag ? end(*info) : start(*info))) return false;
    }
    return true;
}
}  // namespace

bool is_block_element(std::string_view name) {
    return among(name, kBlock);
}
bool is_hidden_element(std::string_view name) {
    return among(name, kHidden);
}

std::string decode_entities(std::string_view s) {
    if (s.find('&') == std::string_view::npos) return std::string(s);
    std::string out;
    if (decode_common(s, out)) return out;
    return decode_with_gumbo(s);
}

namespace {

// clean_text in one pass for valid UTF-8 without terminal escapes (ESC and
// the C1 controls that start or end a sequence, whose skipping depends on
// the bytes after them): false when `s` needs the general path.
bool clean_text_one_pass(std::string_view s, std::string& out) {
    out.reserve(s.size());
    bool pending_space = false;
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            if (b > ' ' && b != 0x7F) {
                if (pending_space) {
                    out += ' ';
                    pending_space = false;
                }
                // The run of plain characters up to the next special one,
                // found eight bytes at a time. A single space between two
                // plain characters is kept as it is, so it stays in the run.
                auto plain = [&](std::size_t k) {
                    const auto c = static_cast<unsigned char>(s[k]);
                    return c > ' ' && c < 0x7F;
                };
                std::size_t j = i + 1;
                while (true) {
                    bool found = false;
                    for (; j + 8 <= n; j += 8) {
                        if (const std::uint64_t m = special_mask(load8(s.data() + j), 0x21);
                            m != 0) {
                            j += static_cast<std::size_t>(std::countr_zero(m)) / 8;
                            found = true;
                            break;
                        }
                    }
                    if (!found)
                        while (j < n && plain(j)) ++j;
                    if (j + 1 < n && s[j] == ' ' && plain(j + 1)) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                out.append(s.data() + i, j - i);
                i = j;
                continue;
            }
            if (b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v')
                pending_space = !out.empty();
            else if (b == 0x1B)
                return false;
            ++i;  // other controls are dropped
            continue;
        }
        char32_t cp = 0;
        const std::size_t len = decode_utf8(s, i, cp);
        if (len == 0) return false;
        const bool space = cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
                           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
                           cp == 0x3000;
        if (space) {
            pending_space = !out.empty();
        } else if (cp >= 0x80 && cp < 0xA0) {
            if (cp == 0x9B || cp == 0x9D || cp == 0x90 || cp == 0x98 || cp == 0x9E || cp == 0x9F)
                return false;
        } else {
            if (pending_space) {
                out += ' ';
                pending_space = false;
            }
            out.append(s.data() + i, len);
        }
        i += len;
    }
    return true;
}

}  // namespace

std::string clean_text(std::string_view s) {
    // Text that is already clean (printable ASCII, single inner spaces) is
    // the common case: one look, no rewriting.
    if (is_clean_text(s)) return std::string(s);
    std::string out;
    if (clean_text_one_pass(s, out)) return out;
    return clean_text_reference(s);
}

bool is_clean_text(std::string_view s) {
    if (s.empty()) return true;
    bool clean = s.front() != ' ' && s.back() != ' ';
    std::size_t i = 0;
    // Sixteen or eight bytes at a time (and as many after the first, for a
    // space followed by a space) while they are printable ASCII.
#if defined(__SSE2__)
    for (; clean && i + 17 <= s.size(); i += 16)
        if (unclean16(s.data() + i) != 0) break;
#endif
    for (; clean && i + 9 <= s.size(); i += 8)
        if (unclean8(s.data() + i) != 0) break;
    for (; clean && i < s.size(); ++i) {
        const char c = s[i];
        clean = (c > ' ' && c < 0x7F) || (c == ' ' && s[i + 1] != ' ');
    }
    return clean;
}

std::string clean_text_reference(std::string_view s) {
    // Unicode's space separators become plain spaces first, so that folding
    // (and word matching after it) treats "5G&nbsp;NR" as two words.
    std::string spaced;
    spaced.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        auto at = [&](std::size_t k) {
            return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
        };
        std::size_t len = 0;
        if (b == 0xC2 && at(1) == 0xA0) {
            len = 2;  // U+00A0
        } else if (b == 0xE1 && at(1) == 0x9A && at(2) == 0x80) {
            len = 3;  // U+1680
        } else if (b == 0xE2 && at(1) == 0x80 &&
                   ((at(2) >= 0x80 && at(2) <= 0x8A) || at(2) == 0xA8 || at(2) == 0xA9 ||
                    at(2) == 0xAF)) {
            len = 3;  // U+2000–U+200A, U+2028, U+2029, U+202F
        } else if (b == 0xE2 && at(1) == 0x81 && at(2) == 0x9F) {
            len = 3;  // U+205F
        } else if (b == 0xE3 && at(1) == 0x80 && at(2) == 0x80) {
            len = 3;  // U+3000
        }
        if (len == 0) {
            spaced += s[i];
        } else {
            spaced += ' ';
            i += len - 1;
        }
    }
    // Invalid UTF-8 is replaced first: sanitize_line would also drop the
    // space before an invalid byte.
    return sanitize_line(valid_utf8(spaced));
}

bool looks_like_html(std::string_view s) {
    // Most titles have neither "&" nor "<": one look, sixteen bytes at a time.
    std::size_t i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= s.size(); i += 16) {
        const __m128i v = load16(s.data() + i);
        if (bits16(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')),
                                _mm_cmpeq_epi8(v, _mm_set1_epi8('<')))) != 0)
            break;
    }
#endif
    for (; i < s.size(); ++i) {
        if (s[i] == '&' && i + 1 < s.size()) {
            std::size_t j = i + 1;
            if (s[j] == '#') {
                ++j;
                if (j < s.size() && (s[j] == 'x' || s[j] == 'X')) ++j;
            }
            const std::size_t start = j;
            while (j < s.size() && (is_alpha(s[j]) || is_digit(s[j]))) ++j;
            if (j > start && j < s.size() && s[j] == ';') return true;
        } else if (s[i] == '<' && i + 1 < s.size()) {
            std::size_t j = i + 1;
            if (s[j] == '/') ++j;
            std::string name;
            while (j < s.size() && (is_alpha(s[j]) || is_digit(s[j])) && name.size() < 16)
                name += lower(s[j++]);
            if (name.empty() || j >= s.size()) continue;
            if (!is_html_space(s[j]) && s[j] != '>' && s[j] != '/') continue;
            if (gumbo_tag_enum(name.c_str()) != GUMBO_TAG_UNKNOWN) return true;
        }
    }
    return false;
}

std::string html_to_text_linear(std::string_view html) {
    LinearText t;
    scan_html(html, t);
    return clean_text(decode_entities(t.out));
}

bool html_to_text_direct(std::string_view html, std::string& out) {
    out.clear();
    out.reserve(html.size());
    if (DirectReader(out).read(html)) return true;
    out.clear();
    return false;
}

std::string html_to_text_gumbo(std::string_view html) {
    GumboParse p{html};
    if (!p.output) return html_to_text_linear(html);
    return clean_text(gumbo_text(p.output->root));
}

std::string HtmlToText::operator()(std::string_view html) {
    std::string direct;
    if (html_to_text_direct(html, direct)) return direct;
    if (html.find('<') == std::string_view::npos) return clean_text(decode_entities(html));
    Guard g;
    scan_html(html, g);
    if (g.tags > kMaxTags || g.depth > kMaxDepth || g.tags > tags_left_) {
        ++fallbacks_;
        return html_to_text_linear(html);
    }
    tags_left_ -= g.tags;
    GumboParse p{html};
    if (!p.output) return html_to_text_linear(html);
    return clean_text(gumbo_text(p.output->root));
}

HtmlShape html_page_shape(std::string_view html) {
    // Elements closed implicitly by their siblings or parents.
    static constexpr std::array<std::string_view, 17> kOptionalEnd{
        "td", "th",     "tr",       "tbody",    "thead",   "tfoot", "li", "p", "dt",
        "dd", "option", "optgroup", "colgroup", "caption", "rb",    "rt", "rp"};
    class PageGuard : public Guard {
      public:
        void start(const std::string& name, bool self_closing) {
            if (among(name, kOptionalEnd)) {
                ++tags;
                return;
            }
            Guard::start(name, self_closing);
        }
        void end(const std::string& name) {
            if (among(name, kOptionalEnd)) {
                ++tags;
                return;
            }
            Guard::end(name);
        }
    };
    PageGuard g;
    scan_html(html, g);
    return {g.tags, g.depth};
}

std::string html_to_text(std::string_view html) {
    HtmlToText convert;
    return convert(html);
}

}  // namespace specwatch::parse
