#pragma once
// The daemon's side of systemd: readiness and status notifications, and the
// control socket passed by socket activation. Outside systemd every call is a
// harmless no-op, so the daemon runs the same in a terminal.
#include <optional>
#include <string_view>

namespace specwatch::systemd {

// sd_notify(3) with one state line ("READY=1", "STATUS=…", "STOPPING=1").
void notify(std::string_view state);

// The one listening socket systemd passed (LISTEN_FDS), if any; the
// environment variables are consumed so children do not inherit them.
[[nodiscard]] std::optional<int> listen_fd();

}  // namespace specwatch::systemd

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

namespace specwatch::systemd {

// Sends WATCHDOG=1 from the event loop itself at half of WATCHDOG_USEC, so a
// loop that stops turning stops the pings and systemd restarts the service.
// Does nothing when the service manager asked for no watchdog.
class Watchdog {
  public:
    explicit Watchdog(boost::asio::io_context& io);
    void start();
    void stop();
    [[nodiscard]] std::chrono::microseconds interval() const { return interval_; }

  private:
    void arm();
    boost::asio::steady_timer timer_;
    std::chrono::microseconds interval_{0};
    bool stopped_ = false;
};

}  // namespace specwatch::systemd
