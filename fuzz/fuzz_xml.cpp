// RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and CDF through the one parse entry point,
// with the format left to detection (the path every fetched feed takes).
#include "fuzz/fuzz_common.h"
#include "parsers/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace specwatch;
    parse::Options o;
    o.format = "auto";
    o.base_url = "https://example.org/feed/";
    o.now = std::chrono::sys_seconds{std::chrono::seconds{1'790'000'000}};
    (void)parse::parse(fuzz::bytes(data, size), o);
    o.format = "atom";
    o.content_type = "application/atom+xml; charset=windows-1252";
    (void)parse::parse(fuzz::bytes(data, size), o);
    return 0;
}
