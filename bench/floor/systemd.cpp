// libsystemd as specwatchd uses it (systemd/notify.cpp): READY=1 (a no-op
// with NOTIFY_SOCKET unset, as the programs are run) and the listening
// sockets passed by socket activation (none).
#include <systemd/sd-daemon.h>

#include <stdexcept>
#include <string>

#include "bench/floor/floor.h"

namespace floor_bench {
namespace {

void start_systemd(const Args& /*args*/, Keep& /*keep*/) {
    if (const int rc = sd_notify(0, "READY=1"); rc < 0)
        throw std::runtime_error("sd_notify: error " + std::to_string(-rc));
    if (const int n = sd_listen_fds(0); n < 0)
        throw std::runtime_error("sd_listen_fds: error " + std::to_string(-n));
}

}  // namespace

const Part kPart{4, &start_systemd};

}  // namespace floor_bench
