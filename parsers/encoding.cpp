#include "parsers/encoding.h"

#include "common/text.h"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

namespace specwatch::parse {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    char32_t cp = 0;
    return decode_utf8(s, i, cp);
}

bool is_valid_utf8(std::string_view s) {
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        // ASCII 32 bytes at a time, then eight: most feeds are mostly ASCII.
        while (i + 32 <= n) {
            std::uint64_t w[4];
            std::memcpy(w, s.data() + i, 32);
            if (((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL) != 0) break;
            i += 32;
        }
        if (i == n) break;  // the last 32 bytes were ASCII
        if (i + 8 <= n) {
            std::uint64_t word = 0;
            std::memcpy(&word, s.data() + i, 8);
            if ((word & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t len = utf8_length(s, i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
}

// The charset parameter of a Content-Type header ("text/xml; charset=UTF-8").
std::string charset_of_content_type(std::string_view ct) {
    const std::string l = lower(ct);
    auto pos = l.find("charset=");
    if (pos == std::string::npos) return "";
    pos += 8;
    if (pos < l.size() && (l[pos] == '"' || l[pos] == '\'')) ++pos;
    std::size_t end = pos;
    while (end < l.size() && is_name_char(l[end])) ++end;
    return l.substr(pos, end - pos);
}

// The encoding pseudo-attribute of an XML declaration at the start of `s`.
std::string charset_of_declaration(std::string_view s) {
    if (s.substr(0, 5) != "<?xml") return "";
    const auto close = s.find("?>");
    const std::string decl = lower(s.substr(0, close == std::string_view::npos ? 200 : close));
    auto pos = decl.find("encoding");
    if (pos == std::string::npos) return "";
    pos += 8;
    while (pos < decl.size() && (decl[pos] == ' ' || decl[pos] == '\t' || decl[pos] == '\r' ||
                                 decl[pos] == '\n' || decl[pos] == '='))
        ++pos;
    if (pos < decl.size() && (decl[pos] == '"' || decl[pos] == '\'')) ++pos;
    std::size_t end = pos;
    while (end < decl.size() && is_name_char(decl[end])) ++end;
    return decl.substr(pos, end - pos);
}

bool is_utf8_name(std::string_view cs) {
    return cs.empty() || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii" ||
           cs == "ansi_x3.4-1968";
}

// WHATWG encoding labels that mean windows-1252 (ISO-8859-1 never shows its
// C1 controls in practice: those bytes are windows-1252's curly quotes).
bool is_latin1_name(std::string_view cs) {
    return cs == "iso-8859-1" || cs == "iso8859-1" || cs == "iso_8859-1" || cs == "latin1" ||
           cs == "l1" || cs == "cp819" || cs == "ibm819" || cs == "iso-ir-100" ||
           cs == "windows-1252" || cs == "cp1252" || cs == "x-cp1252";
}

struct IconvCloser {
    iconv_t cd;
    ~IconvCloser() { iconv_close(cd); }
};

// Converts with iconv; nullopt when iconv does not know `from`. Each byte it
// cannot convert becomes U+FFFD (`unit` bytes are skipped: 2 for UTF-16).
std::optional<std::string> transcode(std::string_view in, const std::string& from,
                                     std::size_t unit) {
    iconv_t cd = iconv_open("UTF-8", from.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
    IconvCloser closer{cd};
    std::string out;
    out.reserve(in.size() + in.size() / 2 + 16);
    std::array<char, 16384> buf{};
    // iconv's interface takes char** for its input though it never writes it.
    char* src = const_cast<char*>(in.data());
    std::size_t left = in.size();
    while (left > 0) {
        char* dst = buf.data();
        std::size_t room = buf.size();
        const std::size_t rc = iconv(cd, &src, &left, &dst, &room);
        out.append(buf.data(), static_cast<std::size_t>(dst - buf.data()));
        if (rc != static_cast<std::size_t>(-1)) continue;
        if (errno == E2BIG) continue;
        if (errno == EILSEQ) {
            out += kReplacement;
            const std::size_t skip = std::min(unit, left);
            src += skip;
            left -= skip;
            iconv(cd, nullptr, nullptr, nullptr, nullptr);  // back to the initial state
            continue;
        }
        // EINVAL: an incomplete sequence at the end of the input.
        out += kReplacement;
        break;
    }
    return out;
}

}  // namespace

std::string valid_utf8(std::string_view s) {
    if (is_valid_utf8(s)) return std::string(s);
    std::string out;
    out.reserve(s.size() + 16);
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t len = utf8_length(s, i);
        if (len == 0) {
            out += kReplacement;
            ++i;
        } else {
            out.append(s.substr(i, len));
            i += len;
        }
    }
    return out;
}

namespace {

// Bytes meant as UTF-8: used in place when valid, else repaired in a copy.
Utf8Document utf8_document(std::string_view bytes) {
    Utf8Document doc;
    doc.encoding = "utf-8";
    if (is_valid_utf8(bytes))
        doc.borrowed = bytes;
    else
        doc.text = valid_utf8(bytes);
    return doc;
}

}  // namespace

Utf8Document decode_xml_document(std::string_view bytes, std::string_view content_type) {
    auto starts = [&](std::string_view prefix) { return bytes.substr(0, prefix.size()) == prefix; };
    using namespace std::string_view_literals;
    // Byte order marks, then the shape of "<?" in UTF-16/32 without one.
    struct Wide {
        std::string_view mark;
        std::size_t skip;
        const char* name;
        std::size_t unit;
    };
    static constexpr std::array<Wide, 8> kWide{{
        {"\xFF\xFE\x00\x00"sv, 4, "UTF-32LE", 4},
        {"\x00\x00\xFE\xFF"sv, 4, "UTF-32BE", 4},
        {"\xFF\xFE"sv, 2, "UTF-16LE", 2},
        {"\xFE\xFF"sv, 2, "UTF-16BE", 2},
        {"\x3C\x00\x00\x00"sv, 0, "UTF-32LE", 4},
        {"\x00\x00\x00\x3C"sv, 0, "UTF-32BE", 4},
        {"\x3C\x00\x3F\x00"sv, 0, "UTF-16LE", 2},
        {"\x00\x3C\x00\x3F"sv, 0, "UTF-16BE", 2},
    }};
    for (const auto& w : kWide) {
        if (!starts(w.mark)) continue;
        auto text = transcode(bytes.substr(w.skip), w.name, w.unit);
        if (text) return {valid_utf8(*text), lower(w.name), std::nullopt};
    }
    if (starts("\xEF\xBB\xBF")) return utf8_document(bytes.substr(3));

    const std::string declared = charset_of_declaration(bytes);
    std::string charset = charset_of_content_type(content_type);
    // A UTF-16/32 label on bytes that do not have that shape is wrong: the
    // bytes were re-encoded on the way (a proxy, a save-as) and kept the label.
    if (charset.starts_with("utf-16") || charset.starts_with("utf-32") ||
        charset.starts_with("ucs-") || charset.starts_with("iso-10646"))
        charset.clear();
    if (charset.empty() || (is_utf8_name(declared) && !declared.empty() && is_valid_utf8(bytes)))
        charset = declared;
    if (charset.starts_with("utf-16") || charset.starts_with("utf-32")) charset.clear();

    if (is_utf8_name(charset)) return utf8_document(bytes);
    const std::string from = is_latin1_name(charset) ? "WINDOWS-1252" : charset;
    auto text = transcode(bytes, from, 1);
    if (!text) return utf8_document(bytes);
    return {valid_utf8(*text), lower(from), std::nullopt};
}

}  // namespace specwatch::parse
