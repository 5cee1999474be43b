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

// libcurl's resolution of `ref` against an absolute `base`, which
// resolve_url skips for plain absolute paths ("/a/b.html"), giving the same
// URL; exposed so tests can compare the two.
[[nodiscard]] std::string resolve_with_curl(std::string_view base, std::string_view ref);

// True when `s` starts with a URI scheme ("http:", "urn:").
[[nodiscard]] bool has_scheme(std::string_view s);

// The identity of an item known only by its link: the same article whatever
// the feed's mood. http and https are one (feeds flip between them), scheme
// and host case, a default port, an empty path, a fragment (except a hash
// route such as "#/meeting?MtgId=1", which is the page) and tracking
// parameters (utm_*, fbclid, gclid, ...) make no difference. Anything that is
// not an http(s) URL is returned trimmed.
[[nodiscard]] std::string link_identity(std::string_view link);

}  // namespace specwatch::parse
