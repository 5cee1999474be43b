// OPML export of the configured sources and import of feed lists as
// [[source]] TOML: the output is checked by loading it as a config, the way
// `specwatchd --check-config` would.
#include "config/opml.h"

#include "common/clock.h"

#include <string>

#include <gtest/gtest.h>
#include <pugixml.hpp>

using namespace specwatch;

namespace {

// A config that is valid without sources; imported TOML is appended to it.
constexpr std::string_view kBase = R"(
[daemon]
database = "/tmp/specwatch-opml-test.db"
)";

config::Config load(const std::string& toml) {
    auto c = config::load_string(std::string(kBase) + toml, "test.toml");
    if (!c) {
        std::string all;
        for (const auto& p : c.error()) all += p.to_string() + "\n";
        ADD_FAILURE() << all << "--- the TOML:\n" << toml;
        return {};
    }
    return *c;
}

config::OpmlImport import(std::string_view doc, const std::string& body = {}) {
    auto r = config::opml_to_toml(doc, "feeds.opml", body);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : config::OpmlImport{};
}

std::string import_error(std::string_view doc) {
    auto r = config::opml_to_toml(doc, "feeds.opml");
    EXPECT_FALSE(r);
    return r ? std::string{} : r.error().message;
}

constexpr std::string_view kConfig = R"(
[[source]]
name = "itu-news"
body = "ITU"
url = "https://www.itu.int/hub/feed/"
interval = "1h"
tags = ["news", "itu"]

[[source]]
name = "itu-events"
body = "ITU"
group = "ITU-T SG17"
url = "https://www.itu.int/en/events/Pages/Calendar-Events.aspx"
format = "html"
interval = "12h"
  [source.html]
  item = "//tr[td[@class='ms-vb']]"
  title = "td[7]"
  start = "td[3]"

[[source]]
name = "ietf-meetings"
body = "IETF"
url = "https://datatracker.ietf.org/meeting/upcoming.ics"
format = "ics"
enabled = false

[[source]]
name = "ietf-meetings-api"
body = "IETF"
url = "https://datatracker.ietf.org/api/v1/meeting/meeting/?type=ietf&format=json"
format = "json"
  [source.json]
  items = "objects"
  next = "meta.next"
  title = "number"
  start = "date"
)";

TEST(OpmlExport, isOpml2WithAnOutlinePerSourceNestedByBody) {
    const auto cfg = load(std::string(kConfig));
    const std::string xml =
        config::sources_to_opml(cfg.sources, parse_iso("2026-03-16T09:00:00Z").value());
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
    const auto opml = doc.child("opml");
    EXPECT_STREQ(opml.attribute("version").value(), "2.0");
    EXPECT_STREQ(opml.child("head").child_value("dateCreated"), "Mon, 16 Mar 2026 09:00:00 GMT");
    const auto body = opml.child("body");
    const auto itu = body.first_child();
    EXPECT_STREQ(itu.attribute("text").value(), "ITU");
    const auto news = itu.first_child();
    EXPECT_STREQ(news.attribute("type").value(), "rss");
    EXPECT_STREQ(news.attribute("text").value(), "itu-news");
    EXPECT_STREQ(news.attribute("xmlUrl").value(), "https://www.itu.int/hub/feed/");
    EXPECT_STREQ(news.attribute("category").value(), "/ITU");
    const auto events = news.next_sibling();
    EXPECT_STREQ(events.attribute("category").value(), "/ITU/ITU-T SG17");
    EXPECT_STREQ(events.attribute("specwatch:group").value(), "ITU-T SG17");
    EXPECT_STREQ(events.attribute("specwatch:format").value(), "html");
    EXPECT_STREQ(events.attribute("specwatch:html.title").value(), "td[7]");
    const auto ietf = itu.next_sibling();
    EXPECT_STREQ(ietf.attribute("text").value(), "IETF");
    EXPECT_STREQ(ietf.first_child().attribute("specwatch:enabled").value(), "false");
    EXPECT_STREQ(ietf.last_child().attribute("xmlUrl").value(),
                 "https://datatracker.ietf.org/api/v1/meeting/meeting/?type=ietf&format=json");
    EXPECT_STREQ(ietf.last_child().attribute("specwatch:json.items").value(), "objects");
    EXPECT_FALSE(ietf.next_sibling());
}

