// iCalendar through libical, recurrence expansion included.
#include "fuzz/fuzz_common.h"
#include "parsers/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace specwatch;
    parse::Options o;
    o.format = "ics";
    o.base_url = "https://datatracker.ietf.org/meeting/upcoming.ics";
    o.now = std::chrono::sys_seconds{std::chrono::seconds{1'790'000'000}};
    (void)parse::parse(fuzz::bytes(data, size), o);
    return 0;
}
