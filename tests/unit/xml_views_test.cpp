// The views reader (parsers/xml_views.h) is a shortcut past pugixml for
// plain XML: whatever it takes must give pugixml's tree and the DOM path's
// feed. These tests compare the two on every fixture, seed and corpus file
// and on thousands of mutated and random feeds; fuzz target xml_views does
// the same on any bytes.
#include "parsers/xml_views.h"
#include "tests/xml_views_compare.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace specwatch;
using parse::xml_views::Document;

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// tests/fixtures, fuzz/seeds, fuzz/regressions and, when present beside the
// checkout, the feedparser conformance corpus (scripts/parse-outputs.sh's set).
std::vector<std::filesystem::path> corpus() {
    namespace fs = std::filesystem;
    const fs::path fixtures = SPECWATCH_FIXTURES;
    const fs::path root = fixtures.parent_path().parent_path();
    std::vector<fs::path> files;
    for (const fs::path& dir : {fixtures, root / "fuzz/seeds", root / "fuzz/regressions",
                                root / "../shared/conformance/feedparser"}) {
        if (!fs::exists(dir)) continue;
        for (const auto& e : fs::recursive_directory_iterator(dir))
            if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<std::string> feed_fixtures() {
    std::vector<std::string> out;
    for (const auto& e :
         std::filesystem::directory_iterator(std::string(SPECWATCH_FIXTURES) + "/feeds"))
        if (e.is_regular_file()) out.push_back(read_file(e.path()));
    return out;
}

bool taken(std::string_view xml) {
    Document d;
    return d.read(xml);
}

}  // namespace

TEST(XmlViews, EveryCorpusFileReadsAsThePugixmlDomPathReadsIt) {
    std::size_t files = 0, markup = 0, took = 0;
    for (const auto& path : corpus()) {
        const std::string bytes = read_file(path);
        ++files;
        // JSON, iCalendar and the other seeds are not XML.
        const auto start = bytes.find_first_not_of(" \t\r\n");
        markup += start != std::string::npos && bytes[start] == '<';
        const test::ViewsCheck c = test::check_views(bytes);
        took += c.taken;
        ASSERT_EQ(c.difference, "") << path;
    }
    std::cout << "views reader took " << took << " of " << files << " files (" << markup
              << " start with \"<\")\n";
    EXPECT_GT(took, markup / 2);
}

TEST(XmlViews, MutatedFixturesReadAsThePugixmlDomPathReadsThem) {
    static const std::vector<std::string> pieces{"<",
                                                 ">",
                                                 "&",
                                                 "&amp;",
                                                 "&#60;",
                                                 "&nbsp;",
                                                 "<![CDATA[",
                                                 "]]>",
                                                 "<![CDATA[x<y]]>",
                                                 "<!--",
                                                 "-->",
                                                 "<!-- c -->",
                                                 "\r",
                                                 "\r\n",
                                                 "\t",
                                                 "\n",
                                                 std::string(1, '\0'),
                                                 "\"",
                                                 "'",
                                                 "=",
                                                 "/",
                                                 "<?pi x?>",
                                                 "<?xml version=\"1.0\"?>",
                                                 "<!DOCTYPE x>",
                                                 "<a>",
                                                 "</a>",
                                                 "<b x='1'/>",
                                                 "<b x=\"1\" y='2'>t</b>",
                                                 " ",
                                                 ":",
                                                 "xmlns=\"http://www.w3.org/2005/Atom\"",
                                                 " xmlns:dc=\"http://purl.org/dc/elements/1.1/\"",
                                                 "<dc:creator>A</dc:creator>",
                                                 "<title>T</title>",
                                                 "<item>",
                                                 "</item>",
                                                 "\xC3\xA9",
                                                 "\xFF",
                                                 "\x80",
                                                 "a b",
                                                 "</"};
    const std::vector<std::string> fixtures = feed_fixtures();
    ASSERT_FALSE(fixtures.empty());
    std::mt19937 rng(10);
    std::size_t took = 0;
    constexpr std::size_t kDocuments = 4000;
    for (std::size_t k = 0; k < kDocuments; ++k) {
        std::string doc = fixtures[rng() % fixtures.size()];
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits && !doc.empty(); ++e) {
            const std::size_t at = rng() % doc.size();
            switch (rng() % 5) {
                case 0:
                case 1:
                    doc.insert(at, pieces[rng() % pieces.size()]);
                    break;
                case 2:
                    doc.erase(at, 1 + rng() % 16);
                    break;
                case 3:
                    doc.insert(at, doc.substr(rng() % doc.size(), 1 + rng() % 64));
                    break;
                default:
                    doc[at] = static_cast<char>(rng() % 256);
                    break;
            }
        }
        const test::ViewsCheck c = test::check_views(doc);
        took += c.taken;
        ASSERT_EQ(c.difference, "") << "document " << k << ":\n" << doc;
    }
    std::cout << "views reader took " << took << " of " << kDocuments << " mutated fixtures\n";
    EXPECT_GT(took, kDocuments / 10);
}

