// main() of every floor_* program: it runs the parts the program is linked
// with (bench/CMakeLists.txt), so that each program links only the libraries
// of its parts.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
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

std::vector<std::pair<int, floor_bench::Start>>& parts() {
    static std::vector<std::pair<int, floor_bench::Start>> registered;
    return registered;
}

}  // namespace

floor_bench::Part::Part(int order, Start start) {
    parts().emplace_back(order, start);
}

int main(int argc, char** argv) {
    try {
        const floor_bench::Args args = parse(argc, argv);
        floor_bench::Keep keep;
        // libstdc++'s own share, in every program: heap strings in a vector,
        // kept like the parts' handles.
        const std::string text(100, 'x');
        keep.push_back(
            std::make_shared<std::vector<std::string>>(std::vector<std::string>{text, text + "y"}));
        if (!args.load_only) {
            // Registration follows the unspecified order of static
            // initialization; the start-up follows the parts' order.
            std::sort(parts().begin(), parts().end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            for (const auto& [order, start] : parts()) start(args, keep);
        }
        std::printf("ready\n");
        std::fflush(stdout);
        for (;;) pause();  // until a signal ends the process
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 1;
    }
}
