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
    // Fixing it also fixes the trim threshold at 128 KiB. Raising that to
    // 8 MiB saved page faults in a first poll (22,800 -> 5,300) but kept up
    // to that much at the top of each pool thread's arena, which malloc_trim
    // does not give back for a thread arena: the idle daemon held 2 MB more
    // (RSS 23.6 -> 25.7 MB), for no CPU this machine could measure; so it
    // stays (docs/performance.md, "The first poll's storage engine settings").
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
