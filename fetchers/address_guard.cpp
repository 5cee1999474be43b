#include "fetchers/address_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

namespace specwatch::fetch {
namespace {

constexpr std::string_view kPublic{};

struct V4Range {
    std::uint32_t net;
    int prefix;
    std::string_view kind;
};

constexpr std::uint32_t v4(int a, int b, int c, int d) {
    return (std::uint32_t(a) << 24) | (std::uint32_t(b) << 16) | (std::uint32_t(c) << 8) |
           std::uint32_t(d);
}

// IANA's special-purpose registry, the ranges a public feed never lives in.
constexpr std::array kV4Blocked = {
    V4Range{v4(0, 0, 0, 0), 8, "unspecified"},  // "this network"; 0.0.0.0 reaches localhost
    V4Range{v4(10, 0, 0, 0), 8, "private"},
    V4Range{v4(100, 64, 0, 0), 10, "shared/CGNAT"},
    V4Range{v4(127, 0, 0, 0), 8, "loopback"},
    V4Range{v4(169, 254, 0, 0), 16, "link-local"},  // 169.254.169.254: cloud metadata
    V4Range{v4(172, 16, 0, 0), 12, "private"},
    V4Range{v4(192, 0, 0, 0), 24, "IETF protocol assignments"},
    V4Range{v4(192, 168, 0, 0), 16, "private"},
    V4Range{v4(198, 18, 0, 0), 15, "benchmarking"},
    V4Range{v4(224, 0, 0, 0), 4, "multicast"},
    V4Range{v4(240, 0, 0, 0), 4, "reserved"},  // includes 255.255.255.255, broadcast
};

std::string_view classify_v4(std::uint32_t a) {
    for (const auto& r : kV4Blocked) {
        const std::uint32_t mask = r.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - r.prefix);
        if ((a & mask) == r.net) return r.kind;
    }
    return kPublic;
}

std::uint32_t v4_at(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
           std::uint32_t(p[3]);
}

bool all_zero(const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (p[i] != 0) return false;
    return true;
}

std::string_view classify_v6(const std::uint8_t (&b)[16]) {
    if (all_zero(b, 16)) return "unspecified";
    if (all_zero(b, 15) && b[15] == 1) return "loopback";
    // ::ffff:a.b.c.d (mapped) — the kernel connects such an address over IPv4.
    if (all_zero(b, 10) && b[10] == 0xff && b[11] == 0xff) return classify_v4(v4_at(b + 12));
    // ::a.b.c.d (the deprecated "compatible" form) and the rest of ::/96.
    if (all_zero(b, 12)) return classify_v4(v4_at(b + 12));
    // 64:ff9b::/96, the well-known NAT64 prefix: a gateway connects to the IPv4 inside.
    static constexpr std::uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (std::memcmp(b, nat64, 12) == 0) return classify_v4(v4_at(b + 12));
    // 2002::/16, 6to4: the next 32 bits are an IPv4 address.
    if (b[0] == 0x20 && b[1] == 0x02) return classify_v4(v4_at(b + 2));
    if ((b[0] & 0xfe) == 0xfc) return "private";                     // fc00::/7, unique local
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";  // fe80::/10
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "site-local";  // fec0::/10, deprecated
    if (b[0] == 0xff) return "multicast";                            // ff00::/8
    return kPublic;
}

}  // namespace

std::string_view blocked_address_kind(const sockaddr* addr) {
    if (addr == nullptr) return "not an IP address";
    if (addr->sa_family == AF_INET) {
        sockaddr_in in{};
        std::memcpy(&in, addr, sizeof in);
        return classify_v4(ntohl(in.sin_addr.s_addr));
    }
    if (addr->sa_family == AF_INET6) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, addr, sizeof in6);
        std::uint8_t b[16];
        std::memcpy(b, in6.sin6_addr.s6_addr, 16);
        return classify_v6(b);
    }
    return "not an IP address";
}

std::string_view blocked_address_kind(std::string_view text) {
    const std::string s{text};
    in_addr a4{};
    if (::inet_pton(AF_INET, s.c_str(), &a4) == 1) return classify_v4(ntohl(a4.s_addr));
    in6_addr a6{};
    if (::inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
        std::uint8_t b[16];
        std::memcpy(b, a6.s6_addr, 16);
        return classify_v6(b);
    }
    return "not an IP address";
}

}  // namespace specwatch::fetch
