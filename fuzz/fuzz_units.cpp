// The small parsers of user and feed text: dates as feeds write them,
// durations and sizes as configs and the CLI write them.
#include "common/units.h"
#include "fuzz/fuzz_common.h"
#include "parsers/dates.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace specwatch;
    const auto text = fuzz::bytes(data, size);
    const std::string d = parse::normalize_date(text);
    // A date is either refused or normalized to the item model's UTC form.
    if (!d.empty() && (d.size() != 20 || d[10] != 'T' || d[19] != 'Z')) std::abort();
    if (auto s = parse_duration(text)) {
        // What was read prints back to a duration that reads the same.
        auto again = parse_duration(format_duration(*s));
        if (!again || *again != *s) std::abort();
    }
    (void)parse_size(text);
    return 0;
}
