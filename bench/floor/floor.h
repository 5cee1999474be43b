// The libraries' idle floor (bench/footprint_floor.py): each floor_* program
// links one set of the libraries specwatchd uses, does that library's ordinary
// start-up, prints "ready" and sleeps until killed, so that its resident
// memory is what loading and starting those libraries costs and nothing else.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace floor_bench {

struct Args {
    std::string db;          // --db PATH: the WAL database floor_sqlite creates
    std::string zip;         // --zip PATH: the small ZIP archive floor_rest opens
    std::string url;         // --url URL: a loopback URL floor_curl GETs (optional)
    bool load_only = false;  // --load-only 1: start nothing, only print "ready"
};

// What a part keeps alive until the process is killed, as the daemon keeps
// its multi handle and its database connection: handles with their deleters.
using Keep = std::vector<std::shared_ptr<void>>;

// Each throws std::runtime_error saying what failed.
void start_curl(const Args& args, Keep& keep);
void start_sqlite(const Args& args, Keep& keep);
void start_ical(Keep& keep);
void start_systemd(Keep& keep);
void start_rest(const Args& args, Keep& keep);

}  // namespace floor_bench
