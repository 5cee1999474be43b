#pragma once
// Feeds arrive in UTF-8 mostly, but also in UTF-16, ISO-8859-x and
// windows-1252; the XML parser and everything after it see UTF-8 only.
#include <optional>
#include <string>
#include <string_view>

namespace specwatch::parse {

struct Utf8Document {
    std::string text;      // UTF-8, without a byte order mark, when converted
    std::string encoding;  // what it was decoded from ("utf-8", "windows-1252", ...)
    // The input itself when it was valid UTF-8 already (no copy is made): a
    // view of the caller's bytes, valid as long as they are.
    std::optional<std::string_view> borrowed;

    // The document's UTF-8 text, wherever it is.
    [[nodiscard]] std::string_view utf8() const { return borrowed ? *borrowed : text; }
};

// Decodes an XML document to UTF-8. The encoding comes from, in order: a byte
// order mark; the UTF-16/32 shape of "<?"; the charset of `content_type` (the
// HTTP header); the XML declaration's encoding; else UTF-8. ISO-8859-1 is read
// as windows-1252, its superset in practice (as browsers do); US-ASCII is read as UTF-8. When the
// header names a legacy charset but the declaration says UTF-8 and the bytes are valid UTF-8, the
// bytes win (a server default that was never true of this file). Bytes invalid in the encoding
// become U+FFFD; an encoding iconv does not know is read as UTF-8. Never fails.
[[nodiscard]] Utf8Document decode_xml_document(std::string_view bytes,
                                               std::string_view content_type);

// `s` with every byte sequence that is not valid UTF-8 replaced by U+FFFD.
[[nodiscard]] std::string valid_utf8(std::string_view s);

}  // namespace specwatch::parse
