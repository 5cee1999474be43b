// JSON: JSON Feed 1.0/1.1 (detected) and a [source.json] mapping with paging.
#include "fuzz/fuzz_common.h"
#include "parsers/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace specwatch;
    static const config::Source source = fuzz::source_from(R"toml(
[[source]]
name = "api"
body = "IETF"
url = "https://datatracker.ietf.org/api/v1/meeting/meeting/?format=json"
format = "json"
  [source.json]
  items = "objects"
  next = "meta.next"
  id = "resource_uri"
  title = "number"
  start = "date"
  location = "city"
  summary = "venue_name"
  categories = "tags"
  organizations = "authors"
)toml");
    parse::Options o;
    o.format = "json";
    o.base_url = source.url;
    o.source = &source;
    (void)parse::parse(fuzz::bytes(data, size), o);
    o.source = nullptr;  // JSON Feed
    o.format = "auto";
    (void)parse::parse(fuzz::bytes(data, size), o);
    return 0;
}
