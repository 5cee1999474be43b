// The views reader (parsers/xml_views.h) against pugixml: whenever it takes
// the bytes, its tree must be pugixml's and the feed read from it the DOM
// path's (tests/xml_views_compare.h); neither may crash.
#include "fuzz/fuzz_common.h"
#include "tests/xml_views_compare.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace specwatch;
    const test::ViewsCheck c = test::check_views(fuzz::bytes(data, size));
    if (!c.difference.empty()) {
        std::fprintf(stderr, "views reader and pugixml differ: %s\n", c.difference.c_str());
        std::abort();
    }
    return 0;
}
