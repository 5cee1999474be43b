// HTML fragments to text: the direct reader must give exactly gumbo's text
// whenever it takes a fragment (parsers/text.h), and neither may crash.
#include "fuzz/fuzz_common.h"
#include "parsers/text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace specwatch;
    if (size > 65536) return 0;  // gumbo's time grows with nesting; the guard is tested elsewhere
    const std::string_view html = fuzz::bytes(data, size);
    std::string direct;
    if (!parse::html_to_text_direct(html, direct)) return 0;
    const std::string gumbo = parse::html_to_text_gumbo(html);
    if (direct != gumbo) {
        std::fprintf(stderr, "direct reader: \"%s\"\ngumbo:         \"%s\"\n", direct.c_str(),
                     gumbo.c_str());
        std::abort();
    }
    (void)parse::clean_text(html);
    return 0;
}
