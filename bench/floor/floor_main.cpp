// main() of every floor_* program: which parts it runs is chosen at build time
// (FLOOR_CURL, FLOOR_SQLITE, ... in bench/CMakeLists.txt), so that each
// program links only the libraries of its parts.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/floor/floor.h"

namespace {

floor_bench::Args parse(int argc, char** argv) {
    floor_bench::Args args;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) throw std::runtime_error("missing the value of " + flag);
        const std::string value = argv[++i];
        if (flag == "--db")
            args.db = value;
        else if (flag == "--zip")
            args.zip = value;
        else if (flag == "--url")
            args.url = value;
        else if (flag == "--load-only")
            args.load_only = value == "1";
        else
            throw std::runtime_error("unknown option " + flag +
                                     " (--db, --zip, --url, --load-only 1)");
    }
    return args;
}

// The parts this program was built with, each as specwatchd starts it.
void start([[maybe_unused]] const floor_bench::Args& args,
           [[maybe_unused]] floor_bench::Keep& keep) {
#ifdef FLOOR_CURL
    floor_bench::start_curl(args, keep);
#endif
#ifdef FLOOR_SQLITE
    floor_bench::start_sqlite(args, keep);
#endif
#ifdef FLOOR_ICAL
    floor_bench::start_ical(keep);
#endif
#ifdef FLOOR_SYSTEMD
    floor_bench::start_systemd(keep);
#endif
#ifdef FLOOR_REST
    floor_bench::start_rest(args, keep);
#endif
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const floor_bench::Args args = parse(argc, argv);
        floor_bench::Keep keep;
        // libstdc++'s own share, in every program: heap strings in a vector,
        // kept like the parts' handles.
        const std::string text(100, 'x');
        keep.push_back(
            std::make_shared<std::vector<std::string>>(std::vector<std::string>{text, text + "y"}));
        if (!args.load_only) start(args, keep);
        std::printf("ready\n");
        std::fflush(stdout);
        for (;;) pause();  // until a signal ends the process
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 1;
    }
}
