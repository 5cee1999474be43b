#include "parsers/url.h"

#include <curl/curl.h>

#include <memory>

namespace specwatch::parse {

namespace {

struct CurluDeleter {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStringDeleter {
    void operator()(char* s) const { curl_free(s); }
};

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string_view trim_ws(std::string_view s) {
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return s;
}

// Accept schemes libcurl does not speak (feeds link to ftp:, gopher:, ...) and
// the spaces careless feeds leave in paths (libcurl percent-encodes them).
constexpr unsigned kFlags = CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE;

// "/" then characters libcurl keeps as they are, without dot segments,
// query or fragment.
bool plain_absolute_path(std::string_view ref) {
    if (ref.size() < 2 || ref[0] != '/' || ref[1] == '/') return false;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        const char c = ref[i];
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '~' || c == '/' ||
                           c == '.';
        if (!plain) return false;
        if (c == '.' && ref[i - 1] == '/') return false;  // "/./", "/../", "/.x"
    }
    return true;
}

std::string resolve_absolute(std::string_view base, std::string_view ref) {
    // libcurl 7.88 resolves most references by RFC 3986 but turns "" and
    // "#frag" into the base's directory: those two are the base itself.
    if (ref.empty() || ref.front() == '#') {
        if (!has_scheme(base)) return std::string(ref);
        std::string b(base.substr(0, base.find('#')));
        return b + std::string(ref);
    }
    // The commonest reference, an absolute path of plain characters
    // ("/api/v1/meeting/123/"), is the base's origin as libcurl writes it
    // plus the path: libcurl is asked for the origin once per base.
    if (plain_absolute_path(ref)) {
        thread_local std::string last_base, last_origin;
        if (last_base != base || last_origin.empty()) {
            std::string origin = resolve_with_curl(base, "/");
            if (!has_scheme(origin) || !origin.ends_with("/")) return resolve_with_curl(base, ref);
            origin.pop_back();
            last_base = std::string(base);
            last_origin = std::move(origin);
        }
        std::string out;
        out.reserve(last_origin.size() + ref.size());
        out += last_origin;
        out += ref;
        return out;
    }
    return resolve_with_curl(base, ref);
}

}  // namespace

std::string resolve_with_curl(std::string_view base, std::string_view ref) {
    std::unique_ptr<CURLU, CurluDeleter> u{curl_url()};
    if (!u) return std::string(ref);
    const std::string base_s(base), ref_s(ref);
    if (curl_url_set(u.get(), CURLUPART_URL, base_s.c_str(), kFlags) != CURLUE_OK)
        return std::string(ref);
    if (curl_url_set(u.get(), CURLUPART_URL, ref_s.c_str(), kFlags) != CURLUE_OK)
        return std::string(ref);
    char* out = nullptr;
    if (curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK || out == nullptr)
        return std::string(ref);
    std::unique_ptr<char, CurlStringDeleter> owned{out};
    return std::string(out);
}

bool has_scheme(std::string_view s) {
    if (s.empty() || !is_alpha(s[0])) return false;
    for (std::size_t i = 1; i < s.size(); ++i) {
        const char c = s[i];
        if (c == ':') return true;
        if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
            return false;
    }
    return false;
}

std::string link_identity(std::string_view link_in) {
    const std::string_view link = trim_ws(link_in);
    std::string lower;
    for (char c : link.substr(0, 8)) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    std::size_t rest_at = 0;
    if (lower.starts_with("https://"))
        rest_at = 8;
    else if (lower.starts_with("http://"))
        rest_at = 7;
    else
        return std::string(link);
    const bool was_https = rest_at == 8;
    std::string_view rest = link.substr(rest_at);
    // Fragment: dropped unless it is a hash route.
    std::string fragment;
    if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
        const std::string_view f = rest.substr(hash + 1);
        if (!f.empty() && (f.front() == '/' || f.front() == '!')) fragment = "#" + std::string(f);
        rest = rest.substr(0, hash);
    }
    const auto path_at = rest.find_first_of("/?");
    std::string host(rest.substr(0, path_at));
    std::string_view tail = path_at == std::string_view::npos ? "" : rest.substr(path_at);
    for (char& c : host)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (host.ends_with(was_https ? ":443" : ":80")) host.resize(host.size() - (was_https ? 4 : 3));
    std::string path(tail.substr(0, tail.find('?')));
    if (path.empty()) path = "/";
    std::string query;
    if (const auto q = tail.find('?'); q != std::string_view::npos) {
        static constexpr std::string_view kTracking[] = {"fbclid",  "gclid",  "dclid",  "msclkid",
                                                         "mc_cid",  "mc_eid", "_hsenc", "_hsmi",
                                                         "mkt_tok", "yclid",  "igshid"};
        std::string_view params = tail.substr(q + 1);
        while (!params.empty()) {
            const auto amp = params.find('&');
            const std::string_view param = params.substr(0, amp);
            params = amp == std::string_view::npos ? "" : params.substr(amp + 1);
            if (param.empty()) continue;
            const std::string_view name = param.substr(0, param.find('='));
            bool tracking = name.starts_with("utm_");
            for (const auto t : kTracking) tracking = tracking || name == t;
            if (tracking) continue;
            query += query.empty() ? "?" : "&";
            query += param;
        }
    }
    return "https://" + host + path + query + fragment;
}

std::string resolve_url(std::string_view base_in, std::string_view ref_in) {
    const std::string_view ref = trim_ws(ref_in);
    const std::string_view base = trim_ws(base_in);
    if (has_scheme(ref) || base.empty()) return std::string(ref);
    if (has_scheme(base)) return resolve_absolute(base, ref);
    // A relative base (xml:base="/blog/" in a file parsed without its URL):
    // resolve under a stand-in origin, then take the origin off again, so
    // the result is as relative as the base was.
    if (ref.starts_with("//")) return std::string(ref);
    constexpr std::string_view kOrigin = "http://relative.invalid";
    std::string anchor(kOrigin);
    std::string_view strip = kOrigin;
    if (base.starts_with("//")) {
        anchor = "http:";
        strip = "http:";
    } else if (!base.starts_with("/")) {
        anchor += '/';
    }
    anchor += base;
    std::string out = resolve_absolute(anchor, ref);
    if (!out.starts_with(strip)) return std::string(ref);
    out.erase(0, strip.size());
    if (!base.starts_with("/") && !ref.starts_with("/") && out.starts_with("/")) out.erase(0, 1);
    return out;
}

}  // namespace specwatch::parse