TEST(OpmlRoundTrip, exportThenImportKeepsEverySourcesDefinition) {
    const auto cfg = load(std::string(kConfig));
    const std::string xml = config::sources_to_opml(cfg.sources, SysTime{});
    const auto imported = import(xml);
    EXPECT_EQ(imported.sources, 4u);
    EXPECT_TRUE(imported.warnings.empty());
    const auto again = load(imported.toml);
    ASSERT_EQ(again.sources.size(), cfg.sources.size());
    for (std::size_t i = 0; i < cfg.sources.size(); ++i) {
        const auto& a = cfg.sources[i];
        const auto& b = again.sources[i];
        EXPECT_EQ(a.name, b.name);
        EXPECT_EQ(a.body, b.body);
        EXPECT_EQ(a.group, b.group);
        EXPECT_EQ(a.url, b.url);
        EXPECT_EQ(a.format, b.format);
        EXPECT_EQ(a.interval, b.interval);
        EXPECT_EQ(a.enabled, b.enabled);
        EXPECT_EQ(a.tags, b.tags);
        EXPECT_EQ(a.html.item, b.html.item);
        EXPECT_EQ(a.html.title, b.html.title);
        EXPECT_EQ(a.html.start, b.html.start);
        EXPECT_EQ(a.json.items, b.json.items);
        EXPECT_EQ(a.json.next, b.json.next);
        EXPECT_EQ(a.json.fields, b.json.fields);
        EXPECT_EQ(a.xlsx.fields, b.xlsx.fields);
    }
    EXPECT_EQ(again.sources[3].json.fields.at("start"), "date");
}

TEST(OpmlImport, aReadersFeedListBecomesValidUniqueSources) {
    const auto imported = import(R"(<?xml version="1.0"?>
<opml version="1.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="W3C" title="W3C">
      <outline type="rss" text="W3C News" xmlUrl="https://www.w3.org/news/feed/" htmlUrl="https://www.w3.org/"/>
      <outline text="Working groups">
        <outline type="rss" title="WebRTC WG" xmlurl="https://www.w3.org/groups/wg/webrtc/feed"/>
      </outline>
    </outline>
    <outline type="rss" text="W3C News" xmlUrl="https://www.w3.org/blog/feed/"/>
    <outline type="link" url="https://www.ietf.org/blog/feed/"/>
    <outline type="rss" text="local" xmlUrl="file:///etc/passwd"/>
    <outline type="rss" text="Ünïcode  «news»!" xmlUrl="http://example.org/rss?a=1&amp;b=2"/>
    <outline type="rss" text="Ünïcode news" xmlUrl="http://example.org/rss?a=2"/>
    <outline type="rss" text="Ünïcode news" xmlUrl="http://example.org/rss?a=3"/>
  </body>
</opml>)",
                                 "Web");
    EXPECT_EQ(imported.sources, 7u);
    ASSERT_EQ(imported.warnings.size(), 1u);
    EXPECT_EQ(imported.warnings[0], "feeds.opml: outline 'local' skipped: its URL is not http(s)");
    const auto cfg = load(imported.toml);
    ASSERT_EQ(cfg.sources.size(), 7u);
    // In document order.
    EXPECT_EQ(cfg.sources[0].name, "w3c-news");
    EXPECT_EQ(cfg.sources[0].body, "W3C");  // the folder
    EXPECT_EQ(cfg.sources[0].group, "");
    EXPECT_EQ(cfg.sources[1].name, "webrtc-wg");
    EXPECT_EQ(cfg.sources[1].body, "W3C");
    EXPECT_EQ(cfg.sources[1].group, "Working groups");  // the inner folder
    EXPECT_EQ(cfg.sources[2].name, "w3c-news-w3.org");  // unique
    EXPECT_EQ(cfg.sources[2].body, "Web");              // outside any folder: --body
    EXPECT_EQ(cfg.sources[3].name, "ietf.org");         // no text: the host
    EXPECT_EQ(cfg.sources[3].url, "https://www.ietf.org/blog/feed/");
    EXPECT_EQ(cfg.sources[4].name, "n-code-news");  // non-ASCII and punctuation dropped
    EXPECT_EQ(cfg.sources[4].url, "http://example.org/rss?a=1&b=2");
    EXPECT_EQ(cfg.sources[5].name, "n-code-news-example.org");    // the same name, then the host
    EXPECT_EQ(cfg.sources[6].name, "n-code-news-example.org-2");  // then a number
}

