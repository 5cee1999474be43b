// The smaller libraries, each as specwatchd uses it: libzip opening an
// archive from memory (parsers/xlsx.cpp), gumbo (parsers/html_page.cpp),
// pugixml (parsers/xml_feed.cpp), toml++ (config/config.cpp), fmt and XXH3
// (the items' fingerprints).
#include <fmt/format.h>
#include <gumbo.h>
#include <xxhash.h>
#include <zip.h>

#include <toml++/toml.h>
#include <cmath>
#include <fstream>
#include <iterator>
#include <pugixml.hpp>
#include <stdexcept>
#include <string>

#include "bench/floor/floor.h"

namespace floor_bench {
namespace {

// Reads the first entry of the archive at `path` the way the XLSX reader
// does: the whole file in memory, opened through a buffer source.
std::string first_entry(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open it");
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (bytes.empty()) throw std::runtime_error(path + ": empty");
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (!source) throw std::runtime_error(path + ": " + zip_error_strerror(&error));
    zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (!archive) {
        zip_source_free(source);
        const std::string message = path + ": " + zip_error_strerror(&error);
        zip_error_fini(&error);
        throw std::runtime_error(message);
    }
    zip_error_fini(&error);
    std::unique_ptr<zip_t, decltype(&zip_discard)> owner(archive, zip_discard);
    zip_stat_t st;
    if (zip_stat_index(archive, 0, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
        throw std::runtime_error(path + ": no first entry");
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file(zip_fopen_index(archive, 0, 0),
                                                            zip_fclose);
    if (!file) throw std::runtime_error(path + ": " + zip_strerror(archive));
    std::string out(st.size, '\0');
    if (zip_fread(file.get(), out.data(), out.size()) != static_cast<zip_int64_t>(out.size()))
        throw std::runtime_error(path + ": short read of the first entry");
    return out;
}

void start_rest(const Args& args, Keep& /*keep*/) {
    if (args.zip.empty()) throw std::runtime_error("--zip PATH is required");
    const std::string entry = first_entry(args.zip);

    static const char kHtml[] =
        "<!DOCTYPE html><html><head><title>Meetings</title></head><body>"
        "<table><tr><td><a href='/md/R24-WP5D-C'>WP 5D</a></td><td>2026-12-01</td></tr>"
        "</table></body></html>";
    GumboOutput* html = gumbo_parse(kHtml);
    if (!html || html->root->type != GUMBO_NODE_ELEMENT) throw std::runtime_error("gumbo failed");
    gumbo_destroy_output(&kGumboDefaultOptions, html);

    static const char kFeed[] =
        "<?xml version='1.0'?><rss version='2.0'><channel><title>ITU-T</title>"
        "<item><title>Y.3000 approved</title><link>https://www.itu.int/rec/T-REC-Y.3000</link>"
        "<pubDate>Sun, 29 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>";
    pugi::xml_document feed;
    if (!feed.load_string(kFeed) || !feed.select_node("/rss/channel/item/title"))
        throw std::runtime_error("pugixml failed");

    const toml::table config = toml::parse(
        "[daemon]\ndatabase = \"/var/lib/specwatch/specwatch.db\"\n"
        "[[source]]\nname = \"itu-t\"\nurl = \"https://www.itu.int/feed.xml\"\ninterval = "
        "\"1h\"\n");
    const auto name = config["source"][0]["name"].value<std::string>();
    if (!name) throw std::runtime_error("toml++: no source name");

    // A libm call, as the daemon makes (its NEEDED has libm.so.6).
    const std::string text = fmt::format("{} {} {:.2f}", *name, entry.size(),
                                         std::log10(static_cast<double>(entry.size())));
    if (XXH3_64bits(text.data(), text.size()) == 0) throw std::runtime_error("XXH3 gave 0");
}

}  // namespace

const Part kPart{5, &start_rest};

}  // namespace floor_bench
