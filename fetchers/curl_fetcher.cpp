// The libcurl implementation of Fetcher: one CURLM handle driven from the
// Boost.Asio loop through curl_multi_socket_action (STYLE.md point 7). libcurl
// tells us which sockets to watch and when to wake it; Asio does the waiting.
//
// Lifetime: the state lives in an Engine held by shared_ptr. Every handler we
// hand to Asio holds only a weak_ptr, so a handler that runs after the fetcher
// is gone does nothing, and a user callback that destroys the fetcher does not
// pull the Engine out from under the handler that invoked it.
#include "fetchers/fetcher.h"

#include "fetchers/address_guard.h"

#include "common/log.h"
#include "common/text.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace specwatch::fetch {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// Reaching a feed host (DNS, TCP, TLS) takes well under a second when it is up;
// 15 s rides out a slow resolver without letting a dead host hold a slot for
// the whole transfer timeout.
constexpr std::chrono::seconds kConnectTimeout{15};
// A server sending under 10 bytes/s for 30 s is stuck or hostile (a trickle);
// this ends it even when the overall timeout is long.
constexpr long kLowSpeedLimit = 10;  // bytes per second
constexpr long kLowSpeedTime = 30;   // seconds
// http→https plus a CDN hop or two; anything longer is a loop or a trap.
constexpr long kMaxRedirects = 5;
// Schemes a configured URL may use, and the only ones a redirect may lead to:
// a feed must never be able to redirect us to file:// or another protocol.
constexpr const char* kWebProtocols = "http,https";
constexpr const char* kWebAndFileProtocols = "http,https,file";

struct MultiDeleter {
    void operator()(CURLM* m) const noexcept { curl_multi_cleanup(m); }
};
struct EasyDeleter {
    void operator()(CURL* e) const noexcept { curl_easy_cleanup(e); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

void init_curl_once() {
    static std::once_flag once;
    // curl_global_init is not thread-safe and must precede every other call;
    // an exception leaves the flag unset, so a later fetcher retries.
    std::call_once(once, [] {
        if (CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
            throw std::runtime_error(
                fmt::format("libcurl initialisation failed: {}", curl_easy_strerror(rc)));
        }
    });
}

char lower_ascii(char c) {
    return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return lower_ascii(x) == lower_ascii(y);
           });
}

