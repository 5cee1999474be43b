#pragma once
// Alert mail as RFC 5322 / MIME text. Everything that came from a feed is
// untrusted: it never reaches a header (the subject is built from the rule's
// name and the config's bodies only, and even those are cleaned and
// RFC 2047-encoded), and in the HTML part it is always escaped. Bodies are
// quoted-printable, so no line is longer than 76 characters whatever the feed
// holds, and a CR or LF in feed text can only ever be text.
#include "common/clock.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace specwatch::alerts {

// The markers FTS5's snippet() puts around matched words (see match.cpp):
// control characters, which sanitizing removes from feed text itself.
inline constexpr char kMatchOpen = '\x02';
inline constexpr char kMatchClose = '\x03';

struct MessageItem {
    std::string title;
    std::string body, group;
    std::string date;      // normalized item date (common/item.h)
    std::string location;  // a meeting's place (reminders)
    std::string link;
    std::string snippet;  // with kMatchOpen/kMatchClose around matched words
    // A meeting's related pages (reminders): ("Agenda", URL), ("Documents", URL)…
    std::vector<std::pair<std::string, std::string>> links;
    std::vector<std::string> sources;
    bool changed = false;
};

struct MessageSpec {
    std::string from;             // "specwatch <specwatch@example.org>"
    std::vector<std::string> to;  // addresses
    std::string subject;          // UTF-8; cleaned and encoded by render()
    std::string intro;            // first paragraph of the text
    std::vector<MessageItem> items;
    std::vector<std::string> lines;       // further plain paragraphs (health mail)
    std::vector<std::string> references;  // Message-IDs this mail follows up
    std::string rule;                     // for the X-Specwatch-Rule header
    SysTime date;
    std::string message_id;  // "<…@…>"; make_message_id() when empty
};

struct Rendered {
    std::string message_id;
    std::string data;  // the whole message, CRLF line ends
};

[[nodiscard]] Rendered render(const MessageSpec& spec);

// "<1764280000.8f3a…@example.org>": the domain of `from`, a random part.
[[nodiscard]] std::string make_message_id(std::string_view from, SysTime when);
// "Fri, 27 Nov 2026 22:06:08 +0000"
[[nodiscard]] std::string rfc5322_date(SysTime t);
// The Subject header's value: ASCII as it is when short, else RFC 2047 "B"
// encoded words of at most 75 characters, folded.
[[nodiscard]] std::string encode_header_text(std::string_view utf8);
// "Name <a@b>" → "a@b"; a bare address as it is.
[[nodiscard]] std::string address_of(std::string_view mailbox);
// Header-safe: controls, CR, LF, NUL and C1 removed, white space collapsed.
[[nodiscard]] std::string header_safe(std::string_view text);
[[nodiscard]] std::string quoted_printable(std::string_view utf8);
[[nodiscard]] std::string html_escape(std::string_view text);

}  // namespace specwatch::alerts
