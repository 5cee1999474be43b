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