namespace {

// A feed built from the pieces real feeds are made of, in random order and
// nesting, with namespaces declared (or not) under random prefixes.
std::string random_feed(std::mt19937& rng) {
    auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
    static const std::vector<std::string> roots{
        "<rss version=\"2.0\"%>",
        "<rss version='0.91'%>",
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"%>",
        "<feed xmlns='http://purl.org/atom/ns#' version=\"0.3\"%>",
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
        "xmlns=\"http://purl.org/rss/1.0/\"%>",
        "<entry xmlns=\"http://www.w3.org/2005/Atom\"%>",
        "<channel%>",
        "<html%>"};
    static const std::vector<std::string> declarations{
        "",
        " xmlns:dc=\"http://purl.org/dc/elements/1.1/\"",
        " xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"",
        " xmlns:atom=\"http://www.w3.org/2005/Atom\"",
        " xmlns:media=\"http://search.yahoo.com/mrss/\"",
        " xmlns:x=\"http://purl.org/dc/elements/1.1/\"",
        " xml:base=\"http://example.com/a/\"",
        " xmlns:dc=\"http://example.com/other\""};
    static const std::vector<std::string> names{
        "title",           "link",      "description", "guid",        "pubDate", "author",
        "category",        "item",      "entry",       "channel",     "id",      "updated",
        "published",       "summary",   "content",     "dc:creator",  "dc:date", "dc:subject",
        "content:encoded", "atom:link", "media:group", "media:title", "x:date",  "name",
        "email",           "source",    "xhtml:div",   "div",         "p",       "br",
        "TITLE",           "Item"};
    static const std::vector<std::string> attributes{"",
                                                     " href=\"http://example.com/x\"",
                                                     " rel='alternate'",
                                                     " type=\"html\"",
                                                     " type=\"xhtml\"",
                                                     " isPermaLink=\"false\"",
                                                     " term=\"t &amp; u\"",
                                                     " xml:base=\"/b/\"",
                                                     " src=\"c.html\"",
                                                     " mode=\"escaped\"",
                                                     " type='text/html' mode='base64'",
                                                     " xmlns=\"http://www.w3.org/1999/xhtml\"",
                                                     " rdf:about=\"urn:x\""};
    static const std::vector<std::string> texts{"Hello",
                                                " ",
                                                "\n  ",
                                                "a &amp; b",
                                                "&lt;p&gt;Hi&lt;/p&gt;",
                                                "&nbsp;x",
                                                "&#233;t&#xE9;",
                                                "<![CDATA[<p>Hi <b>there</b></p>]]>",
                                                "<![CDATA[]]>",
                                                "Mon, 16 Mar 2026 09:00:00 +0000",
                                                "2026-03-16T09:00:00Z",
                                                "http://example.com/p/1",
                                                "/rel/2",
                                                "SGVsbG8=",
                                                "<!-- c -->",
                                                "caf\xC3\xA9",
                                                "x > y",
                                                "]]>"};
    std::string out;
    if (rng() % 2) out += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
    if (rng() % 4 == 0) out += "<!-- generated -->\n";
    std::string root = pick(roots);
    std::string decl;
    for (int i = static_cast<int>(rng() % 4); i > 0; --i) decl += pick(declarations);
    root.replace(root.find('%'), 1, decl);
    out += root;
    const std::string root_name = root.substr(1, root.find_first_of(" >") - 1);
    std::vector<std::string> open;
    const int steps = 5 + static_cast<int>(rng() % 60);
    for (int s = 0; s < steps; ++s) {
        switch (rng() % 4) {
            case 0:
                out += pick(texts);
                break;
            case 1:
                if (!open.empty()) {
                    out += "</" + open.back() + ">";
                    open.pop_back();
                    break;
                }
                [[fallthrough]];
            default: {
                const std::string name = pick(names);
                out += "<" + name + pick(attributes);
                if (rng() % 5 == 0) {
                    out += "/>";
                } else {
                    out += ">";
                    open.push_back(name);
                }
                break;
            }
        }
    }
    while (!open.empty()) {
        out += "</" + open.back() + ">";
        open.pop_back();
    }
    out += "</" + root_name + ">\n";
    return out;
}

}  // namespace

