#include "daemon/control_server.h"

#include "common/log.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

namespace specwatch::daemon {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

// The peer may use the socket when it is root, runs as our user, or belongs
// to the socket's group (its primary or a supplementary group). The file mode
// already says as much; checking again here keeps a socket whose mode was
// loosened by mistake from opening the daemon to everyone.
bool peer_allowed(int fd, std::string& who, uid_t& uid) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        who = fmt::format("unknown peer ({})", std::strerror(errno));
        return false;
    }
    who = fmt::format("pid {} uid {}", cred.pid, cred.uid);
    uid = cred.uid;
    if (cred.uid == 0 || cred.uid == ::geteuid()) return true;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    gid_t socket_gid = ::getegid();
    sockaddr_un addr{};
    socklen_t alen = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) == 0 && addr.sun_path[0]) {
        struct stat sst {};
        if (::stat(addr.sun_path, &sst) == 0) socket_gid = sst.st_gid;
    }
    if (cred.gid == socket_gid) return true;
    gid_t groups[256];
    socklen_t glen = sizeof groups;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0) {
        for (std::size_t i = 0; i < glen / sizeof(gid_t); ++i)
            if (groups[i] == socket_gid) return true;
    }
    return false;
}

}  // namespace

// One client connection. Requests are handled one at a time, in order; the
// session keeps itself alive (shared_from_this) while any operation is pending.
class ControlServer::Session : public std::enable_shared_from_this<Session> {
  public:
    Session(local::socket socket, const Handler& handler, const ControlOptions& options,
            std::shared_ptr<std::size_t> connections, std::shared_ptr<bool> stopped)
        : socket_(std::move(socket)),
          timer_(socket_.get_executor()),
          handler_(handler),
          options_(options),
          connections_(std::move(connections)),
          stopped_(std::move(stopped)) {
        ++*connections_;
    }
    ~Session() { --*connections_; }

    void start() {
        std::string who;
        if (!peer_allowed(socket_.native_handle(), who, uid_)) {
            log::warning("control socket: refused {} (not root, our user or the socket's group)",
                         who);
            send_and_close(protocol::error_reply(
                "permission denied: specwatchd answers only root, its own user and the "
                "socket's group",
                protocol::Exit::unreachable));
            return;
        }
        read();
    }

    void send_and_close(const Json& reply) {
        auto self = shared_from_this();
        auto line = std::make_shared<std::string>(protocol::encode(reply));
        asio::async_write(socket_, asio::buffer(*line),
                          [self, line](boost::system::error_code, std::size_t) { self->close(); });
    }

  private:
    void arm_idle_timer() {
        timer_.expires_after(options_.idle_timeout);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec && !self->busy_) self->close();
        });
    }

    void read() {
        if (*stopped_) return close();
        // A complete request may already be buffered (pipelined requests).
        if (auto line = in_.next_line()) return dispatch(std::move(*line));
        if (in_.overflowed()) {
            return send_and_close(protocol::error_reply(
                fmt::format("request longer than {} bytes", protocol::kMaxRequestBytes),
                protocol::Exit::usage));
        }
        arm_idle_timer();
        // recvmsg rather than a plain read: a request may carry a file
        // descriptor (SCM_RIGHTS) — `backup` writes into a file the client opened.
        socket_.async_wait(local::socket::wait_read,
                           [self = shared_from_this()](boost::system::error_code ec) {
                               if (ec) return self->close();
                               self->receive();
                           });
    }

    void receive() {
        iovec iov{buf_.data(), buf_.size()};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return read();
            return close();
        }
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (std::size_t i = 0; i < count; ++i) {
                int fd = -1;
                std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                // Kept until a request takes it; a client cannot pile them up.
                if (passed_.size() < kMaxPassedFds)
                    passed_.push_back(std::make_shared<PassedFd>(fd));
                else
                    ::close(fd);
            }
        }
        if (n == 0) return close();
        in_.append(std::string_view{buf_.data(), static_cast<std::size_t>(n)});
        read();
    }

    void dispatch(std::string line) {
        if (line.empty()) return read();
        Json request = Json::parse(line, nullptr, false);
        if (request.is_discarded() || !request.is_object() || !request.contains("cmd") ||
            !request["cmd"].is_string()) {
            return write(protocol::error_reply(
                "a request is a JSON object with a \"cmd\" string, one per line",
                protocol::Exit::usage));
        }
        busy_ = true;
        timer_.cancel();
        // Commands that change something are worth a line in the journal;
        // queries only in debug mode (a busy CLI user would flood it).
        const auto cmd = request["cmd"].get<std::string>();
        if (cmd == "poll" || cmd == "reload")
            log::info("control: '{}' from uid {}", cmd, uid_);
        else
            log::debug("control: '{}' from uid {}", cmd, uid_);
        // A descriptor sent with this request goes to it (as "_fd", a key
        // only the server sets) and is closed once the reply is out.
        request.erase("_fd");
        std::shared_ptr<PassedFd> fd;
        if (!passed_.empty()) {
            fd = std::move(passed_.front());
            passed_.pop_front();
            request["_fd"] = fd->fd;
        }
        auto self = shared_from_this();
        bool replied = false;
        try {
            handler_(request, [self, replied, fd](Json reply) mutable {
                if (replied) return;  // a handler bug must not corrupt the stream
                replied = true;
                self->busy_ = false;
                self->write(std::move(reply));
            });
        } catch (const std::exception& e) {
            // A broken invariant in one command must not take the daemon down.
            log::error("control: '{}' failed: {}", request["cmd"].get<std::string>(), e.what());
            busy_ = false;
            write(protocol::error_reply(fmt::format("internal error: {}", e.what())));
        }
    }

    void write(Json reply) {
        if (*stopped_ || !socket_.is_open()) return;
        auto line = std::make_shared<std::string>(protocol::encode(reply));
        asio::async_write(
            socket_, asio::buffer(*line),
            [self = shared_from_this(), line](boost::system::error_code ec, std::size_t) {
                if (ec) return self->close();
                self->read();
            });
    }

  public:
    void close() {
        boost::system::error_code ignored;
        timer_.cancel();
        socket_.shutdown(local::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

  private:
    local::socket socket_;
    asio::steady_timer timer_;
    const Handler& handler_;
    const ControlOptions& options_;
    std::shared_ptr<std::size_t> connections_;
    std::shared_ptr<bool> stopped_;
    struct PassedFd {
        explicit PassedFd(int f) : fd(f) {}
        ~PassedFd() { ::close(fd); }
        PassedFd(const PassedFd&) = delete;
        PassedFd& operator=(const PassedFd&) = delete;
        int fd;
    };
    static constexpr std::size_t kMaxPassedFds = 4;
    std::deque<std::shared_ptr<PassedFd>> passed_;
    protocol::LineBuffer in_{protocol::kMaxRequestBytes};
    std::array<char, 16384> buf_{};
    bool busy_ = false;
    uid_t uid_ = static_cast<uid_t>(-1);
};

ControlServer::ControlServer(asio::io_context& io, Handler handler, ControlOptions options)
    : io_(io),
      handler_(std::move(handler)),
      options_(options),
      acceptor_(io),
      connections_(std::make_shared<std::size_t>(0)),
      stopped_(std::make_shared<bool>(false)) {}

ControlServer::~ControlServer() {
    stop();
}

void ControlServer::adopt(int fd) {
    acceptor_.assign(local(), fd);
    sockaddr_un addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) path_ = addr.sun_path;
    log::info("control socket {} (from systemd)", path_);
    accept();
}