// The variables libcurl takes a proxy from when CURLOPT_PROXY is not set.
bool env_proxy_set() {
    for (const char* name :
         {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
        const char* v = std::getenv(name);
        if (v != nullptr && *v != '\0') return true;
    }
    return false;
}

bool is_file_url(std::string_view url) {
    constexpr std::string_view scheme = "file://";
    return url.size() >= scheme.size() && iequals(url.substr(0, scheme.size()), scheme);
}

// A request header line; CR and LF are dropped so a stored validator can never
// inject a header of its own.
std::string header_line(std::string_view name, std::string_view value) {
    std::string line{name};
    line += ": ";
    for (char c : value) {
        if (c != '\r' && c != '\n') line += c;
    }
    return line;
}

enum class Direction { read = 0, write = 1 };

constexpr int poll_bit(Direction d) {
    return d == Direction::read ? CURL_POLL_IN : CURL_POLL_OUT;
}
constexpr int select_bit(Direction d) {
    return d == Direction::read ? CURL_CSELECT_IN : CURL_CSELECT_OUT;
}

// One socket libcurl asked us to watch. Shared with the pending async_wait
// handlers, so a handler cancelled by CURL_POLL_REMOVE still finds it alive
// and sees `removed`.
struct Socket {
    Socket(asio::io_context& io, curl_socket_t s) : descriptor(io), fd(s) {}
    asio::posix::stream_descriptor descriptor;  // never owns the fd: released, not closed
    curl_socket_t fd;
    int wanted = CURL_POLL_NONE;    // what libcurl asked for last
    std::array<bool, 2> waiting{};  // an async_wait is pending, by Direction
    bool removed = false;
};

struct Transfer {
    std::uint64_t id = 0;
    // The SSRF guard is on for this transfer (address_guard.h).
    bool guarded = true;
    // Why the guard refused a connection ("refusing to connect to …"); the
    // transfer then fails with CURLE_COULDNT_CONNECT, and this is its message.
    std::string refused;
    // Following the redirect chain through the headers: the status and URL of
    // the response being read, and whether every hop so far was permanent.
    int hop_status = 0;
    std::string hop_url;
    bool permanent_chain = true;
    // The configured URL's host (and port): what max_per_host counts.
    std::string host;
    std::string retry_after, date;  // raw header values of the final response
    Request request;
    Callback done;
    EasyPtr easy;
    SlistPtr headers;
    std::array<char, CURL_ERROR_SIZE> errbuf{};
    Response response;
    bool body_too_large = false;
    std::string callback_failure;  // an exception caught inside a libcurl callback
    SteadyClock::time_point started;
};

// A finished transfer whose callback has been posted but has not run yet.
struct Delivery {
    Callback done;
    Response response;
};

std::string describe_failure(const Transfer& t, CURLcode result) {
    if (t.body_too_large) {
        return fmt::format("response body exceeds max_body ({} bytes)", t.request.max_body);
    }
    if (!t.callback_failure.empty()) return t.callback_failure;
    if ((result == CURLE_COULDNT_CONNECT || result == CURLE_ABORTED_BY_CALLBACK) &&
        !t.refused.empty())
        return t.refused;

    const std::string summary = curl_easy_strerror(result);
    std::string detail = trim(std::string_view(t.errbuf.data()));
    // libcurl's buffer is usually the more specific text ("Failed to connect to
    // 127.0.0.1 port 9 after 0 ms: Couldn't connect to server"); lead with the
    // summary when the detail does not already contain it.
    std::string message;
    if (detail.empty()) {
        message = summary;
    } else if (detail.find(summary) != std::string::npos) {
        message = detail;
    } else {
        message = fmt::format("{}: {}", summary, detail);
    }
    switch (result) {
        case CURLE_UNSUPPORTED_PROTOCOL:
            message +=
                " (only http:// and https:// are fetched, and file:// only when it is the "
                "configured URL, never after a redirect)";
            break;
        case CURLE_TOO_MANY_REDIRECTS:
            message += " (a redirect loop?)";
            break;
        default:
            break;
    }
    return sanitize_line(message);
}

class Engine : public std::enable_shared_from_this<Engine> {
  public:
    Engine(asio::io_context& io, Limits limits) : io_(io), limits_(limits), timer_(io) {
        if (limits_.max_parallel < 1 || limits_.max_per_host < 1) {
            throw std::invalid_argument(
                fmt::format("fetcher limits must be at least 1 (max_parallel {}, max_per_host {})",
                            limits_.max_parallel, limits_.max_per_host));
        }
        init_curl_once();
        multi_.reset(curl_multi_init());
        if (!multi_) throw std::runtime_error("curl_multi_init failed (out of memory?)");
        CURLM* m = multi_.get();
        CURLMcode rc = CURLM_OK;
        auto check = [&rc](CURLMcode c) {
            if (rc == CURLM_OK) rc = c;
        };
        check(curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &Engine::on_socket));
        check(curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this));
        check(curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &Engine::on_timer));
        check(curl_multi_setopt(m, CURLMOPT_TIMERDATA, this));
        check(curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, long{limits_.max_per_host}));
        check(curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, long{limits_.max_parallel}));
        // HTTP/2 servers get all our requests over one connection.
        check(curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX));
        if (rc != CURLM_OK) {
            throw std::runtime_error(
                fmt::format("configuring libcurl failed: {}", curl_multi_strerror(rc)));
        }
    }

    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;
    ~Engine() { shutdown(); }

    void fetch(Request request, Callback done) {
        auto t = std::make_unique<Transfer>();
        t->id = next_id_++;
        t->request = std::move(request);
        t->done = std::move(done);
        t->host = host_key(t->request.url);
        queued_.push_back(std::move(t));
        start_queued();
    }

    void cancel_all() {
        queued_.clear();
        deliveries_.clear();
        // Removed from the multi handle first, destroyed after: libcurl may call
        // our socket callback during removal, and the easy handles must outlive it.
        auto active = std::move(active_);
        active_.clear();
        per_host_.clear();
        for (auto& [easy, transfer] : active) {
            if (multi_) curl_multi_remove_handle(multi_.get(), easy);
        }
    }

    // Stops everything; afterwards no handler does anything and no callback runs.
    void shutdown() {
        if (!multi_) return;
        cancel_all();
        // Cleanup closes the cached connections, telling our socket callback,
        // which releases their descriptors.
        multi_.reset();
        for (auto& [fd, socket] : sockets_) {
            socket->removed = true;
            socket->descriptor.release();
        }
        sockets_.clear();
        timer_.cancel();
    }

    [[nodiscard]] std::size_t in_flight() const {
        return active_.size() + queued_.size() + deliveries_.size();
    }

  private:
    // ---- libcurl callbacks: they only record what libcurl wants, never call it.

    static int on_socket(CURL*, curl_socket_t s, int what, void* userp, void*) noexcept {
        auto* self = static_cast<Engine*>(userp);
        try {
            if (what == CURL_POLL_REMOVE) {
                self->unwatch(s);
            } else {
                self->watch(s, what);
            }
            return 0;
        } catch (const std::exception& e) {
            log::error("fetcher: cannot watch socket {}: {}", s, e.what());
            return -1;  // libcurl fails the transfer (CURLM_ABORTED_BY_CALLBACK)
        }
    }

    static int on_timer(CURLM*, long timeout_ms, void* userp) noexcept {
        auto* self = static_cast<Engine*>(userp);
        try {
            self->set_timer(timeout_ms);
            return 0;
        } catch (const std::exception& e) {
            log::error("fetcher: cannot set the libcurl timer: {}", e.what());
            return -1;
        }
    }

    static std::size_t on_write(char* data, std::size_t size, std::size_t count,
                                void* userp) noexcept {
        auto* t = static_cast<Transfer*>(userp);
        const std::size_t n = size * count;
        // Counted after decoding: CURLOPT_MAXFILESIZE stops neither a chunked
        // endless body nor a gzip bomb (NOTES.md).
        if (t->response.body.size() + n > t->request.max_body) {
            t->body_too_large = true;
            return CURL_WRITEFUNC_ERROR;
        }
        try {
            auto& body = t->response.body;
            // The first bytes of a body whose length the response gives: room
            // for all of it at once (capped by max_body), not a string that
            // doubles ~10 times, copying itself each time (~100 M instructions
            // in a first poll of 1,000 feeds of 60 KB). Compressed, the length
            // is the encoded one, a lower bound.
            if (body.empty()) {
                curl_off_t length = -1;
                if (curl_easy_getinfo(t->easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) ==
                        CURLE_OK &&
                    length > 0)
                    body.reserve(static_cast<std::size_t>(std::min<curl_off_t>(
                        length, static_cast<curl_off_t>(t->request.max_body))));
            }
            body.append(data, n);
        } catch (const std::exception& e) {
            t->callback_failure = fmt::format("cannot store the response body: {}", e.what());
            return CURL_WRITEFUNC_ERROR;
        }
        return n;
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count,
                                 void* userp) noexcept {
        auto* t = static_cast<Transfer*>(userp);
        const std::size_t n = size * count;
        try {
            record_header(*t, std::string_view(data, n));
        } catch (const std::exception& e) {
            t->callback_failure = fmt::format("cannot store a response header: {}", e.what());
            return 0;  // aborts the transfer
        }
        return n;
    }

    static void record_header(Transfer& t, std::string_view line) {
        Response& r = t.response;
        // Each response of a redirect chain (and a proxy's CONNECT answer) has
        // its own header block; only the final one describes the body.
        if (line.starts_with("HTTP/")) {
            const auto space = line.find(' ');
            const int status = space == std::string_view::npos
                                   ? 0
                                   : std::atoi(std::string(line.substr(space + 1, 3)).c_str());
            if (status >= 100 && status < 200) return;  // interim: the real answer follows
            t.hop_status = status;
            r.etag.clear();
            r.last_modified.clear();
            r.content_type.clear();
            t.retry_after.clear();
            t.date.clear();
            return;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return;
        const std::string_view name = line.substr(0, colon);
        std::string value = trim(line.substr(colon + 1));
        if (iequals(name, "ETag")) {
            r.etag = std::move(value);
        } else if (iequals(name, "Last-Modified")) {
            r.last_modified = std::move(value);
        } else if (iequals(name, "Content-Type")) {
            r.content_type = std::move(value);
        } else if (iequals(name, "Retry-After")) {
            t.retry_after = std::move(value);
        } else if (iequals(name, "Date")) {
            t.date = std::move(value);
        } else if (iequals(name, "Location")) {
            follow_location(t, value);
        }
    }

    // The hop after a redirect, as libcurl will follow it. A chain that starts
    // with permanent redirects (301, 308) means the configured URL has moved
    // to where the last of them points.
    static void follow_location(Transfer& t, const std::string& location) {
        const int s = t.hop_status;
        if (location.empty() || !(s == 301 || s == 302 || s == 303 || s == 307 || s == 308)) return;
        std::string next = resolve_url(t.hop_url, location);
        if (next.empty()) return;
        if (t.permanent_chain && (s == 301 || s == 308))
            t.response.permanent_redirect = next;
        else
            t.permanent_chain = false;
        t.hop_url = std::move(next);
    }

    // `ref` resolved against `base` with libcurl's URL parser (the one that
    // follows the redirect); "" when either does not parse.
    static std::string resolve_url(const std::string& base, const std::string& ref) {
        struct UrlDeleter {
            void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
        };
        std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
        if (!u) return {};
        if (curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) return {};
        if (curl_url_set(u.get(), CURLUPART_URL, ref.c_str(), 0) != CURLUE_OK) return {};
        char* out = nullptr;
        if (curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK || out == nullptr) return {};
        std::string result = out;
        curl_free(out);
        return result;
    }

    // libcurl asks us for every socket it connects, on every hop and for every
    // address it tries: the one place where the address actually connected is
    // known, whatever DNS answered and wherever a redirect pointed.
    static curl_socket_t on_open_socket(void* clientp, curlsocktype purpose,
                                        curl_sockaddr* address) noexcept {
        auto* t = static_cast<Transfer*>(clientp);
        if (purpose == CURLSOCKTYPE_IPCXN && t->guarded) {
            const bool v6 = address->family == AF_INET6;
            const std::size_t need = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
            std::string_view kind = address->addrlen < need ? std::string_view("not an IP address")
                                                            : blocked_address_kind(&address->addr);
            if (!kind.empty()) {
                try {
                    t->refused = fmt::format(
                        "refusing to connect to {} ({}): set allow_private = true for this "
                        "source if that is intended",
                        address_text(*address), kind);
                } catch (...) {
                    t->refused = "refusing to connect to a non-public address";
                }
                return CURL_SOCKET_BAD;
            }
        }
        // Close-on-exec: a mail transport's child process must not inherit it.
        return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    }

    // Called before each request is sent, on a new or a reused connection, on
    // every hop. The open-socket check never sees a reused connection: one
    // opened by a source that allows private addresses must not serve a
    // source that does not.
    static int on_prereq(void* clientp, char* primary_ip, char*, int, int) noexcept {
        auto* t = static_cast<Transfer*>(clientp);
        if (!t->guarded) return CURL_PREREQFUNC_OK;
        const std::string_view ip = primary_ip != nullptr ? primary_ip : "";
        const std::string_view kind = blocked_address_kind(ip);
        if (kind.empty()) return CURL_PREREQFUNC_OK;
        try {
            t->refused = fmt::format(
                "refusing to connect to {} ({}): set allow_private = true for this source if "
                "that is intended",
                ip, kind);
        } catch (...) {
            t->refused = "refusing to connect to a non-public address";
        }
        return CURL_PREREQFUNC_ABORT;
    }

    static std::string address_text(const curl_sockaddr& a) {
        char buf[INET6_ADDRSTRLEN] = {};
        if (a.family == AF_INET) {
            sockaddr_in in{};
            std::memcpy(&in, &a.addr, sizeof in);
            ::inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
        } else if (a.family == AF_INET6) {
            sockaddr_in6 in6{};
            std::memcpy(&in6, &a.addr, sizeof in6);
            ::inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf);
        } else {
            return fmt::format("an address of family {}", a.family);
        }
        return buf;
    }

    // ---- socket watching

    void watch(curl_socket_t fd, int what) {
        auto& slot = sockets_[fd];
        if (!slot) {
            auto socket = std::make_shared<Socket>(io_, fd);
            boost::system::error_code ec;
            socket->descriptor.assign(fd, ec);
            if (ec) {
                sockets_.erase(fd);
                throw std::runtime_error(ec.message());
            }
            slot = std::move(socket);
        }
        const std::shared_ptr<Socket> socket = slot;
        socket->wanted = what;
        if (what & CURL_POLL_IN) arm(socket, Direction::read);
        if (what & CURL_POLL_OUT) arm(socket, Direction::write);
    }

    void unwatch(curl_socket_t fd) {
        const auto it = sockets_.find(fd);
        if (it == sockets_.end()) return;
        const std::shared_ptr<Socket> socket = std::move(it->second);
        sockets_.erase(it);
        socket->removed = true;
        socket->wanted = CURL_POLL_NONE;
        // Cancels the pending waits (their handlers see operation_aborted) and
        // hands the fd back: libcurl closes it, not us.
        socket->descriptor.release();
    }

    void arm(const std::shared_ptr<Socket>& socket, Direction d) {
        auto& waiting = socket->waiting[static_cast<std::size_t>(d)];
        if (waiting) return;
        waiting = true;
        socket->descriptor.async_wait(
            d == Direction::read ? asio::posix::stream_descriptor::wait_read
                                 : asio::posix::stream_descriptor::wait_write,
            [weak = weak_from_this(), socket, d](const boost::system::error_code& ec) {
                socket->waiting[static_cast<std::size_t>(d)] = false;
                if (ec == asio::error::operation_aborted || socket->removed) return;
                if (auto self = weak.lock()) self->on_ready(socket, d, ec);
            });
    }

    void on_ready(const std::shared_ptr<Socket>& socket, Direction d,
                  const boost::system::error_code& ec) {
        if (!multi_) return;
        // libcurl may have dropped this direction since the wait started.
        if (!(socket->wanted & poll_bit(d))) return;
        socket_action(socket->fd, select_bit(d) | (ec ? CURL_CSELECT_ERR : 0));
        collect_done();
        // socket_action may have removed the socket, changed what it wants, or
        // already re-armed this direction through on_socket (arm checks that).
        // After an error, libcurl's own timeout ends the transfer rather than a
        // wait that fails again at once.
        if (!ec && !socket->removed && (socket->wanted & poll_bit(d))) arm(socket, d);
    }

    // ---- timer

    void set_timer(long timeout_ms) {
        timer_.cancel();
        if (timeout_ms < 0) return;
        if (timeout_ms == 0) {
            // "As soon as possible", but not from inside libcurl: next loop turn.
            if (timeout_posted_) return;
            timeout_posted_ = true;
            asio::post(io_, [weak = weak_from_this()] {
                if (auto self = weak.lock()) {
                    self->timeout_posted_ = false;
                    self->on_timeout();
                }
            });
            return;
        }
        timer_.expires_after(milliseconds(timeout_ms));
        timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
            if (ec) return;
            if (auto self = weak.lock()) self->on_timeout();
        });
    }

    void on_timeout() {
        if (!multi_) return;
        socket_action(CURL_SOCKET_TIMEOUT, 0);
        collect_done();
    }

    void socket_action(curl_socket_t fd, int flags) {
        int running = 0;
        if (CURLMcode rc = curl_multi_socket_action(multi_.get(), fd, flags, &running);
            rc != CURLM_OK) {
            log::warning("fetcher: curl_multi_socket_action: {}", curl_multi_strerror(rc));
        }
    }

    // ---- transfers

    void collect_done() {
        int left = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
            if (msg->msg != CURLMSG_DONE) continue;
            // Copied now: removing the handle frees the message.
            CURL* const easy = msg->easy_handle;
            const CURLcode result = msg->data.result;
            finish(easy, result);
        }
        start_queued();
    }

    void finish(CURL* easy, CURLcode result) {
        const auto it = active_.find(easy);
        if (it == active_.end()) {
            curl_multi_remove_handle(multi_.get(), easy);
            return;
        }
        std::unique_ptr<Transfer> t = std::move(it->second);
        active_.erase(it);
        release_host(t->host);

        Response& r = t->response;
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        r.status = static_cast<int>(status);
        char* url = nullptr;
        curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url);
        r.effective_url = url != nullptr ? url : t->request.url;
        r.elapsed = duration_cast<milliseconds>(SteadyClock::now() - t->started);
        if (result != CURLE_OK) r.error = describe_failure(*t, result);
        if (!t->retry_after.empty()) {
            const time_t date = t->date.empty() ? -1 : curl_getdate(t->date.c_str(), nullptr);
            r.retry_after = parse_retry_after(
                t->retry_after, date >= 0 ? std::int64_t{date} : std::int64_t{time(nullptr)});
        }

        curl_multi_remove_handle(multi_.get(), easy);
        t->easy.reset();
        t->headers.reset();
        deliver(std::move(t));
    }

    // Starts queued transfers, oldest first, while max_parallel allows, skipping
    // those whose host already has max_per_host in flight: a slow host with
    // many sources then holds max_per_host slots, not all of them, and the
    // other hosts' sources are fetched on time. (libcurl's own
    // CURLMOPT_MAX_HOST_CONNECTIONS would queue them inside the multi handle,
    // each still holding one of our slots.)
    void start_queued() {
        const auto max_parallel = static_cast<std::size_t>(limits_.max_parallel);
        for (auto it = queued_.begin();
             multi_ && it != queued_.end() && active_.size() < max_parallel;) {
            auto& busy = per_host_[(*it)->host];
            if (busy >= limits_.max_per_host) {
                ++it;
                continue;
            }
            ++busy;
            std::unique_ptr<Transfer> t = std::move(*it);
            it = queued_.erase(it);
            start(std::move(t));
            // start() may deliver at once (a failed setup), which does not
            // touch the queue; the iterator stays valid.
        }
    }

    void release_host(const std::string& host) {
        const auto it = per_host_.find(host);
        if (it == per_host_.end()) return;
        if (--it->second <= 0) per_host_.erase(it);
    }

    // "host:port" of a URL as libcurl reads it; the URL itself when it does
    // not parse (it then fails on its own, and counts as a host of its own).
    static std::string host_key(const std::string& url) {
        struct UrlDeleter {
            void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
        };
        std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
        if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return url;
        std::string key;
        char* part = nullptr;
        if (curl_url_get(u.get(), CURLUPART_HOST, &part, 0) == CURLUE_OK && part != nullptr) {
            key = part;
            curl_free(part);
        }
        part = nullptr;
        if (curl_url_get(u.get(), CURLUPART_PORT, &part, CURLU_DEFAULT_PORT) == CURLUE_OK &&
            part != nullptr) {
            key += ':';
            key += part;
            curl_free(part);
        }
        return key.empty() ? url : key;
    }

    void start(std::unique_ptr<Transfer> t) {
        t->started = SteadyClock::now();
        std::string error = configure(*t);
        if (error.empty()) {
            CURL* const easy = t->easy.get();
            auto [it, inserted] = active_.emplace(easy, std::move(t));
            const CURLMcode rc = curl_multi_add_handle(multi_.get(), easy);
            if (rc == CURLM_OK) return;
            t = std::move(it->second);
            active_.erase(it);
            error = fmt::format("cannot start the transfer: {}", curl_multi_strerror(rc));
        }
        release_host(t->host);
        t->response.error = std::move(error);
        t->response.effective_url = t->request.url;
        t->easy.reset();
        deliver(std::move(t));
    }

    // Creates and sets up the easy handle; returns an error message or "".
    static std::string configure(Transfer& t) {
        t.easy.reset(curl_easy_init());
        if (!t.easy) return "cannot create a libcurl handle (out of memory?)";
        CURL* const e = t.easy.get();
        const Request& r = t.request;

        CURLcode rc = CURLE_OK;
        auto check = [&rc](CURLcode c) {
            if (rc == CURLE_OK) rc = c;
        };
        check(curl_easy_setopt(e, CURLOPT_URL, r.url.c_str()));
        const bool file = r.allow_file && is_file_url(r.url);
        check(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
                               file ? kWebAndFileProtocols : kWebProtocols));
        check(curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, kWebProtocols));
        check(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L));
        check(curl_easy_setopt(e, CURLOPT_MAXREDIRS, kMaxRedirects));
        // "": every encoding this libcurl decodes (gzip, deflate, br, zstd).
        check(curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""));
        check(curl_easy_setopt(e, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_2TLS}));
        if (!r.user_agent.empty()) {
            check(curl_easy_setopt(e, CURLOPT_USERAGENT, r.user_agent.c_str()));
        }
        if (r.timeout.count() > 0) {
            const auto connect = std::min<std::chrono::seconds>(kConnectTimeout, r.timeout);
            check(curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                                   long{duration_cast<milliseconds>(connect).count()}));
            check(curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                                   long{duration_cast<milliseconds>(r.timeout).count()}));
        } else {
            check(curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                                   long{duration_cast<milliseconds>(kConnectTimeout).count()}));
        }
        check(curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedLimit));
        check(curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, kLowSpeedTime));
        // libcurl must not use signals (SIGALRM for DNS timeouts) in a daemon.
        check(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
        if (!r.proxy.empty()) check(curl_easy_setopt(e, CURLOPT_PROXY, r.proxy.c_str()));
        check(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf.data()));
        check(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Engine::on_write));
        check(curl_easy_setopt(e, CURLOPT_WRITEDATA, &t));
        check(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Engine::on_header));
        check(curl_easy_setopt(e, CURLOPT_HEADERDATA, &t));
        t.hop_url = r.url;
        // Through a proxy we connect to the proxy, which the administrator
        // chose, and never see the feed's address: the guard cannot judge it.
        t.guarded = !r.allow_private && r.proxy.empty() && !env_proxy_set();
        check(curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Engine::on_open_socket));
        check(curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &t));
        check(curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &Engine::on_prereq));
        check(curl_easy_setopt(e, CURLOPT_PREREQDATA, &t));

        // Conditional GET: the validators go back verbatim, as the server sent them.
        curl_slist* headers = nullptr;
        auto append = [&headers](const std::string& line) {
            curl_slist* grown = curl_slist_append(headers, line.c_str());
            if (grown == nullptr) return false;
            headers = grown;
            return true;
        };
        bool appended = true;
        if (!r.etag.empty()) appended = appended && append(header_line("If-None-Match", r.etag));
        if (!r.last_modified.empty()) {
            appended = appended && append(header_line("If-Modified-Since", r.last_modified));
        }
        t.headers.reset(headers);
        if (!appended) return "cannot build the request headers (out of memory?)";
        if (t.headers) check(curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers.get()));

        if (rc != CURLE_OK) {
            return fmt::format("cannot configure the transfer: {}", curl_easy_strerror(rc));
        }
        return {};
    }

    // Callbacks run from the loop, never from inside our own call stack: the
    // user may fetch again, cancel, or destroy the fetcher from a callback.
    void deliver(std::unique_ptr<Transfer> t) {
        const std::uint64_t id = t->id;
        deliveries_.emplace(id, Delivery{std::move(t->done), std::move(t->response)});
        asio::post(io_, [weak = weak_from_this(), id] {
            const auto self = weak.lock();  // keeps the Engine alive through the callback
            if (!self) return;
            const auto it = self->deliveries_.find(id);
            if (it == self->deliveries_.end()) return;  // cancelled meanwhile
            Delivery d = std::move(it->second);
            self->deliveries_.erase(it);
            d.done(std::move(d.response));
        });
    }

    asio::io_context& io_;
    Limits limits_;
    MultiPtr multi_;
    asio::steady_timer timer_;
    bool timeout_posted_ = false;
    std::unordered_map<curl_socket_t, std::shared_ptr<Socket>> sockets_;
    std::unordered_map<CURL*, std::unique_ptr<Transfer>> active_;
    std::deque<std::unique_ptr<Transfer>> queued_;   // FIFO: first asked, first started
    std::unordered_map<std::string, int> per_host_;  // transfers in flight, by host_key
    std::unordered_map<std::uint64_t, Delivery> deliveries_;
    std::uint64_t next_id_ = 1;
};

