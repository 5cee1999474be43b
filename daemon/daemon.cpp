#include "daemon/daemon.h"

#include "common/log.h"
#include "common/version.h"
#include "config/config.h"
#include "daemon/service.h"

#include <malloc.h>

#include <csignal>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

namespace specwatch::daemon {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"specwatchd - watches the standards bodies' feeds and mails alerts"};
    app.set_version_flag("--version", fmt::format("specwatchd {}", kVersion));
    std::string config_path = config::default_config_path();
    bool once = false;
    bool check = false;
    app.add_option("--config", config_path,
                   "config file (default: $SPECWATCH_CONFIG or /etc/specwatch/specwatch.toml)");
    app.add_flag("--once", once, "poll every enabled source once, store, print a summary and exit");
    app.add_flag("--check-config", check, "validate the config, print problems and exit");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return kExitUsage;
    }

    log::init();
    // Blocks of 128 KiB and more (a feed's document, its parsed nodes, FTS5's
    // pending terms) get pages of their own, returned when freed. Left to
    // itself, glibc raises this threshold to the size of the largest block
    // freed, after which such blocks come from the arenas and stay resident
    // in pages malloc_trim cannot give back: 27 MB after a poll instead of
    // 21 (tests/e2e/test_idle.py; docs/performance.md, "Idle footprint").
    ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    // Setting that threshold also pins the trim threshold at its 128 KiB
    // default: every free() that left more than 128 KiB at the top of an
    // arena gave it back (brk, MADV_DONTNEED), and the next batch of the
    // writer faulted it in again, zeroed by the kernel: 22,800 page faults
    // in a first poll of 1,000 x 50, 5,300 with 8 MiB (its system time
    // 0.28-0.30 s -> 0.18-0.21 s, peak RSS +2 MB; docs/performance.md, "The
    // first poll's storage engine settings"). The idle daemon still gives
    // everything back: malloc_trim(0) ignores this threshold.
    ::mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
    // Writing to a client that went away must be an error code, not a signal.
    std::signal(SIGPIPE, SIG_IGN);

    auto loaded = config::load_file(config_path);
    if (!loaded) {
        for (const auto& p : loaded.error()) std::cerr << p.to_string() << '\n';
        if (!check) log::error("{}: not starting with an invalid config", config_path);
        return kExitUsage;
    }
    if (check) {
        std::cout << fmt::format("{}: ok ({} sources, {} rules)\n", config_path,
                                 loaded->sources.size(), loaded->rules.size());
        return kExitOk;
    }

    try {
        boost::asio::io_context io;
        SystemClock clock;
        Service service{io, std::make_shared<const config::Config>(std::move(*loaded)), clock};
        service.open();
        return once ? service.run_once(std::cout) : service.run();
    } catch (const std::exception& e) {
        log::error("{}", e.what());
        return kExitFailure;
    }
}

}  // namespace specwatch::daemon