TEST(OpmlImport, withoutAFolderOrBodyTheHostIsTheBody) {
    const auto imported = import(
        R"(<opml version="2.0"><body><outline text="x" xmlUrl="https://www.etsi.org/rss"/></body></opml>)");
    const auto cfg = load(imported.toml);
    ASSERT_EQ(cfg.sources.size(), 1u);
    EXPECT_EQ(cfg.sources[0].body, "etsi.org");
}

TEST(OpmlImport, badDocumentsAreErrorsNamingTheFile) {
    EXPECT_EQ(import_error("<opml>\n<body>\n<outline"),
              "feeds.opml:3: not well-formed XML: Error parsing start element tag");
    EXPECT_EQ(import_error("<rss version=\"2.0\"/>"),
              "feeds.opml: not an OPML document (the root element is <rss>, not <opml>)");
    EXPECT_EQ(import_error("<opml version=\"2.0\"><head/></opml>"),
              "feeds.opml: the OPML document has no <body>");
    EXPECT_EQ(import_error("<opml><body><outline text=\"folder\"/></body></opml>"),
              "feeds.opml: no feed to import (no outline with an xmlUrl)");
    EXPECT_EQ(import_error("<opml><body><outline text=\"a\" xmlUrl=\"ftp://x/\"/></body></opml>"),
              "feeds.opml: no feed to import (no outline with an xmlUrl that can be imported)");
    EXPECT_EQ(import_error(""), "feeds.opml:1: not well-formed XML: No document element found");
}

TEST(OpmlImport, hostileInputIsRefusedOrHandledWithinLimits) {
    // Too large: refused before parsing.
    EXPECT_EQ(import_error(std::string(config::kMaxOpmlBytes + 1, ' ')),
              "feeds.opml: larger than 16 MiB; not a feed list");
    // Too many feeds.
    std::string many = "<opml><body>";
    for (std::size_t i = 0; i <= config::kMaxOpmlFeeds; ++i)
        many += "<outline xmlUrl=\"https://example.org/" + std::to_string(i) + "\"/>";
    many += "</body></opml>";
    EXPECT_EQ(import_error(many), "feeds.opml: more than 10000 feeds; not a feed list");
    // Folders nested 100,000 deep: no recursion, no quadratic copies.
    std::string deep = "<opml><body>";
    constexpr int kDepth = 100000;
    for (int i = 0; i < kDepth; ++i) deep += "<outline text=\"f" + std::to_string(i) + "\">";
    deep += "<outline text=\"deep\" xmlUrl=\"https://example.org/deep\"/>";
    for (int i = 0; i < kDepth; ++i) deep += "</outline>";
    deep += "</body></opml>";
    const auto imported = import(deep);
    const auto cfg = load(imported.toml);
    ASSERT_EQ(cfg.sources.size(), 1u);
    EXPECT_EQ(cfg.sources[0].body, "f0");
    EXPECT_EQ(cfg.sources[0].group, "f99999");
    // An entity bomb: DTD entities are not expanded.
    const auto bomb = config::opml_to_toml(
        R"(<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<opml><body><outline text="&b;" xmlUrl="https://example.org/x"/></body></opml>)",
        "feeds.opml");
    if (bomb) {
        EXPECT_LT(bomb->toml.size(), 500u);
    }
    // Line breaks, brackets and quotes in the text stay data, never TOML.
    const auto nasty = import(
        "<opml><body><outline text=\"a&#10;[daemon]&#10;x=&quot;1\" "
        "xmlUrl=\"https://example.org/&quot;x\"/></body></opml>");
    const auto nasty_cfg = load(nasty.toml);
    ASSERT_EQ(nasty_cfg.sources.size(), 1u);
    EXPECT_EQ(nasty_cfg.sources[0].name, "a-daemon-x-1");
    EXPECT_EQ(nasty_cfg.sources[0].url, "https://example.org/\"x");
}

}  // namespace