class CurlFetcher final : public Fetcher {
  public:
    CurlFetcher(asio::io_context& io, Limits limits)
        : engine_(std::make_shared<Engine>(io, limits)) {}
    CurlFetcher(const CurlFetcher&) = delete;
    CurlFetcher& operator=(const CurlFetcher&) = delete;
    // The Engine may outlive us by the rest of the handler that is running a
    // callback; shutting it down here is what guarantees nothing runs after.
    ~CurlFetcher() override { engine_->shutdown(); }

    void fetch(Request request, Callback done) override {
        engine_->fetch(std::move(request), std::move(done));
    }
    void cancel_all() override { engine_->cancel_all(); }
    [[nodiscard]] std::size_t in_flight() const override { return engine_->in_flight(); }

  private:
    std::shared_ptr<Engine> engine_;
};

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::int64_t date) {
    const std::string v = trim(value);
    if (v.empty()) return std::nullopt;
    if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        // More than a year is no longer a delay anyone means; it also keeps
        // the arithmetic far from overflow.
        constexpr std::int64_t kYear = 366LL * 24 * 3600;
        if (v.size() > 9) return std::chrono::seconds{kYear};
        return std::chrono::seconds{std::min<std::int64_t>(std::stoll(v), kYear)};
    }
    // curl_getdate reads the three HTTP date forms (RFC 9110 5.6.7).
    const time_t when = curl_getdate(v.c_str(), nullptr);
    if (when < 0) return std::nullopt;
    return std::chrono::seconds{std::max<std::int64_t>(0, std::int64_t{when} - date)};
}

std::unique_ptr<Fetcher> make_curl_fetcher(boost::asio::io_context& io, Limits limits) {
    return std::make_unique<CurlFetcher>(io, limits);
}

}  // namespace specwatch::fetch
