#pragma once
// Text that came from the network (titles, server errors) is untrusted: before
// it reaches a terminal or a log line, escape sequences and control characters
// go, and invalid UTF-8 is replaced.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace specwatch {

// Removes ANSI/VT escape sequences (CSI, OSC, DCS…, 7- and 8-bit forms), C0 and
// C1 control characters and DEL; replaces invalid UTF-8 with U+FFFD. Newlines
// and tabs are kept.
[[nodiscard]] std::string sanitize_text(std::string_view s);

// As sanitize_text, and every run of white space (newlines included) becomes
// one space: for one-line output such as table cells and log lines.
[[nodiscard]] std::string sanitize_line(std::string_view s);

// Decodes the UTF-8 sequence at s[i] into `cp`; returns its length, or 0 when
// it is invalid (truncated, overlong, a surrogate, past U+10FFFF).
[[nodiscard]] std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp);

// Number of terminal columns `s` (valid UTF-8) takes, counting one per code
// point (wide CJK characters count two).
[[nodiscard]] std::size_t display_width(std::string_view s);

// The longest prefix of `s` that fits in `width` columns, with "…" when cut.
[[nodiscard]] std::string truncate_display(std::string_view s, std::size_t width);

[[nodiscard]] std::string trim(std::string_view s);
[[nodiscard]] std::string to_lower_ascii(std::string_view s);

// fnmatch(3) glob on names ("itu-*").
[[nodiscard]] bool glob_match(const std::string& pattern, const std::string& name);

// A stable 64-bit hash (XXH3) as 16 hex digits: fingerprints and content ids.
[[nodiscard]] std::string hash_hex(std::string_view data);

// The same 16 digits in place: one more than a std::string keeps without an
// allocation, and the writer hashes every item twice.
struct HashHex {
    std::array<char, 16> digits;
    [[nodiscard]] std::string_view view() const { return {digits.data(), digits.size()}; }
};
[[nodiscard]] HashHex hash_hex16(std::string_view data);

// An alert's link as a number (schema 11, alerts.link_hash): the XXH3 hash of
// the normalized link as a signed 64-bit integer, 0 for no link (and 1 for the
// one link in 2^64 whose hash is 0). Equal links have equal hashes; the
// duplicate rule still compares the text, so a collision marks nothing.
[[nodiscard]] std::int64_t link_hash(std::string_view link_key);

}  // namespace specwatch