TEST(XmlViews, RandomFeedsReadAsThePugixmlDomPathReadsThem) {
    std::mt19937 rng(20);
    std::size_t took = 0;
    constexpr std::size_t kDocuments = 20000;
    for (std::size_t k = 0; k < kDocuments; ++k) {
        const std::string doc = random_feed(rng);
        const test::ViewsCheck c = test::check_views(doc);
        took += c.taken;
        ASSERT_EQ(c.difference, "") << "document " << k << ":\n" << doc;
    }
    std::cout << "views reader took " << took << " of " << kDocuments << " random feeds\n";
    EXPECT_GT(took, kDocuments / 2);
}

TEST(XmlViews, TakesThePlainXmlFeedsAreWrittenIn) {
    for (const std::string& doc : std::vector<std::string>{
             "<rss/>",
             "<?xml version=\"1.0\"?>\n<!-- c --><rss version=\"2.0\"><channel/></rss>\n<!-- end "
             "-->",
             "<rss><a>text<!-- split -->more</a><b><![CDATA[]]></b><c> </c></rss>",
             "<feed xmlns='http://www.w3.org/2005/Atom'><title "
             "type=\"html\">&lt;b&gt;</title></feed>",
             "<rss><a x = \"1\"   y='&amp;'  /></rss>",
         }) {
        EXPECT_TRUE(taken(doc)) << doc;
        EXPECT_EQ(test::check_views(doc).difference, "") << doc;
    }
}

TEST(XmlViews, LeavesToPugixmlWhatItIsNotSureOf) {
    for (const std::string& doc : std::vector<std::string>{
             "",
             "   ",
             "not xml",
             "\xEF\xBB\xBF<rss/>",  // a byte order mark
             "<!DOCTYPE rss [<!ENTITY e \"x\">]><rss>&e;</rss>",
             "<rss>\r\n</rss>",
             std::string("<rss>a\0b</rss>", 14),
             "<rss><?pi data?></rss>",
             "<rss a=\"x\ty\"/>",
             "<rss a=\"x\ny\"/>",
             "<rss a=\"<\"/>",
             "<rss a=x/>",
             "<rss a/>",
             "<rss a=\"1\"b=\"2\"/>",
             "<rss></channel>",
             "<rss>",
             "<rss/><rss/>",
             "<rss/>text",
             "<r\xC3\xA9/>",
             "<1rss/>",
             "<rss><![CDATA[x</rss>",
             "<rss><!-- x</rss>",
             "<![CDATA[x]]><rss/>",
             "<rss>< a/></rss>",
             "<rss></ rss>",
         }) {
        EXPECT_FALSE(taken(doc)) << doc;
        EXPECT_EQ(test::check_views(doc).difference, "") << doc;
    }
}

TEST(XmlViews, DeepNestingGoesToPugixmlWithoutRecursion) {
    std::string doc;
    for (int i = 0; i < 100000; ++i) doc += "<a>";
    for (int i = 0; i < 100000; ++i) doc += "</a>";
    EXPECT_FALSE(taken(doc));
    std::string shallow;
    for (std::size_t i = 0; i < Document::kMaxDepth; ++i) shallow += "<a>";
    for (std::size_t i = 0; i < Document::kMaxDepth; ++i) shallow += "</a>";
    EXPECT_TRUE(taken(shallow));
    EXPECT_EQ(test::check_views(shallow).difference, "");
}
