#include "systemd/notify.h"

#include "common/log.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace specwatch::systemd {

void notify(std::string_view state) {
    const std::string s{state};
    // unset_environment = 0: later notifications (STATUS=, STOPPING=1) must
    // still find NOTIFY_SOCKET.
    if (sd_notify(0, s.c_str()) < 0) log::debug("sd_notify({}) failed", s);
}

std::optional<int> listen_fd() {
    const int n = sd_listen_fds(1);
    if (n < 0) {
        log::warning("ignoring the sockets passed by systemd: {}", n);
        return std::nullopt;
    }
    if (n == 0) return std::nullopt;
    if (n > 1) log::warning("systemd passed {} sockets; using the first", n);
    const int fd = SD_LISTEN_FDS_START;
    if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0) {
        log::error("the socket passed by systemd is not a listening Unix stream socket");
        return std::nullopt;
    }
    return fd;
}

}  // namespace specwatch::systemd

namespace specwatch::systemd {

Watchdog::Watchdog(boost::asio::io_context& io) : timer_(io) {
    std::uint64_t usec = 0;
    // unset_environment = 0: a restart of the loop in this process (reload)
    // must still see it.
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
        interval_ = std::chrono::microseconds{static_cast<std::int64_t>(usec)};
}

void Watchdog::start() {
    if (interval_.count() <= 0) return;
    log::info("watchdog: pinging systemd every {} ms", interval_.count() / 2000);
    notify("WATCHDOG=1");
    arm();
}

void Watchdog::stop() {
    stopped_ = true;
    timer_.cancel();
}

void Watchdog::arm() {
    timer_.expires_after(interval_ / 2);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        notify("WATCHDOG=1");
        arm();
    });
}

}  // namespace specwatch::systemd
