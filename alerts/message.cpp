#include "alerts/message.h"

#include "common/text.h"
#include "common/version.h"

#include <ctime>
#include <random>

#include <fmt/format.h>

namespace specwatch::alerts {

namespace {

// RFC 2047 section 2: an encoded word is at most 75 characters. With
// "=?UTF-8?B?" and "?=" (12 characters) that leaves 63 for base64, i.e. 45
// bytes of text (60 characters) per word.
constexpr std::size_t kEncodedWordBytes = 45;
// RFC 2045: quoted-printable lines are at most 76 characters.
constexpr std::size_t kQpLine = 76;
// A short ASCII subject needs no encoding; a longer one is encoded so that it
// is folded into lines well under RFC 5322's 78-character recommendation.
constexpr std::size_t kPlainSubjectMax = 60;

std::string random_hex(std::size_t bytes) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) out += fmt::format("{:02x}", rng() & 0xff);
    return out;
}

std::string base64(std::string_view in) {
    static constexpr char table[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    const auto byte = [&](std::size_t k) {
        return static_cast<unsigned>(static_cast<unsigned char>(in[k]));
    };
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == in.size()) {
        const unsigned v = byte(i) << 16;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

bool is_continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xc0) == 0x80;
}

// A snippet's pieces cleaned one by one, the matched ones wrapped by `mark`.
template <class Escape>
std::string render_snippet(std::string_view snippet, std::string_view open, std::string_view close,
                           Escape escape) {
    std::string out;
    std::string piece;
    bool in_match = false;
    const auto flush = [&] {
        if (piece.empty()) return;
        // The spaces around a match are kept: they separate it from its context.
        std::string clean = escape(sanitize_line(piece));
        if (!clean.empty() && clean.front() != ' ' &&
            (piece.front() == ' ' || piece.front() == '\n'))
            clean.insert(clean.begin(), ' ');
        if (!clean.empty() && clean.back() != ' ' && (piece.back() == ' ' || piece.back() == '\n'))
            clean.push_back(' ');
        if (in_match) {
            out += open;
            out += clean;
            out += close;
        } else {
            out += clean;
        }
        piece.clear();
    };
    for (char c : snippet) {
        if (c == kMatchOpen || c == kMatchClose) {
            flush();
            in_match = c == kMatchOpen;
        } else {
            piece += c;
        }
    }
    flush();
    return out;
}

std::string identity(std::string s) {
    return s;
}

bool is_web_link(std::string_view link) {
    const std::string lower = to_lower_ascii(link.substr(0, 8));
    return lower.starts_with("http://") || lower.starts_with("https://");
}

// "ITU · ITU-T SG17 · 2026-03-16 · Geneva" from the fields present, cleaned.
std::string item_meta(const MessageItem& it) {
    std::string meta;
    for (const std::string* f : {&it.body, &it.group, &it.date, &it.location}) {
        const std::string clean = header_safe(*f);
        if (clean.empty()) continue;
        if (!meta.empty()) meta += " \u00b7 ";
        meta += clean;
    }
    return meta;
}

std::string sources_note(const MessageItem& it) {
    if (it.sources.size() < 2) return {};
    std::string out = "via ";
    for (std::size_t i = 0; i < it.sources.size(); ++i) {
        if (i) out += ", ";
        out += header_safe(it.sources[i]);
    }
    return out;
}

std::string text_part(const MessageSpec& spec) {
    std::string out = header_safe(spec.intro) + "\n\n";
    int n = 0;
    for (const auto& it : spec.items) {
        const std::string title = header_safe(it.title);
        out += fmt::format("{}. {}{}\n", ++n, it.changed ? "(changed) " : "",
                           title.empty() ? "(untitled)" : title);
        if (auto meta = item_meta(it); !meta.empty()) out += "   " + meta + "\n";
        if (auto link = header_safe(it.link); !link.empty()) out += "   " + link + "\n";
        for (const auto& [label, url] : it.links)
            out += fmt::format("   {}: {}\n", header_safe(label), header_safe(url));
        if (auto s = render_snippet(it.snippet, "*", "*", identity); !s.empty())
            out += "   " + s + "\n";
        if (auto via = sources_note(it); !via.empty()) out += "   " + via + "\n";
        out += "\n";
    }
    for (const auto& line : spec.lines) out += header_safe(line) + "\n";
    if (!spec.lines.empty()) out += "\n";
    out +=
        fmt::format("-- \nspecwatch {}{}\n", kVersion,
                    spec.rule.empty() ? "" : fmt::format(", rule \"{}\"", header_safe(spec.rule)));
    return out;
}

std::string html_part(const MessageSpec& spec) {
    std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n<body>\n<p>" +
                      html_escape(header_safe(spec.intro)) + "</p>\n<ol>\n";
    for (const auto& it : spec.items) {
        const std::string title = html_escape(header_safe(it.title));
        const std::string link = header_safe(it.link);
        out += "<li>";
        if (it.changed) out += "<em>(changed)</em> ";
        if (is_web_link(link))
            out += fmt::format("<a href=\"{}\">{}</a>", html_escape(link),
                               title.empty() ? "(untitled)" : title);
        else
            out += title.empty() ? "(untitled)" : title;
        if (auto meta = item_meta(it); !meta.empty())
            out += "<br>\n<small>" + html_escape(meta) + "</small>";
        if (!link.empty() && !is_web_link(link)) out += "<br>\n" + html_escape(link);
        for (const auto& [label, url] : it.links) {
            const std::string clean = header_safe(url);
            if (!is_web_link(clean)) continue;
            out += fmt::format("<br>\n<a href=\"{}\">{}</a>", html_escape(clean),
                               html_escape(header_safe(label)));
        }
        if (auto s = render_snippet(it.snippet, "<b>", "</b>", html_escape); !s.empty())
            out += "<br>\n" + s;
        if (auto via = sources_note(it); !via.empty())
            out += "<br>\n<small>" + html_escape(via) + "</small>";
        out += "</li>\n";
    }
    out += "</ol>\n";
    for (const auto& line : spec.lines) out += "<p>" + html_escape(header_safe(line)) + "</p>\n";
    out += fmt::format("<p><small>specwatch {}{}</small></p>\n</body></html>\n", kVersion,
                       spec.rule.empty() ? ""
                                         : fmt::format(", rule &quot;{}&quot;",
                                                       html_escape(header_safe(spec.rule))));
    return out;
}

}  // namespace