void ControlServer::listen(const std::string& path) {
    namespace fs = std::filesystem;
    path_ = path;
    std::error_code ec;
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::exists(parent, ec)) {
        fs::create_directories(parent, ec);
        if (ec)
            throw std::runtime_error(fmt::format("cannot create the socket's folder {}: {}",
                                                 parent.string(), ec.message()));
    }
    // Like chrony: a socket in a folder anyone may write to can be replaced
    // by anyone, and clients would talk to an impostor.
    struct stat dir_st {};
    const std::string dir = parent.empty() ? std::string{"."} : parent.string();
    if (::stat(dir.c_str(), &dir_st) == 0 && (dir_st.st_mode & S_IWOTH))
        throw std::runtime_error(
            fmt::format("refusing to create the control socket in {}: the folder is world-writable "
                        "(use a private folder such as /run/specwatch, mode 0750)",
                        dir));
    if (fs::exists(fs::symlink_status(path, ec))) {
        // A socket file is left behind by a daemon that was killed; one that
        // still answers belongs to a running daemon, which we must not cut off.
        local::socket probe{io_};
        boost::system::error_code cec;
        probe.connect(local::endpoint{path}, cec);
        if (!cec)
            throw std::runtime_error(fmt::format(
                "another specwatchd is already listening on {} (stop it, or set [daemon] socket)",
                path));
        if (!fs::is_socket(fs::symlink_status(path, ec)))
            throw std::runtime_error(
                fmt::format("{} exists and is not a socket; refusing to replace it", path));
        fs::remove(path, ec);
    }
    // Create the socket 0660 from the start: no window in which it is wider.
    const mode_t old = ::umask(0117);
    boost::system::error_code bec;
    acceptor_.open(local(), bec);
    if (!bec) acceptor_.bind(local::endpoint{path}, bec);
    ::umask(old);
    if (!bec) acceptor_.listen(asio::socket_base::max_listen_connections, bec);
    if (bec)
        throw std::runtime_error(
            fmt::format("cannot listen on the control socket {}: {}", path, bec.message()));
    owns_path_ = true;
    log::info("control socket {}", path);
    accept();
}

void ControlServer::accept() {
    acceptor_.async_accept(
        [this, stopped = stopped_](boost::system::error_code ec, local::socket socket) {
            if (*stopped) return;
            if (ec) {
                if (ec == asio::error::operation_aborted) return;
                log::warning("control socket: accept failed: {}", ec.message());
            } else {
                auto session = std::make_shared<Session>(std::move(socket), handler_, options_,
                                                         connections_, stopped_);
                sessions_.remove_if([](const auto& w) { return w.expired(); });
                sessions_.push_back(session);
                if (*connections_ > options_.max_connections) {
                    session->send_and_close(protocol::error_reply("too many connections; try again",
                                                                  protocol::Exit::failure));
                } else {
                    session->start();
                }
            }
            accept();
        });
}

void ControlServer::stop() {
    if (*stopped_) return;
    *stopped_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto& w : sessions_)
        if (auto s = w.lock()) s->close();
    sessions_.clear();
    if (owns_path_) {
        std::error_code fec;
        std::filesystem::remove(path_, fec);
    }
}

}  // namespace specwatch::daemon
