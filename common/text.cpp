#include "common/text.h"

#include <fnmatch.h>
#include <xxhash.h>

#include <cstdint>

#include <fmt/format.h>

namespace specwatch {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Skips an escape sequence starting at s[i] (ESC, or an 8-bit C1 introducer
// already decoded as `cp`); returns the index after it.
std::size_t skip_escape(std::string_view s, std::size_t i, std::size_t len, char32_t cp) {
    char32_t kind = cp;
    std::size_t j = i + len;
    if (cp == 0x1B) {
        if (j >= s.size()) return j;
        const auto c = static_cast<unsigned char>(s[j]);
        if (c == '[')
            kind = 0x9B;  // CSI
        else if (c == ']')
            kind = 0x9D;  // OSC
        else if (c == 'P' || c == 'X' || c == '^' || c == '_')
            kind = 0x90;  // DCS, SOS, PM, APC: strings like OSC
        else {
            // Two-character escape (ESC c), or ESC with intermediates.
            while (j < s.size() && s[j] >= 0x20 && s[j] <= 0x2F) ++j;
            return j < s.size() ? j + 1 : j;
        }
        ++j;
    }
    if (kind == 0x9B) {  // CSI: parameters and intermediates, then a final byte
        while (j < s.size() && s[j] >= 0x20 && s[j] <= 0x3F) ++j;
        return j < s.size() ? j + 1 : j;
    }
    if (kind == 0x9D || kind == 0x90 || kind == 0x98 || kind == 0x9E || kind == 0x9F) {
        // Strings end with BEL or ST (ESC \ or U+009C).
        while (j < s.size()) {
            if (s[j] == '\x07') return j + 1;
            if (s[j] == '\x1B' && j + 1 < s.size() && s[j + 1] == '\\') return j + 2;
            if (static_cast<unsigned char>(s[j]) == 0xC2 && j + 1 < s.size() &&
                static_cast<unsigned char>(s[j + 1]) == 0x9C)
                return j + 2;
            ++j;
        }
        return j;
    }
    return j;
}

std::string sanitize(std::string_view s, bool one_line) {
    std::string out;
    out.reserve(s.size());
    bool pending_space = false;
    std::size_t i = 0;
    while (i < s.size()) {
        char32_t cp = 0;
        const std::size_t len = decode_utf8(s, i, cp);
        if (len == 0) {
            if (pending_space) out += ' ';
            out += kReplacement;
            ++i;
            pending_space = false;
            continue;
        }
        if (cp == 0x1B || cp == 0x9B || cp == 0x9D || cp == 0x90 || cp == 0x98 || cp == 0x9E ||
            cp == 0x9F) {
            i = skip_escape(s, i, len, cp);
            continue;
        }
        const bool space =
            cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v';
        if (one_line && space) {
            pending_space = !out.empty();
            i += len;
            continue;
        }
        if (!space && (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))) {
            i += len;
            continue;
        }
        if (cp == '\r' || cp == '\f' || cp == '\v') {
            i += len;
            continue;
        }
        if (pending_space) {
            out += ' ';
            pending_space = false;
        }
        out.append(s.substr(i, len));
        i += len;
    }
    return out;
}

bool is_wide(char32_t cp) {
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
           (cp >= 0x20000 && cp <= 0x3FFFD);
}

}  // namespace

std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    } else if ((b0 & 0xE0) == 0xC0) {
        len = 2;
        cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3;
        cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4;
        cp = b0 & 0x07;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

std::string sanitize_text(std::string_view s) {
    return sanitize(s, false);
}
std::string sanitize_line(std::string_view s) {
    return sanitize(s, true);
}

std::size_t display_width(std::string_view s) {
    std::size_t w = 0;
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp = 0;
        const std::size_t len = decode_utf8(s, i, cp);
        if (len == 0) {
            ++w;
            ++i;
            continue;
        }
        // Combining marks take no column.
        if (!(cp >= 0x300 && cp <= 0x36F)) w += is_wide(cp) ? 2 : 1;
        i += len;
    }
    return w;
}

std::string truncate_display(std::string_view s, std::size_t width) {
    if (display_width(s) <= width) return std::string{s};
    if (width == 0) return {};
    std::string out;
    std::size_t w = 0;
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp = 0;
        std::size_t len = decode_utf8(s, i, cp);
        if (len == 0) len = 1;
        const std::size_t cw = is_wide(cp) ? 2 : 1;
        if (w + cw > width - 1) break;
        out.append(s.substr(i, len));
        w += cw;
        i += len;
    }
    return out + "\xE2\x80\xA6";  // …
}

std::string trim(std::string_view s) {
    const auto ws = " \t\r\n\f\v";
    const auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(ws);
    return std::string{s.substr(b, e - b + 1)};
}

std::string to_lower_ascii(std::string_view s) {
    std::string out{s};
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool glob_match(const std::string& pattern, const std::string& name) {
    return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

HashHex hash_hex16(std::string_view data) {
    // By hand, not fmt::format("{:016x}"): the writer hashes every item twice,
    // and the format call cost about as much as hashing a 1 KB item.
    std::uint64_t h = XXH3_64bits(data.data(), data.size());
    HashHex out;
    for (std::size_t i = out.digits.size(); i-- > 0; h >>= 4)
        out.digits[i] = "0123456789abcdef"[h & 0xf];
    return out;
}

std::int64_t link_hash(std::string_view link_key) {
    if (link_key.empty()) return 0;
    const std::uint64_t h = XXH3_64bits(link_key.data(), link_key.size());
    return h == 0 ? 1 : static_cast<std::int64_t>(h);
}

std::string hash_hex(std::string_view data) {
    return std::string{hash_hex16(data).view()};
}

}  // namespace specwatch