std::string header_safe(std::string_view text) {
    // sanitize_line removes C0/C1 controls (CR, LF, NUL among them), escape
    // sequences and invalid UTF-8, and collapses white space.
    return trim(sanitize_line(text));
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string quoted_printable(std::string_view utf8) {
    std::string out;
    std::size_t col = 0;
    const auto put = [&](std::string_view piece) {
        // A soft break keeps every line within kQpLine, "=" included.
        if (col + piece.size() > kQpLine - 1) {
            out += "=\r\n";
            col = 0;
        }
        out += piece;
        col += piece.size();
    };
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const char c = utf8[i];
        if (c == '\n') {
            out += "\r\n";
            col = 0;
            continue;
        }
        if (c == '\r') continue;  // line ends are always written as CRLF above
        const auto u = static_cast<unsigned char>(c);
        const bool line_end = i + 1 == utf8.size() || utf8[i + 1] == '\n' || utf8[i + 1] == '\r';
        // A leading '.' is encoded too: some relays still treat it specially.
        const bool literal = (u >= 33 && u <= 126 && c != '=' && !(c == '.' && col == 0)) ||
                             ((c == ' ' || c == '\t') && !line_end);
        if (literal)
            put(std::string_view(&c, 1));
        else
            put(fmt::format("={:02X}", u));
    }
    return out;
}

std::string encode_header_text(std::string_view utf8) {
    const std::string clean = header_safe(utf8);
    bool ascii = clean.size() <= kPlainSubjectMax;
    for (char c : clean)
        if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
    // "=?" in plain text would read as the start of an encoded word.
    if (ascii && clean.find("=?") == std::string::npos) return clean;
    std::string out;
    std::size_t i = 0;
    while (i < clean.size()) {
        std::size_t end = std::min(clean.size(), i + kEncodedWordBytes);
        // Never split a UTF-8 sequence across two words (RFC 2047 section 5).
        while (end < clean.size() && end > i && is_continuation(clean[end])) --end;
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64(std::string_view(clean).substr(i, end - i)) + "?=";
        i = end;
    }
    return out;
}

std::string rfc5322_date(SysTime t) {
    const std::time_t tt = static_cast<std::time_t>(to_unix(t));
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

std::string address_of(std::string_view mailbox) {
    const std::string clean = header_safe(mailbox);
    const auto open = clean.rfind('<');
    const auto close = clean.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open)
        return trim(clean.substr(open + 1, close - open - 1));
    return clean;
}

std::string make_message_id(std::string_view from, SysTime when) {
    const std::string address = address_of(from);
    std::string domain;
    if (const auto at = address.rfind('@'); at != std::string::npos)
        for (char c : address.substr(at + 1))
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') domain += c;
    if (domain.empty()) domain = "specwatch.localhost";
    return fmt::format("<{}.{}@{}>", to_unix(when), random_hex(8), domain);
}

Rendered render(const MessageSpec& spec) {
    Rendered r;
    r.message_id =
        spec.message_id.empty() ? make_message_id(spec.from, spec.date) : spec.message_id;
    // "=_" never occurs in quoted-printable text, so the boundary cannot either.
    const std::string boundary = "=_specwatch_" + random_hex(12);
    std::string to;
    for (const auto& a : spec.to) {
        const std::string clean = header_safe(a);
        if (clean.empty()) continue;
        if (!to.empty()) to += ",\r\n ";
        to += clean;
    }
    std::string& m = r.data;
    m += "From: " + header_safe(spec.from) + "\r\n";
    m += "To: " + to + "\r\n";
    m += "Subject: " + encode_header_text(spec.subject) + "\r\n";
    m += "Date: " + rfc5322_date(spec.date) + "\r\n";
    m += "Message-ID: " + r.message_id + "\r\n";
    if (!spec.references.empty()) {
        m += "In-Reply-To: " + header_safe(spec.references.front()) + "\r\n";
        m += "References:";
        for (std::size_t i = 0; i < spec.references.size(); ++i)
            m += (i ? "\r\n " : " ") + header_safe(spec.references[i]);
        m += "\r\n";
    }
    m += "Auto-Submitted: auto-generated\r\n";
    m += "Precedence: bulk\r\n";
    if (!spec.rule.empty()) m += "X-Specwatch-Rule: " + encode_header_text(spec.rule) + "\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n";
    m += "\r\n";
    m += "This is a MIME message: a plain text and an HTML version.\r\n";
    m += "\r\n--" + boundary + "\r\n";
    m += "Content-Type: text/plain; charset=utf-8\r\n";
    m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    m += quoted_printable(text_part(spec));
    m += "\r\n--" + boundary + "\r\n";
    m += "Content-Type: text/html; charset=utf-8\r\n";
    m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    m += quoted_printable(html_part(spec));
    m += "\r\n--" + boundary + "--\r\n";
    return r;
}

}  // namespace specwatch::alerts
