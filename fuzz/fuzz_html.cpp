// HTML pages through gumbo and a source's XPath rules (the 3GPP meeting
// table's, which use every kind of rule), plus the day-range reader.
#include "fuzz/fuzz_common.h"
#include "parsers/html_page.h"
#include "parsers/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace specwatch;
    static const config::Source source = fuzz::source_from(R"toml(
[[source]]
name = "meetings"
body = "3GPP"
url = "https://www.3gpp.org/dynareport?code=Meetings-R1.htm"
format = "html"
  [source.html]
  item = "//tr[td]"
  id = "td[1]//a/@href"
  title = "td[2]"
  link = "td[1]//a/@href"
  location = "td[3]"
  start = "td[4]"
  end = "td[5]"
  summary = "concat(td[6]/text()[1], ' ', td[7])"
)toml");
    parse::Options o;
    o.format = "html";
    o.base_url = source.url;
    o.source = &source;
    (void)parse::parse(fuzz::bytes(data, size), o);
    (void)parse::parse_day_range(fuzz::bytes(data, std::min<std::size_t>(size, 256)));
    return 0;
}
