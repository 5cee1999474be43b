#pragma once
// Fetching documents over HTTP(S). The Fetcher interface is the seam the
// scheduler is tested through; CurlFetcher drives libcurl's multi interface
// from the Boost.Asio loop (STYLE.md point 7) and never blocks it.
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace specwatch::fetch {

struct Request {
    std::string url;
    std::string etag;           // sent as If-None-Match when set
    std::string last_modified;  // sent as If-Modified-Since when set
    std::string user_agent;
    std::string proxy;  // empty: libcurl's usual *_proxy variables
    std::chrono::seconds timeout{60};
    std::uint64_t max_body = 16 * 1024 * 1024;  // decoded bytes
    bool allow_file = false;  // the configured URL itself is file:// (never after a redirect)
    // Loopback, private, link-local… addresses may be connected (address_guard.h).
    // Off by default: a feed must not be able to reach the daemon's own network.
    bool allow_private = false;
};

struct Response {
    int status = 0;     // HTTP status; 0 when no response arrived
    std::string error;  // empty on a completed transfer (whatever the status)
    std::string body;   // decoded (gzip/deflate/br undone)
    std::string etag, last_modified, content_type;
    std::string effective_url;  // after redirects
    // Where the configured URL has moved: the target of the 301/308 redirects
    // that the chain starts with ("" when it starts otherwise). The user should
    // put it in the config.
    std::string permanent_redirect;
    // The final response's Retry-After, as a delay from when it was sent
    // (an HTTP date is taken relative to the response's Date header).
    std::optional<std::chrono::seconds> retry_after;
    std::chrono::milliseconds elapsed{0};

    [[nodiscard]] bool ok() const { return error.empty() && (status == 200 || status == 0); }
    [[nodiscard]] bool not_modified() const { return error.empty() && status == 304; }
};

// A Retry-After value: delay-seconds ("120") or an HTTP date, which counts
// from `date` (the response's Date header, else now; Unix seconds). Nothing
// for a value that is neither; a date in the past is a delay of 0.
[[nodiscard]] std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                                    std::int64_t date);

using Callback = std::function<void(Response)>;

class Fetcher {
  public:
    virtual ~Fetcher() = default;
    // Starts a fetch; `done` runs on the loop's thread, exactly once, unless
    // cancel_all() or destruction comes first.
    virtual void fetch(Request request, Callback done) = 0;
    // Aborts every transfer in flight or queued; their callbacks do not run.
    virtual void cancel_all() = 0;
    [[nodiscard]] virtual std::size_t in_flight() const = 0;
};

struct Limits {
    int max_parallel = 16;
    int max_per_host = 2;
};

// The libcurl implementation. Must be created and used on the thread that
// runs `io`.
[[nodiscard]] std::unique_ptr<Fetcher> make_curl_fetcher(boost::asio::io_context& io,
                                                         Limits limits);

}  // namespace specwatch::fetch
