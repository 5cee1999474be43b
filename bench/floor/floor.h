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

// A part starts one set of libraries as specwatchd does; it throws
// std::runtime_error saying what failed. Each part's file registers its part
// with a namespace-scope Part, so that main() is compiled once and a program
// runs the parts it is linked with, in `order`.
using Start = void (*)(const Args& args, Keep& keep);
struct Part {
    Part(int order, Start start);
};

}  // namespace floor_bench
