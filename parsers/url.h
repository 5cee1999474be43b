#pragma once
// Relative references in feeds (links, xml:base) made absolute.
#include <string>
#include <string_view>

namespace specwatch::parse {

// Resolves `ref` against `base` as RFC 3986 section 5 says. A reference that
// already has a scheme ("https:", "mailto:", "tag:") is returned as written,
// trimmed; so is any reference when the base is empty or not a hierarchical
// URL that can anchor it (a "tag:" id). Never fails: the worst case is `ref`.
[[nodiscard]] std::string resolve_url(std::string_view base, std::string_view ref);

// True when `s` starts with a URI scheme ("http:", "urn:").
[[nodiscard]] bool has_scheme(std::string_view s);

}  // namespace specwatch::parse
