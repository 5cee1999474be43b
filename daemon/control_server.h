#pragma once
// The control socket's server side: accepts connections on the loop, reads
// newline-delimited JSON requests (bounded in size, with an idle deadline),
// checks each peer's credentials, and hands requests to a handler that may
// answer later (a `poll` answers when the polls are done) while the loop keeps
// serving everyone else.
#include "protocol/protocol.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <string>

namespace specwatch::daemon {

using protocol::Json;
using Reply = std::function<void(Json)>;
// Called on the loop for each request; must call `reply` exactly once, on
// the loop's thread, now or later.
using Handler = std::function<void(const Json& request, Reply reply)>;

struct ControlOptions {
    std::chrono::seconds idle_timeout{30};
    std::size_t max_connections = 256;
};

class ControlServer {
  public:
    ControlServer(boost::asio::io_context& io, Handler handler, ControlOptions options = {});
    ~ControlServer();

    // Listens on the socket systemd passed.
    void adopt(int fd);
    // Creates the socket at `path`, mode 0660, replacing a stale socket file but
    // refusing to steal one a live daemon still answers on. Throws with a clear
    // message on failure (a start-up error).
    void listen(const std::string& path);
    // Stops accepting and closes every connection; pending replies are dropped.
    void stop();

    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    class Session;
    void accept();

    boost::asio::io_context& io_;
    Handler handler_;
    ControlOptions options_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    std::string path_;
    bool owns_path_ = false;
    std::shared_ptr<std::size_t> connections_;
    std::shared_ptr<bool> stopped_;
    std::list<std::weak_ptr<Session>> sessions_;  // to close them all on stop()
};

}  // namespace specwatch::daemon
