#pragma once
// The SSRF guard: which addresses a feed may not make the daemon connect to.
// A feed URL comes from a config, but its host name resolves however its DNS
// says, and a redirect can point anywhere; so the check is made on the address
// actually connected, on every hop (CurlFetcher's open-socket callback), not
// on the URL.
#include <string_view>

struct sockaddr;

namespace specwatch::fetch {

// What kind of non-public address `addr` is ("loopback", "private",
// "link-local"…), or an empty view for a public one. IPv4-mapped,
// IPv4-compatible, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) forms are judged
// by the IPv4 address they carry. Any family other than IPv4 and IPv6 is
// "not an IP address" (refused too).
[[nodiscard]] std::string_view blocked_address_kind(const sockaddr* addr);

// The same for an address written as text ("127.0.0.1", "::ffff:10.0.0.1");
// "not an IP address" when it does not parse. For tests and messages.
[[nodiscard]] std::string_view blocked_address_kind(std::string_view text);

}  // namespace specwatch::fetch
