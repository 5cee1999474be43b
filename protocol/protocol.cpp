#include "protocol/protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace specwatch::protocol {

Json ok_reply(Json result) {
    return Json{{"ok", true}, {"result", std::move(result)}};
}

Json error_reply(std::string_view message, Exit exit) {
    return Json{{"ok", false}, {"error", message}, {"exit", static_cast<int>(exit)}};
}

std::string encode(const Json& message) {
    std::string line = message.dump(-1, ' ', false, Json::error_handler_t::replace);
    line += '\n';
    return line;
}

std::optional<std::string> LineBuffer::next_line() {
    const auto nl = buf_.find('\n');
    if (nl == std::string::npos || nl > max_) return std::nullopt;
    std::string line = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

bool LineBuffer::overflowed() const {
    const auto nl = buf_.find('\n');
    return nl == std::string::npos ? buf_.size() > max_ : nl > max_;
}

namespace {

void put(Json& j, const char* key, const std::string& value) {
    if (!value.empty()) j[key] = value;
}

void put(Json& j, const char* key, const std::vector<std::string>& values) {
    if (!values.empty()) j[key] = values;
}

// A RAII file descriptor for the client side.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }

  private:
    int fd_;
};

ClientError unreachable(const std::string& path, int err) {
    std::string hint;
    switch (err) {
        case ENOENT:
            hint = "no socket there; is specwatchd running? (check --socket or SPECWATCH_SOCKET)";
            break;
        case ECONNREFUSED:
            hint = "connection refused; specwatchd is not running (a stale socket file?)";
            break;
        case EACCES:
        case EPERM:
            hint = "permission denied; are you in the socket's group (specwatch)?";
            break;
        case ENOTSOCK:
            hint = "that path is not a socket";
            break;
        default:
            hint = std::strerror(err);
    }
    return ClientError{fmt::format("cannot reach specwatchd at {}: {}", path, hint),
                       Exit::unreachable};
}

}  // namespace

Json item_to_json(const Item& item) {
    Json j = Json::object();
    put(j, "id", item.id);
    put(j, "link", item.link);
    put(j, "title", item.title);
    put(j, "summary", item.summary);
    put(j, "content", item.content);
    put(j, "author", item.author);
    put(j, "categories", item.categories);
    put(j, "published", item.published);
    put(j, "updated", item.updated);
    put(j, "start", item.start);
    put(j, "end", item.end);
    put(j, "location", item.location);
    put(j, "organizations", item.organizations);
    return j;
}

Json feed_to_json(const Feed& feed) {
    Json f = Json::object();
    put(f, "title", feed.title);
    put(f, "link", feed.link);
    put(f, "updated", feed.updated);
    Json items = Json::array();
    for (const auto& item : feed.items) items.push_back(item_to_json(item));
    return Json{{"format", feed.format}, {"feed", std::move(f)}, {"items", std::move(items)}};
}

std::string default_socket_path() {
    if (const char* env = std::getenv("SPECWATCH_SOCKET"); env && *env) return env;
    return "/run/specwatch/control.sock";
}

Result<Json, ClientError> call(const std::string& socket_path, const Json& request,
                               std::chrono::milliseconds timeout, int pass_fd) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path)
        return ClientError{fmt::format("socket path too long: {}", socket_path), Exit::usage};
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);

    Fd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (fd.get() < 0) return unreachable(socket_path, errno);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        return unreachable(socket_path, errno);

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const auto wait = [&](short events) -> bool {
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd.get(), events, 0};
            const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60000)));
            if (r > 0) return true;
            if (r < 0 && errno != EINTR) return false;
        }
    };
    const auto lost = [&](std::string_view what) {
        return ClientError{
            fmt::format("lost the connection to specwatchd at {}: {}", socket_path, what),
            Exit::failure};
    };

    const std::string out = encode(request);
    std::size_t sent = 0;
    while (sent < out.size()) {
        if (!wait(POLLOUT)) return lost("timed out sending the request");
        ssize_t n = 0;
        if (pass_fd >= 0 && sent == 0) {
            // The descriptor rides with the first byte of the request.
            iovec iov{const_cast<char*>(out.data()), out.size()};
            alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            cmsghdr* c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
            n = ::sendmsg(fd.get(), &msg, MSG_NOSIGNAL);
        } else {
            n = ::send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        }
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            // The daemon may have answered and closed before reading all of
            // the request (a refused peer): its answer is still to be read.
            if (errno == EPIPE || errno == ECONNRESET) break;
            return lost(std::strerror(errno));
        }
        sent += static_cast<std::size_t>(n);
    }

    LineBuffer in{kMaxResponseBytes};
    char buf[65536];
    for (;;) {
        if (auto line = in.next_line()) {
            Json reply = Json::parse(*line, nullptr, false);
            if (reply.is_discarded() || !reply.is_object())
                return lost("the reply is not a JSON object");
            return Result<Json, ClientError>{boost::system::in_place_value, std::move(reply)};
        }
        if (in.overflowed()) return lost("the reply is too large");
        if (!wait(POLLIN)) return lost(fmt::format("no reply within {} s", timeout.count() / 1000));
        const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return lost(std::strerror(errno));
        }
        if (n == 0) return lost("the daemon closed the connection before replying");
        in.append(std::string_view{buf, static_cast<std::size_t>(n)});
    }
}

}  // namespace specwatch::protocol
