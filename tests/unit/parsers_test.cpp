#include "parsers/dates.h"
#include "parsers/encoding.h"
#include "parsers/html_page.h"
#include "parsers/parse.h"
#include "parsers/text.h"
#include "parsers/url.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

// Guards against quadratic blow-ups. The bound is generous for an optimized
// build; under the sanitizers (10-50x slower, and CI runs both at once) only
// ctest's per-test timeout applies, so a slow machine cannot make this flaky.
#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
#define EXPECT_FAST(elapsed, bound) static_cast<void>(elapsed)
#else
#define EXPECT_FAST(elapsed, bound) EXPECT_LT(elapsed, bound)
#endif

using namespace specwatch;
using parse::normalize_date;

namespace {

std::string fixture(const std::string& name) {
    const std::string path = std::string(SPECWATCH_FIXTURES) + "/feeds/" + name;
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << "cannot open " << path;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Feed parse_ok(std::string_view bytes, parse::Options options = {}) {
    auto r = parse::parse(bytes, options);
    if (!r) {
        ADD_FAILURE() << "parse failed: " << r.error().message;
        return {};
    }
    return *r;
}

Feed parse_fixture(const std::string& name, parse::Options options = {}) {
    return parse_ok(fixture(name), options);
}

std::string parse_error(std::string_view bytes, parse::Options options = {}) {
    auto r = parse::parse(bytes, options);
    if (r) {
        ADD_FAILURE() << "parse succeeded, expected an error";
        return "";
    }
    return r.error().message;
}

// One item in a minimal RSS 2.0 document.
std::string rss_item(const std::string& inner, const std::string& namespaces = "") {
    return "<rss version=\"2.0\"" + namespaces + "><channel><title>t</title><item>" + inner +
           "</item></channel></rss>";
}

// One entry in a minimal Atom 1.0 document.
std::string atom_entry(const std::string& inner, const std::string& feed_inner = "") {
    return "<feed xmlns=\"http://www.w3.org/2005/Atom\">" + feed_inner + "<entry>" + inner +
           "</entry></feed>";
}

Item only_item(std::string_view doc, parse::Options options = {}) {
    Feed f = parse_ok(doc, options);
    if (f.items.size() != 1) {
        ADD_FAILURE() << "expected one item, got " << f.items.size();
        return {};
    }
    return f.items[0];
}

// An RSS 1.0 item whose rdf:about is its identity (its link differs).
std::string rdf_item_doc() {
    return "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
           "xmlns=\"http://purl.org/rss/1.0/\"><item rdf:about=\"http://example.org/rdf-item\">"
           "<title>x</title><link>http://example.org/other</link></item></rdf:RDF>";
}

using Strings = std::vector<std::string>;

}  // namespace

// --- Dates -------------------------------------------------------------------

TEST(Dates, Rfc822FormsBecomeUtc) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"Thu, 01 Jan 2004 19:48:21 GMT", "2004-01-01T19:48:21Z"},
        {"Tue, 10 Mar 2026 14:30:00 +0200", "2026-03-10T12:30:00Z"},
        {"Tue, 10 Jun 2003 04:00:00 +0530", "2003-06-09T22:30:00Z"},
        {"10 Jun 2003 04:00:00 -0800", "2003-06-10T12:00:00Z"},   // no weekday
        {"Tue, 10 Jun 2003 04:00 GMT", "2003-06-10T04:00:00Z"},   // no seconds
        {"Tue, 3 Jun 2003 04:00:00 UT", "2003-06-03T04:00:00Z"},  // one-digit day
        {"Wed, 31 Dec 03 10:14:55 EST", "2003-12-31T15:14:55Z"},  // 2-digit year, named zone
        {"Fri, 01 Jan 99 00:00:00 Z", "1999-01-01T00:00:00Z"},
        {"Sat, 01 Jul 2023 12:00:00 EDT", "2023-07-01T16:00:00Z"},
        {"01 Jul 2023 12:00:00 CST", "2023-07-01T18:00:00Z"},
        {"01 Jul 2023 12:00:00 CDT", "2023-07-01T17:00:00Z"},
        {"01 Jul 2023 12:00:00 MST", "2023-07-01T19:00:00Z"},
        {"01 Jul 2023 12:00:00 MDT", "2023-07-01T18:00:00Z"},
        {"01 Jul 2023 12:00:00 PST", "2023-07-01T20:00:00Z"},
        {"01 Jul 2023 12:00:00 PDT", "2023-07-01T19:00:00Z"},
        {"01 Jul 2023 12:00:00 CET", "2023-07-01T11:00:00Z"},
        {"01 Jul 2023 12:00:00 CEST", "2023-07-01T10:00:00Z"},
        {"01 Jul 2023 12:00:00 UTC", "2023-07-01T12:00:00Z"},
        {"01 Jul 2023 12:00:00 +02:00", "2023-07-01T10:00:00Z"},
        {"01 Jul 2023 12:00:00 GMT+0200", "2023-07-01T10:00:00Z"},
        {"Mon, 16 Mar 2026 08:00:00 -0000 (UTC)", "2026-03-16T08:00:00Z"},  // a comment
        {"Mon, 16 March 2026 08:00:00 GMT", "2026-03-16T08:00:00Z"},        // full month
        {"monday, 16 mar 2026 08:00:00 gmt", "2026-03-16T08:00:00Z"},       // any case
        {"Sunday, 06-Nov-94 08:49:37 GMT", "1994-11-06T08:49:37Z"},         // RFC 850
        {"Sun Nov  6 08:49:37 1994", "1994-11-06T08:49:37Z"},               // asctime
        {"Thu, 01 Jan 2004 23:30:00 -0800", "2004-01-02T07:30:00Z"},        // next day in UTC
        {"Sat, 01 Jan 2000 00:30:00 +0100", "1999-12-31T23:30:00Z"},        // previous year
        {"Tue, 10 Jun 2003 04:00:00", "2003-06-10T04:00:00Z"},              // no zone: UTC
        {"16 Mar 2026", "2026-03-16T00:00:00Z"},                            // a day alone
        {"Wed, 31 Dec 2008 23:59:60 GMT", "2008-12-31T23:59:59Z"},          // leap second
        {"  Tue, 10 Jun 2003 04:00:00 GMT\n", "2003-06-10T04:00:00Z"},
    };
    for (const auto& [in, want] : cases) EXPECT_EQ(normalize_date(in), want) << in;
}

TEST(Dates, TheCommonRfc822LayoutReadsAsTheGeneralReaderReadsIt) {
    // "Mon, 16 Mar 2026 09:00:00 +0000" is read at fixed places; with two
    // spaces between its words the same date goes through the word
    // splitting reader. Both must agree on every value, valid or not.
    std::mt19937 rng(822);
    const std::vector<std::string> weekdays{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
                                            "Sun", "mon", "SUN", "Mar", "Foo", "Thx"};
    const std::vector<std::string> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
                                          "jan", "DEC", "Mon", "Foo", "Sept"};
    auto two = [&](int max) {
        const int v = static_cast<int>(rng() % static_cast<unsigned>(max));
        return std::string(1, static_cast<char>('0' + v / 10)) + static_cast<char>('0' + v % 10);
    };
    std::size_t dated = 0;
    constexpr int kDates = 200000;
    for (int k = 0; k < kDates; ++k) {
        std::string zone;
        switch (rng() % 8) {
            case 0:
                zone = "GMT";
                break;
            case 1:
                zone = std::vector<std::string>{"gmt", "UTC", "EST", "+01", "Z"}[rng() % 5];
                break;
            default:
                zone = std::string(rng() % 2 ? "+" : "-") + two(rng() % 4 ? 24 : 100) +
                       two(rng() % 4 ? 60 : 100);
        }
        const std::string year = rng() % 4 ? "20" + two(100) : two(100) + two(100);
        const std::vector<std::string> words{weekdays[rng() % weekdays.size()] + ",",
                                             two(rng() % 4 ? 32 : 100),
                                             months[rng() % months.size()],
                                             year,
                                             two(rng() % 4 ? 24 : 100) + ":" +
                                                 two(rng() % 4 ? 60 : 100) + ":" +
                                                 two(rng() % 4 ? 61 : 100),
                                             zone};
        std::string fixed, spaced;
        for (const auto& w : words) {
            fixed += (fixed.empty() ? "" : " ") + w;
            spaced += (spaced.empty() ? "" : "  ") + w;
        }
        const std::string got = normalize_date(fixed);
        ASSERT_EQ(got, normalize_date(spaced)) << fixed;
        dated += !got.empty();
    }
    EXPECT_GT(dated, static_cast<std::size_t>(kDates / 10));
    EXPECT_EQ(normalize_date("Mon, 16 Mar 2026 09:00:00 +0000"), "2026-03-16T09:00:00Z");
    EXPECT_EQ(normalize_date("Mon, 16 Mar 2026 09:00:00 -0130"), "2026-03-16T10:30:00Z");
    EXPECT_EQ(normalize_date("Tue, 31 Dec 2024 23:59:60 GMT"), "2024-12-31T23:59:59Z");
    EXPECT_EQ(normalize_date("Mon, 30 Feb 2026 09:00:00 +0000"), "");
    EXPECT_EQ(normalize_date("Mon, 16 Mar 2026 09:00:00 +2400"), "");
}

TEST(Dates, Iso8601AndRfc3339FormsBecomeUtc) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"2003-12-31T10:14:55Z", "2003-12-31T10:14:55Z"},
        {"2003-12-31T10:14:55-08:00", "2003-12-31T18:14:55Z"},
        {"2003-12-31T10:14:55+01:00", "2003-12-31T09:14:55Z"},
        {"2003-12-31T10:14:55.123456+05:30", "2003-12-31T04:44:55Z"},  // fraction
        {"2003-12-31T10:14:55,5Z", "2003-12-31T10:14:55Z"},
        {"2003-12-31T10:14Z", "2003-12-31T10:14:00Z"},  // no seconds
        {"2003-12-31T10:14+0100", "2003-12-31T09:14:00Z"},
        {"2003-12-31T10:14:55+01", "2003-12-31T09:14:55Z"},
        {"2003-12-31T10:14:55", "2003-12-31T10:14:55Z"},  // no zone: UTC
        {"2003-12-31 10:14:55 -08:00", "2003-12-31T18:14:55Z"},
        {"2003-12-31t10:14:55z", "2003-12-31T10:14:55Z"},
        {"2003-12-31", "2003-12-31T00:00:00Z"},        // a day alone
        {"20031231T101455Z", "2003-12-31T10:14:55Z"},  // basic format
        {"20031231", "2003-12-31T00:00:00Z"},
        {"2026-03-16T00:30:00+01:00", "2026-03-15T23:30:00Z"},
        {"2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z"},  // leap day
        {"2026-03-16T09:00:00+00:00", "2026-03-16T09:00:00Z"},
    };
    for (const auto& [in, want] : cases) EXPECT_EQ(normalize_date(in), want) << in;
}

TEST(Dates, AnythingElseIsEmptyNeverAGuess) {
    const Strings bad{
        "",
        "   ",
        "yesterday",
        "01/02/2003",                 // day or month first?
        "2003",                       // a year is not a date
        "2003-12",                    // nor a month
        "2003-13-01T00:00:00Z",       // no month 13
        "2003-02-29T00:00:00Z",       // not a leap year
        "2003-04-31",                 // April has 30 days
        "2003-12-31T25:00:00Z",       // no hour 25
        "2003-12-31T10:60:00Z",       // no minute 60
        "2003-12-31T10:14:55+25:00",  // no such offset
        "2003-12-31T10:14:55 nonsense",
        "31 Feb 2004 10:00:00 GMT",
        "Thu, 01 Jan 2004 19:48:21 XYZ",     // unknown zone
        "Thu, 01 Jan 2004 19:48:21 BST",     // ambiguous zone
        "Thu, 01 Jan 2004 19:48:21 A",       // military zones are unreliable
        "Thu, 01 Smarch 2004 19:48:21 GMT",  // no such month
        "Thu, 01 Jan 2004 19:48:21 GMT extra",
        "Thu, 01 Jan 2004 1948 GMT",
        "Thu, 01 Jan",
        "Thu",
        "99999-01-01T00:00:00Z",
        "0000-01-01T00:00:00+01:00",  // before year 1 in UTC
        std::string(1000, '9'),
    };
    for (const auto& in : bad) EXPECT_EQ(normalize_date(in), "") << in;
}

// --- Text ---------------------------------------------------------------------

TEST(Text, HtmlBecomesPlainTextWithoutScriptOrStyle) {
    EXPECT_EQ(parse::html_to_text("<p>Hello <b>world</b></p><script>alert('x')</script>"
                                  "<style>p{color:red}</style><p>bye</p>"),
              "Hello world bye");
    EXPECT_EQ(parse::html_to_text("<!-- a comment --><p title='a > b'>Text</p>"), "Text");
    EXPECT_EQ(parse::html_to_text("<template><p>hidden</p></template>shown"), "shown");
    EXPECT_EQ(parse::html_to_text("<iframe src=x>fallback</iframe>after"), "after");
    EXPECT_EQ(parse::html_to_text("a < b and c > d"), "a < b and c > d");
    EXPECT_EQ(parse::html_to_text("<img src=\"x.jpg\" alt=\"A picture\">caption"), "caption");
}

TEST(Text, BlockElementsSeparateWordsAndInlineOnesDoNot) {
    EXPECT_EQ(parse::html_to_text("<p>one</p><p>two</p>"), "one two");
    EXPECT_EQ(parse::html_to_text("line<br>break<br/>here"), "line break here");
    EXPECT_EQ(parse::html_to_text("<ul><li>a</li><li>b</li></ul><h2>c</h2><div>d</div>"),
              "a b c d");
    EXPECT_EQ(
        parse::html_to_text("<table><tr><td>x</td><td>y</td></tr><tr><td>z</td></tr></table>"),
        "x y z");
    EXPECT_EQ(parse::html_to_text("<b>5</b>G and <i>IMT</i>-2030"), "5G and IMT-2030");
    EXPECT_EQ(parse::html_to_text("  lots \n\t of\r\n   space  "), "lots of space");
}

TEST(Text, NamedAndNumericReferencesAreDecoded) {
    EXPECT_EQ(parse::html_to_text("caf&eacute; &amp; cr&egrave;me &mdash; &hellip;"),
              "caf\u00e9 & cr\u00e8me \u2014 \u2026");
    EXPECT_EQ(parse::html_to_text("&#8220;quoted&#8221; &#x2019; &#X41;"),
              "\u201cquoted\u201d \u2019 A");
    EXPECT_EQ(parse::decode_entities("&NotNestedGreaterGreater; &bigstar; &fjlig;"),
              "\u2aa2\u0338 \u2605 fj");  // from the HTML5 table, beyond HTML 4
    EXPECT_EQ(parse::decode_entities("&#128; &#150;"), "\u20ac \u2013");  // windows-1252 remap
    EXPECT_EQ(parse::decode_entities("&#0; &#xD800; &#x110000;"), "\ufffd \ufffd \ufffd");
    EXPECT_EQ(parse::decode_entities("AT&T, Q & A, &unknownentity;"),
              "AT&T, Q & A, &unknownentity;");
    EXPECT_EQ(parse::decode_entities("&copy 2026"), "\u00a9 2026");  // legacy, no semicolon
    EXPECT_EQ(parse::html_to_text("5G&nbsp;NR"), "5G NR");  // a no-break space separates words
    EXPECT_EQ(parse::html_to_text("&lt;b&gt;not markup&lt;/b&gt;"), "<b>not markup</b>");
}

TEST(Text, CleanTextFoldsSpaceAndDropsControls) {
    EXPECT_EQ(parse::clean_text("  a\u00a0\u2003b \t\n c  "), "a b c");
    EXPECT_EQ(parse::clean_text("bell\a and \x1b[31mred\x1b[0m"), "bell and red");
    EXPECT_EQ(parse::clean_text("bad \xff byte"), "bad \ufffd byte");
}

TEST(Text, LooksLikeHtmlNeedsKnownTagsOrReferences) {
    EXPECT_TRUE(parse::looks_like_html("<b>bold</b>"));
    EXPECT_TRUE(parse::looks_like_html("a<br/>b"));
    EXPECT_TRUE(parse::looks_like_html("Rock &amp; Roll"));
    EXPECT_TRUE(parse::looks_like_html("&#8217;"));
    EXPECT_FALSE(parse::looks_like_html("1 < 2 > 0"));
    EXPECT_FALSE(parse::looks_like_html("Last Call: <draft-ietf-quic-multipath-14.txt>"));
    EXPECT_FALSE(parse::looks_like_html("AT&T"));
}

TEST(Text, LinearScannerAgreesWithGumboOnOrdinaryMarkup) {
    const Strings fragments{
        "<p>Hello <b>world</b></p><p>again</p>",
        "<p>a<p>b<p>c",  // unclosed paragraphs
        "<ul><li>one<li>two</ul>",
        "<div class=\"x\" data-x='a>b'>quoted &gt; attribute</div>",
        "<script>if (a < b) {}</script><style>.x{}</style>text",
        "<!-- comment --><!DOCTYPE html>after",
        "x &amp; y &eacute; &#8230;",
        "<textarea>&lt;kept&gt;</textarea>",
        "<a href=\"https://example.org/?a=1&amp;b=2\">link</a> text",
        "5G&nbsp;<strong>NR</strong>",
        "<table><tr><td>1</td><td>2</td></tr></table>",
        "text with a stray < sign",
    };
    for (const auto& f : fragments)
        EXPECT_EQ(parse::html_to_text_linear(f), parse::html_to_text(f)) << f;
}

TEST(Text, HostileNestingFallsBackToTheLinearScannerQuickly) {
    // gumbo needs quadratic time on these, and crashes on the second at this size.
    std::string deep, formatting, misnested;
    for (int i = 0; i < 100000; ++i) deep += "<div>";
    for (int i = 0; i < 100000; ++i) formatting += "<b><i><u><s>x</b>";
    for (int i = 0; i < 100000; ++i) misnested += "<b></p>";
    const auto start = std::chrono::steady_clock::now();
    parse::HtmlToText convert;
    EXPECT_EQ(convert(deep), "");
    EXPECT_EQ(convert(formatting).size(), 100000u);
    EXPECT_EQ(convert(misnested), "");
    EXPECT_EQ(convert.fallbacks(), 3u);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_FAST(took, std::chrono::seconds(5));  // gumbo alone: minutes, or a crash
}

TEST(Text, ADocumentsGumboBudgetIsShared) {
    // Many fragments that pass the per-fragment limits: once the document's
    // budget is spent, the rest go through the linear scanner.
    std::string fragment;
    for (std::size_t i = 0; i < parse::HtmlToText::kMaxTags / 3; ++i) fragment += "<p><div></p>";
    parse::HtmlToText convert;
    const std::size_t rounds = parse::HtmlToText::kDocumentTags / parse::HtmlToText::kMaxTags + 5;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < rounds; ++i) EXPECT_EQ(convert(fragment), "");
    EXPECT_GE(convert.fallbacks(), 5u);
    EXPECT_FAST(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// --- URLs ---------------------------------------------------------------------

TEST(Urls, RelativeReferencesResolveAsRfc3986Says) {
    const std::string base = "http://a/b/c/d;p?q";
    const std::vector<std::pair<std::string, std::string>> cases{
        {"g", "http://a/b/c/g"},
        {"./g", "http://a/b/c/g"},
        {"g/", "http://a/b/c/g/"},
        {"/g", "http://a/g"},
        {"?y", "http://a/b/c/d;p?y"},
        {"g?y", "http://a/b/c/g?y"},
        {"#s", "http://a/b/c/d;p?q#s"},
        {"g#s", "http://a/b/c/g#s"},
        {";x", "http://a/b/c/;x"},
        {"", "http://a/b/c/d;p?q"},
        {".", "http://a/b/c/"},
        {"..", "http://a/b/"},
        {"../g", "http://a/b/g"},
        {"../..", "http://a/"},
        {"../../../g", "http://a/g"},
        {"/./g", "http://a/g"},
        {"g.", "http://a/b/c/g."},
        {"..g", "http://a/b/c/..g"},
        {"g/../h", "http://a/b/c/h"},
        {"g;x=1/../y", "http://a/b/c/y"},
        {"//other.example/p", "http://other.example/p"},
    };
    for (const auto& [ref, want] : cases) EXPECT_EQ(parse::resolve_url(base, ref), want) << ref;
}

TEST(Urls, ARelativeBaseGivesResultsAsRelativeAsItself) {
    EXPECT_EQ(parse::resolve_url("/blog/", "post"), "/blog/post");
    EXPECT_EQ(parse::resolve_url("/a/b/", "../c"), "/a/c");
    EXPECT_EQ(parse::resolve_url("blog/", "post"), "blog/post");
    EXPECT_EQ(parse::resolve_url("blog/", "/x"), "/x");
    EXPECT_EQ(parse::resolve_url("//cdn.example/a/", "b"), "//cdn.example/a/b");
    EXPECT_EQ(parse::resolve_url("/blog/", "//other.example/p"), "//other.example/p");
}

TEST(Urls, AbsoluteOrUnanchoredReferencesStayAsWritten) {
    EXPECT_EQ(parse::resolve_url("http://a/b", "https://x.example/y"), "https://x.example/y");
    EXPECT_EQ(parse::resolve_url("http://a/b", "mailto:someone@example.org"),
              "mailto:someone@example.org");
    EXPECT_EQ(parse::resolve_url("http://a/b", "  https://x.example/  "), "https://x.example/");
    EXPECT_EQ(parse::resolve_url("", "relative/path"), "relative/path");
    EXPECT_EQ(parse::resolve_url("tag:example.org,2026:x", "y"), "y");
    EXPECT_EQ(parse::resolve_url("https://a.example/dir/", "a b.html"),
              "https://a.example/dir/a%20b.html");
}

// --- Encodings ----------------------------------------------------------------

TEST(Encodings, AWindows1252FeedIsTranscoded) {
    const Feed f = parse_fixture("windows-1252.rss");
    EXPECT_EQ(f.title, "ETSI Newsroom \u2013 Fran\u00e7ais");
    ASSERT_EQ(f.items.size(), 1u);
    EXPECT_EQ(f.items[0].title,
              "\u201cCaf\u00e9 de la norme\u201d: ETSI\u2019s \u20ac2 million programme");
    EXPECT_EQ(f.items[0].summary, "R\u00e9union \u00e0 Sophia Antipolis \u2014 d\u00e9tails");
}

TEST(Encodings, AUtf16FeedWithByteOrderMarkIsRead) {
    const Feed f = parse_fixture("utf-16.atom");
    EXPECT_EQ(f.format, "atom1.0");
    EXPECT_EQ(f.title, "Z\u00fcrich \u65e5\u672c \u2014 UTF-16");
    ASSERT_EQ(f.items.size(), 1u);
    EXPECT_EQ(f.items[0].title, "Gr\u00fc\u00dfe aus Z\u00fcrich \U0001F4E1");
    EXPECT_EQ(f.items[0].updated, "2026-03-01T11:00:00Z");
}

TEST(Encodings, Utf16WithoutByteOrderMarkIsRecognizedByShape) {
    std::u16string doc =
        u"<?xml version=\"1.0\"?><rss "
        u"version=\"2.0\"><channel><title>\u00c9t\u00e9</title></channel></rss>";
    std::string le, be;
    for (char16_t c : doc) {
        le += static_cast<char>(c & 0xFF);
        le += static_cast<char>(c >> 8);
        be += static_cast<char>(c >> 8);
        be += static_cast<char>(c & 0xFF);
    }
    EXPECT_EQ(parse_ok(le).title, "\u00c9t\u00e9");
    EXPECT_EQ(parse_ok(be).title, "\u00c9t\u00e9");
}

TEST(Encodings, TheHttpCharsetAppliesWhenTheDocumentSaysNothing) {
    const std::string doc = "<rss version=\"2.0\"><channel><title>caf\xe9</title></channel></rss>";
    parse::Options o;
    o.content_type = "application/rss+xml; charset=\"ISO-8859-1\"";
    EXPECT_EQ(parse_ok(doc, o).title, "caf\u00e9");
    o.content_type = "text/xml; charset=koi8-r";
    EXPECT_EQ(
        parse_ok("<rss><channel><title>\xf0\xd2\xc9\xd7\xc5\xd4</title></channel></rss>", o).title,
        "\u041f\u0440\u0438\u0432\u0435\u0442");
}

TEST(Encodings, ValidUtf8DeclaredUtf8WinsOverAWrongServerDefault) {
    const std::string doc =
        "<?xml version=\"1.0\" "
        "encoding=\"utf-8\"?><rss><channel><title>caf\xc3\xa9</title></channel></rss>";
    parse::Options o;
    o.content_type = "text/xml; charset=iso-8859-1";
    EXPECT_EQ(parse_ok(doc, o).title, "caf\u00e9");
}

TEST(Encodings, InvalidBytesAreReplacedNotFatal) {
    const Feed f = parse_ok("<rss><channel><title>bad \xff\xfe bytes \xc3</title></channel></rss>");
    EXPECT_EQ(f.title, "bad \ufffd\ufffd bytes \ufffd");
    // An encoding iconv does not know is read as UTF-8.
    EXPECT_EQ(
        parse_ok("<?xml version=\"1.0\" encoding=\"x-no-such\"?><rss><channel><title>ok</title>"
                 "</channel></rss>")
            .title,
        "ok");
    const auto d = parse::decode_xml_document("\x81\x8d", "text/xml; charset=windows-1252");
    EXPECT_EQ(d.text, "\ufffd\ufffd");  // bytes windows-1252 leaves undefined
}

// --- Realistic feeds ----------------------------------------------------------

TEST(Feeds, JoomlaRssFrom3gppReadsEveryField) {
    const Feed f = parse_fixture("3gpp-news.rss");
    EXPECT_EQ(f.format, "rss2.0");
    EXPECT_EQ(f.title, "3GPP News");
    EXPECT_EQ(f.link, "https://www.3gpp.org/news-events/3gpp-news");
    EXPECT_EQ(f.updated, "2026-03-16T09:15:02Z");
    ASSERT_EQ(f.items.size(), 3u);
    const Item& a = f.items[0];
    EXPECT_EQ(a.id, "https://www.3gpp.org/news-events/3gpp-news/rel-20-timeline");
    EXPECT_EQ(a.link, "https://www.3gpp.org/news-events/3gpp-news/rel-20-timeline");
    EXPECT_EQ(a.title, "Release 20 timeline agreed at TSG#107");
    EXPECT_EQ(a.summary,
              "The TSG#107 plenaries in Incheon agreed the Release 20 timeline \u2013 the release "
              "that carries both 5G\u2011Advanced and the first 6G studies. Read more in the "
              "Release 20 page\u2026");
    EXPECT_EQ(a.content, "");
    EXPECT_EQ(a.author, "Kevin Flynn");  // "email (Name)"
    EXPECT_EQ(a.categories, Strings{"Partners"});
    EXPECT_EQ(a.published, "2026-03-10T12:30:00Z");  // +0200
    EXPECT_EQ(a.updated, "");
    EXPECT_TRUE(a.start.empty() && a.end.empty() && a.location.empty() && a.organizations.empty());

    const Item& b = f.items[1];
    EXPECT_EQ(b.title, "RAN1#124 chairs' summary: AI/ML for the air interface");
    EXPECT_EQ(b.summary,
              "RAN1 made progress on AI/ML for beam management & positioning. Agenda item 9.1");
    EXPECT_EQ(b.author, "");
    EXPECT_EQ(b.published, "2026-02-27T08:00:00Z");
    EXPECT_EQ(f.items[2].author, "3GPP MCC");
    EXPECT_EQ(f.items[2].categories, Strings{"Meetings"});
}

TEST(Feeds, WordPressRssFromTheItuHubReadsEveryField) {
    const Feed f = parse_fixture("itu-hub.rss");
    EXPECT_EQ(f.format, "rss2.0");
    EXPECT_EQ(f.title, "ITU Hub");
    EXPECT_EQ(f.link, "https://www.itu.int/hub");
    EXPECT_EQ(f.updated, "2026-03-13T15:04:33Z");
    ASSERT_EQ(f.items.size(), 2u);
    const Item& a = f.items[0];
    EXPECT_EQ(a.id, "https://www.itu.int/hub/?p=34512");  // isPermaLink="false": the id only
    EXPECT_EQ(a.link, "https://www.itu.int/hub/2026/03/how-imt-2030-will-shape-mobile/");
    EXPECT_EQ(a.title, "How IMT-2030 will shape the next decade of mobile");
    EXPECT_EQ(a.summary,
              "The ITU Radiocommunication Sector is defining what the sixth generation of mobile "
              "systems must do\u2026 The post How IMT-2030 will shape the next decade of mobile "
              "appeared first on ITU Hub.");
    EXPECT_EQ(
        a.content,
        "The ITU Radiocommunication Sector (ITU\u2011R) is defining what the sixth generation "
        "of mobile systems must do. Requirements Peak data rates Sensing \u201cSpectrum is the "
        "foundation,\u201d said the Director. The post How IMT-2030 will shape the next decade "
        "of mobile appeared first on ITU Hub.");
    EXPECT_EQ(a.content.find("gtag"), std::string::npos);    // script dropped
    EXPECT_EQ(a.content.find("margin"), std::string::npos);  // style dropped
    EXPECT_EQ(a.author, "ITU News");                         // dc:creator in CDATA
    EXPECT_EQ(a.categories, (Strings{"Radiocommunication", "IMT-2030", "Spectrum"}));
    EXPECT_EQ(a.published, "2026-03-13T09:00:00Z");
    const Item& b = f.items[1];
    EXPECT_EQ(b.title, "ITU\u2019s Plenipotentiary Conference: what\u2019s at stake");
    EXPECT_EQ(b.summary,
              "Member States meet in Doha to elect ITU\u2019s leadership & set its strategy\u2026");
    EXPECT_EQ(b.content,
              "Member States meet in Doha to elect ITU\u2019s leadership & set its strategy for "
              "2028\u20132031.");
    EXPECT_EQ(b.author, "Doreen Bogdan-Martin");
}

TEST(Feeds, RfcEditorItemsWithoutGuidAreIdentifiedByTheirLink) {
    const Feed f = parse_fixture("rfc-editor.rss");
    EXPECT_EQ(f.title, "Recent RFCs");
    EXPECT_EQ(f.link, "https://www.rfc-editor.org/");
    EXPECT_EQ(f.updated, "");
    ASSERT_EQ(f.items.size(), 3u);
    EXPECT_EQ(f.items[0].id, "https://www.rfc-editor.org/info/rfc9750");
    EXPECT_EQ(f.items[0].link, "https://www.rfc-editor.org/info/rfc9750");
    EXPECT_EQ(f.items[0].title, "RFC 9750: The Messaging Layer Security (MLS) Architecture");
    EXPECT_TRUE(f.items[0].summary.starts_with(
        "The Messaging Layer Security (MLS) protocol (RFC 9420) provides"));
    EXPECT_EQ(f.items[0].summary.find("  "), std::string::npos);  // double spaces folded
    EXPECT_EQ(f.items[0].published, "");
    EXPECT_EQ(f.items[1].id, "https://www.rfc-editor.org/info/rfc9794/");
    EXPECT_EQ(f.items[2].title, "RFC 9000: QUIC: A UDP-Based Multiplexed and Secure Transport");
}

TEST(Feeds, IetfAtomFeedReadsEveryField) {
    const Feed f = parse_fixture("ietf-last-call.atom");
    EXPECT_EQ(f.format, "atom1.0");
    EXPECT_EQ(f.title, "IESG Last Calls");
    EXPECT_EQ(f.link, "https://datatracker.ietf.org/feed/last-call/");
    EXPECT_EQ(f.updated, "2026-03-16T09:00:00Z");
    ASSERT_EQ(f.items.size(), 2u);
    const Item& a = f.items[0];
    EXPECT_EQ(a.id, "https://datatracker.ietf.org/doc/draft-ietf-quic-multipath/");
    EXPECT_EQ(a.link, "https://datatracker.ietf.org/doc/draft-ietf-quic-multipath/");
    // type="text": the angle brackets are text, not markup.
    EXPECT_EQ(a.title,
              "Last Call: <draft-ietf-quic-multipath-14.txt> (Multipath Extension for QUIC) to "
              "Proposed Standard");
    // type="html": escaped <pre>, and inside it an escaped "&lt;" that is text.
    EXPECT_TRUE(a.summary.starts_with(
        "The IESG has received a request from the QUIC WG (quic) to consider the following "
        "document: - 'Multipath Extension for QUIC' <draft-ietf-quic-multipath-14.txt> as "
        "Proposed Standard The IESG plans"))
        << a.summary;
    EXPECT_EQ(a.author, "The IESG");  // inherited from the feed
    EXPECT_EQ(a.published, "2026-03-10T15:12:03Z");
    EXPECT_EQ(a.updated, "2026-03-12T13:00:00Z");  // -05:00
    EXPECT_EQ(a.content, "");
    const Item& b = f.items[1];
    EXPECT_EQ(b.title,
              "Last Call: draft-ietf-tls-ecdhe-mlkem-03 (Post-quantum hybrid ECDHE-MLKEM Key "
              "Agreement for TLSv1.3)");  // type="xhtml"
    EXPECT_EQ(b.content, "Comments by 2026-03-16. Reply to last-call@ietf.org.");
    EXPECT_EQ(b.author, "TLS Working Group Chairs");  // its own author wins
    EXPECT_EQ(b.categories, (Strings{"tls", "security"}));
}

// --- Formats and errors -------------------------------------------------------

TEST(Formats, TheRootElementNamesTheFormat) {
    EXPECT_EQ(parse_ok("<rss version=\"2.0\"><channel/></rss>").format, "rss2.0");
    EXPECT_EQ(parse_ok("<rss version=\"0.91\"><channel/></rss>").format, "rss0.9x");
    EXPECT_EQ(parse_ok("<rss version=\"0.92\"><channel/></rss>").format, "rss0.9x");
    EXPECT_EQ(parse_ok("<rss><channel/></rss>").format, "rss2.0");
    EXPECT_EQ(parse_ok("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
                       "xmlns=\"http://purl.org/rss/1.0/\"><channel/></rdf:RDF>")
                  .format,
              "rss1.0");
    EXPECT_EQ(parse_ok("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
                       "xmlns=\"http://my.netscape.com/rdf/simple/0.9/\"><channel/></rdf:RDF>")
                  .format,
              "rss0.9x");
    EXPECT_EQ(parse_ok("<feed xmlns=\"http://www.w3.org/2005/Atom\"/>").format, "atom1.0");
    EXPECT_EQ(parse_ok("<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"/>").format,
              "atom0.3");
}

TEST(Formats, AForcedFormatRefusesTheOtherFamily) {
    parse::Options rss;
    rss.format = "rss";
    parse::Options atom;
    atom.format = "atom";
    EXPECT_EQ(parse_ok("<rss><channel/></rss>", rss).format, "rss2.0");
    EXPECT_EQ(parse_ok("<feed xmlns=\"http://www.w3.org/2005/Atom\"/>", atom).format, "atom1.0");
    EXPECT_EQ(
        parse_error("<feed xmlns=\"http://www.w3.org/2005/Atom\"/>", rss),
        "not an RSS feed: root element is <feed> (an Atom feed; the source's format says rss)");
    EXPECT_EQ(
        parse_error("<rss><channel/></rss>", atom),
        "not an Atom feed: root element is <rss> (an RSS feed; the source's format says atom)");
}

TEST(Formats, AForcedFormatThatDoesNotFitSaysWhy) {
    parse::Options o;
    o.format = "xlsx";
    EXPECT_EQ(parse_error("<rss/>", o), "XLSX error: not a ZIP archive (Not a zip archive)");
    o.format = "ics";
    EXPECT_EQ(parse_error("<rss/>", o),
              "not an iCalendar document (it starts with \"<rss/>\", not BEGIN:VCALENDAR)");
    o.format = "html";
    EXPECT_EQ(parse_error("<html/>", o),
              "format 'html' needs rules: 'item' and 'title' XPath expressions in [source.html] "
              "(specwatch parse --config C --source S)");
    o.format = "json";
    EXPECT_EQ(parse_error("<rss/>", o),
              "JSON error: parse error at line 1, column 1: syntax error while parsing value - "
              "invalid literal; last read: '<'");
    o.format = "yaml";
    EXPECT_EQ(parse_error("<rss/>", o),
              "unknown format 'yaml' (expected auto, rss, atom, ics, html, json or xlsx)");
}

TEST(Errors, NonFeedsSayWhatTheyAre) {
    EXPECT_EQ(parse_error(fixture("html-page.html")),
              "not a feed: root element is <html> (a web page, not RSS or Atom)");
    EXPECT_EQ(parse_error("<html xmlns=\"http://www.w3.org/1999/xhtml\"><body/></html>"),
              "not a feed: root element is <html> (a web page, not RSS or Atom)");
    EXPECT_EQ(parse_error("<?xml version=\"1.0\"?><opml version=\"2.0\"/>"),
              "not a feed: root element is <opml>");
    EXPECT_EQ(parse_error(fixture("empty.xml")), "not a feed: the document is empty");
    EXPECT_EQ(parse_error(" \n\t"), "not a feed: the document is empty");
    EXPECT_EQ(parse_error("<!-- nothing -->"), "not a feed: the document has no root element");
}

TEST(Errors, MalformedXmlSaysWhereAndWhy) {
    EXPECT_EQ(parse_error(fixture("truncated.xml")),
              "XML error at line 24, column 33: the document ends before its elements are closed "
              "(truncated?)");
    EXPECT_EQ(parse_error("<rss>\n<channel>\n<title>x</titel>\n</channel></rss>"),
              "XML error at line 3, column 11: start-end tags mismatch");
    EXPECT_EQ(parse_error("{\"items\": []}"),
              "not a JSON Feed (no \"version\": \"https://jsonfeed.org/version/1.1\"); other JSON "
              "needs a [source.json] mapping with 'items'");
    // The ZIP magic makes it an XLSX workbook; a truncated archive says so.
    EXPECT_EQ(parse_error(std::string("PK\x03\x04\x14\x00", 6)),
              "XLSX error: not a ZIP archive (Not a zip archive)");
    parse::Options rss;
    rss.format = "rss";
    EXPECT_EQ(parse_error("{\"items\": []}", rss),
              "not a feed: the document is not XML (it starts with \"{\"items\": []}\")");
    EXPECT_EQ(parse_error("Service Unavailable\r\n\x1b[31m" + std::string(100, 'x')),
              "not a feed: the document is not XML (it starts with \"Service Unavailable "
              "xxxxxxxxxxxxxx...\")");  // 40 bytes, the escape sequence removed
}

// --- Links, ids and namespaces ----------------------------------------------

TEST(Links, XmlBaseOnAnyAncestorAndTheDocumentUrlResolveRelativeLinks) {
    const std::string doc =
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://example.org/blog/\">"
        "<link href=\"/\"/>"
        "<entry xml:base=\"2026/\"><id>1</id><link href=\"post.html\"/></entry>"
        "<entry><id>2</id><link xml:base=\"http://other.example/x/\" href=\"../y\"/></entry>"
        "<entry xml:base=\"a/\"><id>3</id><title>t</title>"
        "<link rel=\"alternate\" href=\"b/../c?d=1&amp;e=2#f\"/></entry>"
        "</feed>";
    const Feed f = parse_ok(doc);
    EXPECT_EQ(f.link, "http://example.org/");
    ASSERT_EQ(f.items.size(), 3u);
    EXPECT_EQ(f.items[0].link, "http://example.org/blog/2026/post.html");
    EXPECT_EQ(f.items[1].link, "http://other.example/y");
    EXPECT_EQ(f.items[2].link, "http://example.org/blog/a/c?d=1&e=2#f");

    parse::Options o;
    o.base_url = "https://www.3gpp.org/news-events/3gpp-news?format=feed&type=rss";
    const Feed r = parse_ok(rss_item("<link>/news-events/x</link>"), o);
    EXPECT_EQ(r.items[0].link, "https://www.3gpp.org/news-events/x");
    // A relative xml:base resolves against the document URL first.
    o.base_url = "https://example.org/feeds/main.xml";
    EXPECT_EQ(
        only_item("<rss xml:base=\"../site/\"><channel><item><link>p</link></item></channel></rss>",
                  o)
            .link,
        "https://example.org/site/p");
}

TEST(Links, AtomPrefersTheAlternateHtmlLinkWhateverTheOrder) {
    EXPECT_EQ(
        only_item(
            atom_entry("<link rel=\"self\" href=\"http://x/self\"/>"
                       "<link rel=\"alternate\" type=\"application/pdf\" href=\"http://x/pdf\"/>"
                       "<link href=\"http://x/html\"/>"))
            .link,
        "http://x/html");
    EXPECT_EQ(
        only_item(atom_entry("<link rel=\"alternate\" type=\"text/html\" href=\"http://x/1\"/>"
                             "<link rel=\"alternate\" type=\"text/html\" href=\"http://x/2\"/>"))
            .link,
        "http://x/1");
    EXPECT_EQ(only_item(atom_entry("<link rel=\"related\" href=\"http://x/related\"/>")).link,
              "http://x/related");  // nothing better: the first link
}

TEST(Links, APermalinkGuidIsTheLinkOnlyWhenThereIsNoLink) {
    EXPECT_EQ(only_item(rss_item("<guid>http://example.org/guid</guid>")).link,
              "http://example.org/guid");
    EXPECT_EQ(only_item(rss_item("<guid isPermaLink=\"true\">https://example.org/g</guid>"
                                 "<link>https://example.org/link</link>"))
                  .link,
              "https://example.org/link");
    EXPECT_EQ(only_item(rss_item("<guid isPermaLink=\"false\">http://example.org/g</guid>")).link,
              "");
    EXPECT_EQ(only_item(rss_item("<guid>12345</guid>")).link, "");  // not a URL
    parse::Options o;
    o.base_url = "https://example.org/feed/";
    EXPECT_EQ(only_item(rss_item("<guid isPermaLink=\"true\">/news/1</guid>"), o).link,
              "https://example.org/news/1");  // said so: resolved like a link
}

TEST(Ids, IdsComeFromGuidOrIdThenLinkThenAHash) {
    EXPECT_EQ(
        only_item(rss_item("<guid isPermaLink=\"false\"> abc-123 </guid><link>http://l/</link>"))
            .id,
        "abc-123");
    EXPECT_EQ(only_item(atom_entry("<id>tag:example.org,2026:1</id><link href=\"http://l/\"/>")).id,
              "tag:example.org,2026:1");
    // A link as id is normalized: http and https, host case, default ports,
    // fragments and tracking parameters do not make a new item.
    EXPECT_EQ(only_item(rss_item("<link>http://l/1</link><title>x</title>")).id, "https://l/1");
    for (const std::string link :
         {"https://Example.ORG:443/a?id=7&utm_source=rss&utm_medium=feed#comments",
          "http://example.org:80/a?id=7", "HTTP://example.org/a?fbclid=x&id=7"})
        EXPECT_EQ(only_item(rss_item("<link>" + link + "</link>")).id, "https://example.org/a?id=7")
            << link;
    EXPECT_EQ(parse::link_identity("https://portal.3gpp.org/Home.aspx#/meeting?MtgId=60950"),
              "https://portal.3gpp.org/Home.aspx#/meeting?MtgId=60950");  // a hash route stays
    EXPECT_EQ(parse::link_identity("http://example.org"), "https://example.org/");
    EXPECT_EQ(parse::link_identity("ftp://Example.org/x#y"), "ftp://Example.org/x#y");
    const Item a = only_item(
        rss_item("<title>Same title</title><pubDate>Mon, 16 Mar 2026 08:00:00 GMT</pubDate>"));
    const Item b = only_item(
        rss_item("<pubDate>Mon, 16 Mar 2026 09:00:00 +0100</pubDate><title>Same title</title>"
                 "<description>other text</description>"));
    const Item c = only_item(
        rss_item("<title>Other title</title><pubDate>Mon, 16 Mar 2026 08:00:00 GMT</pubDate>"));
    EXPECT_TRUE(std::regex_match(a.id, std::regex("hash:[0-9a-f]{16}"))) << a.id;
    EXPECT_EQ(a.id, b.id);  // the same title and instant: the same item
    EXPECT_NE(a.id, c.id);
    const Item d = only_item(rss_item("<description>text only</description>"));
    const Item e = only_item(rss_item("<description>other text only</description>"));
    EXPECT_NE(d.id, e.id);  // no title nor date: the text tells them apart
    EXPECT_EQ(only_item(rdf_item_doc()).id, "http://example.org/rdf-item");
}

TEST(Namespaces, ElementsAreMatchedByUriNotPrefix) {
    const std::string ns =
        " xmlns:x=\"http://purl.org/dc/elements/1.1/\" "
        "xmlns:c=\"http://purl.org/rss/1.0/modules/content/\""
        " xmlns:a=\"http://www.w3.org/2005/Atom\" xmlns:dc=\"http://example.org/not-dublin-core\"";
    const Item it =
        only_item(rss_item("<x:creator>Jane</x:creator><x:subject>QUIC</x:subject>"
                           "<x:date>2026-03-16T08:00:00+01:00</x:date>"
                           "<c:encoded>&lt;p&gt;full&lt;/p&gt;</c:encoded>"
                           "<a:updated>2026-03-17T00:00:00Z</a:updated>"
                           "<dc:creator>not an author</dc:creator>",
                           ns));
    EXPECT_EQ(it.author, "Jane");
    EXPECT_EQ(it.categories, Strings{"QUIC"});
    EXPECT_EQ(it.published, "2026-03-16T07:00:00Z");
    EXPECT_EQ(it.updated, "2026-03-17T00:00:00Z");
    EXPECT_EQ(it.content, "full");
}

TEST(Namespaces, AnUndeclaredConventionalPrefixStillMeansItsNamespace) {
    const Item it =
        only_item(rss_item("<dc:creator>Jane</dc:creator>"
                           "<content:encoded>&lt;p&gt;full&lt;/p&gt;</content:encoded>"
                           "<madeup:title>not the title</madeup:title><title>t</title>"));
    EXPECT_EQ(it.author, "Jane");
    EXPECT_EQ(it.content, "full");
    EXPECT_EQ(it.title, "t");
}

TEST(Items, RssAuthorsCategoriesAndDatesFromEveryVocabulary) {
    const std::string ns = " xmlns:dc=\"http://purl.org/dc/elements/1.1/\"";
    EXPECT_EQ(only_item(rss_item("<author>jane@example.org (Jane Doe)</author>")).author,
              "Jane Doe");
    EXPECT_EQ(only_item(rss_item("<author>Jane Doe &lt;jane@example.org&gt;</author>")).author,
              "Jane Doe");
    EXPECT_EQ(only_item(rss_item("<author>jane@example.org</author>")).author, "jane@example.org");
    EXPECT_EQ(
        only_item(rss_item("<dc:creator>A</dc:creator><dc:creator>B</dc:creator>", ns)).author,
        "A, B");
    EXPECT_EQ(
        only_item(rss_item("<dc:creator>A</dc:creator><author>x@y (Main)</author>", ns)).author,
        "Main");
    EXPECT_EQ(only_item(rss_item("<category>a</category><dc:subject>b</dc:subject>"
                                 "<category> a </category><category/>",
                                 ns))
                  .categories,
              (Strings{"a", "b"}));
    const Item d =
        only_item(rss_item("<dc:date>2026-01-02T03:04:05Z</dc:date>"
                           "<pubDate>Mon, 16 Mar 2026 08:00:00 GMT</pubDate>",
                           ns));
    EXPECT_EQ(d.published, "2026-03-16T08:00:00Z");  // pubDate is RSS's own: it wins
    EXPECT_EQ(only_item(rss_item("<pubDate>not a date</pubDate>")).published, "");
}

TEST(Items, TitlesAreTextButHtmlInRssTitlesIsRemoved) {
    EXPECT_EQ(only_item(rss_item("<title>Rock &amp;amp; Roll</title>")).title, "Rock & Roll");
    EXPECT_EQ(only_item(rss_item("<title>&lt;b&gt;Bold&lt;/b&gt; news</title>")).title,
              "Bold news");
    EXPECT_EQ(only_item(rss_item("<title>AT&amp;T and 1 &lt; 2</title>")).title, "AT&T and 1 < 2");
    EXPECT_EQ(only_item(rss_item("<title><![CDATA[5G <em>NR</em>]]></title>")).title, "5G NR");
    EXPECT_EQ(only_item(atom_entry("<title type=\"text\">&lt;b&gt; is a tag</title>")).title,
              "<b> is a tag");
    EXPECT_EQ(
        only_item(atom_entry("<title type=\"html\">&lt;b&gt;Bold&lt;/b&gt; &amp;amp;</title>"))
            .title,
        "Bold &");
    EXPECT_EQ(only_item(rss_item("<title>  spread\n   over\tlines  </title>")).title,
              "spread over lines");
}

TEST(Items, HtmlEntitiesOutsideXmlAreDecodedOnce) {
    // RSS 0.91's DTD declares HTML's entities: "&nbsp;" in the XML is a
    // no-break space, while "&amp;nbsp;" is the text "&nbsp;" (in a title that
    // is HTML, so a space too, but in Atom text it stays).
    EXPECT_EQ(only_item(rss_item("<description>a&nbsp;b&eacute;</description>")).summary,
              "a b\u00e9");
    EXPECT_EQ(only_item(atom_entry("<title>caf&eacute;</title>")).title, "caf\u00e9");
    EXPECT_EQ(only_item(atom_entry("<title>&amp;eacute;</title>")).title, "&eacute;");
}

TEST(Items, AtomContentKindsAllBecomePlainText) {
    EXPECT_EQ(
        only_item(
            atom_entry("<content type=\"html\">&lt;p&gt;a&lt;/p&gt;&lt;p&gt;b&lt;/p&gt;</content>"))
            .content,
        "a b");
    EXPECT_EQ(only_item(atom_entry(
                            "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">"
                            "<p>x &amp; <b>y</b></p><script>no()</script><p>z</p></div></content>"))
                  .content,
              "x & y z");
    EXPECT_EQ(only_item(atom_entry("<content>plain &lt;text&gt;</content>")).content,
              "plain <text>");
    EXPECT_EQ(
        only_item(atom_entry("<content type=\"text/html\">&lt;i&gt;i&lt;/i&gt;</content>")).content,
        "i");
    EXPECT_EQ(only_item(atom_entry("<content type=\"image/png\">iVBORw0KGgo=</content>")).content,
              "");
    // Out-of-line content is named by its URL (feedparser keeps it as content src).
    EXPECT_EQ(
        only_item(atom_entry("<content src=\"http://x/movie.mp4\" type=\"video/mp4\"/>")).content,
        "http://x/movie.mp4");
    EXPECT_EQ(only_item(atom_entry("<content src=\"movie.mp4\"/>"),
                        [] {
                            parse::Options o;
                            o.base_url = "https://example.org/feed/";
                            return o;
                        }())
                  .content,
              "https://example.org/feed/movie.mp4");
    // Atom 0.3: mode="escaped" and mode="base64".
    const std::string old = "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry>";
    EXPECT_EQ(only_item(old + "<content type=\"text/html\" "
                              "mode=\"escaped\">&lt;b&gt;e&lt;/b&gt;</content></entry></feed>")
                  .content,
              "e");
    EXPECT_EQ(
        only_item(
            old +
            "<content type=\"text/html\" mode=\"base64\">PGI+YjY0PC9iPg==</content></entry></feed>")
            .content,
        "b64");
    EXPECT_EQ(only_item(old + "<summary>s</summary><issued>2004-01-01T00:00:00Z</issued>"
                              "<modified>2004-01-02T00:00:00Z</modified></entry></feed>")
                  .published,
              "2004-01-01T00:00:00Z");
}

TEST(Items, AtomAuthorsFromEntrySourceOrFeed) {
    const std::string feed_author = "<author><name>Feed Author</name></author>";
    EXPECT_EQ(only_item(atom_entry("<id>1</id>", feed_author)).author, "Feed Author");
    EXPECT_EQ(
        only_item(
            atom_entry("<id>1</id><source><author><name>Source Author</name></author></source>",
                       feed_author))
            .author,
        "Source Author");
    EXPECT_EQ(
        only_item(
            atom_entry(
                "<author><name>A</name></author><author><email>b@example.org</email></author>",
                feed_author))
            .author,
        "A, b@example.org");
    // The feed's author may follow its entries.
    EXPECT_EQ(parse_ok("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id></entry>" +
                       feed_author + "</feed>")
                  .items[0]
                  .author,
              "Feed Author");
}

TEST(Items, RdfItemsBesideTheChannelAreRead) {
    const Feed f = parse_ok(
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
        "xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
        "<channel rdf:about=\"http://example.org/\"><title>RDF "
        "feed</title><link>http://example.org/</link></channel>"
        "<item "
        "rdf:about=\"http://example.org/1\"><title>One</title><link>http://example.org/1</link>"
        "<dc:date>2026-03-16T08:00:00Z</dc:date></item>"
        "<item "
        "rdf:about=\"http://example.org/2\"><title>Two</title><link>http://example.org/2</link></"
        "item>"
        "</rdf:RDF>");
    EXPECT_EQ(f.title, "RDF feed");
    ASSERT_EQ(f.items.size(), 2u);
    EXPECT_EQ(f.items[0].id, "http://example.org/1");
    EXPECT_EQ(f.items[0].published, "2026-03-16T08:00:00Z");
    EXPECT_EQ(f.items[1].title, "Two");
}

TEST(Items, EntitiesDeclaredInTheDocumentAreExpandedOnce) {
    const Item it = only_item(
        "<!DOCTYPE rss [<!ENTITY site \"https://example.org\"><!ENTITY nested \"&site;/x\">]>"
        "<rss><channel><item><guid isPermaLink=\"false\">&site;/1</guid><title>&nested;</title>"
        "</item></channel></rss>");
    EXPECT_EQ(it.id, "https://example.org/1");
    EXPECT_EQ(it.title, "&site;/x");  // one level only
}

// --- Hostile input ------------------------------------------------------------

TEST(Hostile, BillionLaughsStaysSmall) {
    std::string doc = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY lol0 \"lol\">";
    for (int i = 1; i < 10; ++i) {
        doc += "<!ENTITY lol" + std::to_string(i) + " \"";
        for (int k = 0; k < 10; ++k) doc += "&lol" + std::to_string(i - 1) + ";";
        doc += "\">";
    }
    doc += "]><rss><channel><item><title>&lol9;</title></item></channel></rss>";
    const Item it = only_item(doc);
    EXPECT_LT(it.title.size(), 200u);
}

TEST(Hostile, ExpansionBudgetBoundsManyReferences) {
    std::string doc = "<!DOCTYPE rss [<!ENTITY big \"" + std::string(4000, 'x') +
                      "\">]><rss><channel><item><title>";
    for (int i = 0; i < 10000; ++i) doc += "&big;";
    doc += "</title></item></channel></rss>";
    const Item it = only_item(doc);
    EXPECT_LE(it.title.size(), (1u << 20) + 10000u * 5);
}

TEST(Hostile, DeepNestingDoesNotOverflowTheStack) {
    std::string doc = "<rss><channel><item><description>";
    std::string content =
        "<content:encoded xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">";
    std::string deep;
    for (int i = 0; i < 200000; ++i) deep += "<div>";
    deep += "x";
    for (int i = 0; i < 200000; ++i) deep += "</div>";
    const Item it = only_item("<rss><channel><item>" + content + deep +
                              "</content:encoded></item></channel></rss>");
    EXPECT_EQ(it.content, "x");
    // Unclosed: an XML error, not a crash.
    std::string open = "<rss><channel><item><title>";
    for (int i = 0; i < 200000; ++i) open += "<a>";
    EXPECT_FALSE(parse::parse(open, {}));
    // Escaped HTML nested deep goes through the linear scanner.
    std::string escaped;
    for (int i = 0; i < 50000; ++i) escaped += "&lt;div&gt;";
    EXPECT_EQ(only_item(rss_item("<description>" + escaped + "y</description>")).summary, "y");
}

TEST(Hostile, PathologicalShapesStayLinear) {
    const auto start = std::chrono::steady_clock::now();
    // Thousands of namespace declarations on the root, read for every element.
    std::string doc = "<rss";
    for (int i = 0; i < 20000; ++i)
        doc += " xmlns:p" + std::to_string(i) + "=\"urn:x:" + std::to_string(i) + "\"";
    doc += "><channel>";
    for (int i = 0; i < 20000; ++i)
        doc += "<item><title>t</title><p7:x/><dc:creator>a</dc:creator></item>";
    doc += "</channel></rss>";
    EXPECT_EQ(parse_ok(doc).items.size(), 20000u);
    // One item with a hundred thousand distinct categories and authors.
    std::string many = "<rss><channel><item>";
    for (int i = 0; i < 100000; ++i)
        many += "<category>c" + std::to_string(i) + "</category><dc:creator>a" + std::to_string(i) +
                "</dc:creator>";
    many += "</item></channel></rss>";
    const Item it = only_item(many);
    EXPECT_EQ(it.categories.size(), 200u);
    // A declared entity and a long run of "&" without ";".
    const std::string amps = "<!DOCTYPE rss [<!ENTITY e \"x\">]><rss><channel><item><title>" +
                             std::string(2000000, '&') + "</title></item></channel></rss>";
    EXPECT_EQ(only_item(amps).title.size(), 2000000u);
    EXPECT_FAST(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Hostile, GarbageNeverCrashes) {
    const Strings inputs{
        std::string("\0\0\0\0", 4),
        std::string("<rss>\0</rss>", 12),
        "\xff\xfe",
        "\xfe\xff\x00<",
        "\xef\xbb\xbf",
        "<",
        "<?xml",
        "<rss",
        "<rss><channel><item><link>http://[::1</link></item></channel></rss>",
        "<rss><channel><item><pubDate>" + std::string(100000, '9') +
            "</pubDate></item></channel></rss>",
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content type=\"html\">&lt;" +
            std::string(100000, 'a') + "</content></entry></feed>",
        "<rss><channel><item><description>&lt;script&gt;never "
        "closed</description></item></channel></rss>",
        "<rss><channel><item><description>&#xFFFFFFFFFF; "
        "&#99999999999;</description></item></channel></rss>",
    };
    for (const auto& in : inputs) {
        auto r = parse::parse(in, {});
        if (!r) continue;
        for (const auto& it : r->items) EXPECT_FALSE(it.id.empty());
    }
    EXPECT_EQ(only_item(inputs[11]).summary, "");
}

TEST(Hostile, AManyItemFeedParsesQuickly) {
    std::string doc = "<rss version=\"2.0\"><channel><title>big</title>";
    for (int i = 0; i < 20000; ++i)
        doc += "<item><title>Item " + std::to_string(i) + "</title><link>https://example.org/" +
               std::to_string(i) +
               "</link><description>&lt;p&gt;Some &lt;b&gt;text&lt;/b&gt; &amp;amp; more&lt;/p&gt;"
               "</description><pubDate>Mon, 16 Mar 2026 08:00:00 GMT</pubDate></item>";
    doc += "</channel></rss>";
    const auto start = std::chrono::steady_clock::now();
    const Feed f = parse_ok(doc);
    EXPECT_EQ(f.items.size(), 20000u);
    EXPECT_EQ(f.items[19999].summary, "Some text & more");
    EXPECT_FAST(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// --- The end-to-end fixtures ---------------------------------------------------

namespace {

// Word matching as search does it: "5G" is a word; "25G" and "5GHz" are not it.
bool mentions_5g(const std::string& text) {
    static const std::regex word("(^|[^A-Za-z0-9])5[Gg]($|[^A-Za-z0-9])");
    return std::regex_search(text, word);
}

}  // namespace

TEST(EndToEndFixtures, Mention5GExactlyWhereTheirCommentsSay) {
    struct Expect {
        std::string file;
        std::string format;
        std::size_t items;
        Strings title, summary_only, content_only;  // id fragments
    };
    const std::vector<Expect> expected{
        {"e2e/itu.xml", "rss2.0", 5, {"?p=41001"}, {"?p=41004"}, {"?p=41002"}},
        {"e2e/3gpp.xml", "rss2.0", 3, {"5g-nr-enhancements-ran111"}, {}, {}},
        {"e2e/ietf.atom", "atom1.0", 3, {"draft-ietf-dmm-5g-uplane-analysis"}, {}, {}},
        {"e2e/w3c.xml", "rss2.0", 3, {"w3c-workshop-web-and-5g-report"}, {}, {}},
        {"e2e/etsi.xml",
         "rss2.0",
         3,
         {"2450-etsi-publishes-5g-security-test-specifications"},
         {},
         {}},
    };
    std::set<std::string> ids;
    for (const auto& e : expected) {
        SCOPED_TRACE(e.file);
        const Feed f = parse_fixture(e.file);
        EXPECT_EQ(f.format, e.format);
        ASSERT_EQ(f.items.size(), e.items);
        auto among = [](const Strings& frags, const std::string& id) {
            for (const auto& frag : frags)
                if (id.find(frag) != std::string::npos) return true;
            return false;
        };
        for (const auto& it : f.items) {
            SCOPED_TRACE(it.id);
            EXPECT_TRUE(ids.insert(it.id).second) << "duplicate id";
            EXPECT_FALSE(it.title.empty());
            EXPECT_FALSE(it.link.empty());
            EXPECT_FALSE(it.published.empty());
            EXPECT_EQ(mentions_5g(it.title), among(e.title, it.id));
            EXPECT_EQ(mentions_5g(it.summary) && !mentions_5g(it.title),
                      among(e.summary_only, it.id));
            EXPECT_EQ(mentions_5g(it.content) && !mentions_5g(it.title) && !mentions_5g(it.summary),
                      among(e.content_only, it.id));
            for (const auto& c : it.categories) EXPECT_FALSE(mentions_5g(c));
        }
    }
}

// --- iCalendar -----------------------------------------------------------------

namespace {

std::string fixture_in(const std::string& dir, const std::string& name) {
    const std::string path = std::string(SPECWATCH_FIXTURES) + "/" + dir + "/" + name;
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << "cannot open " << path;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::chrono::sys_seconds utc(int y, unsigned m, unsigned d) {
    return std::chrono::sys_days{std::chrono::year{y} / m / d};
}

parse::Options at(std::chrono::sys_seconds now) {
    parse::Options o;
    o.now = now;
    return o;
}

std::string ics(const std::string& events) {
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + events +
           "END:VCALENDAR\r\n";
}

}  // namespace

TEST(Icalendar, IetfAgendaWithQuotedTzidsAndAnOldVtimezoneIsInUtc) {
    const Feed f = parse_ok(fixture_in("ics", "ietf-agenda.ics"), at(utc(2025, 7, 1)));
    EXPECT_EQ(f.format, "icalendar");
    ASSERT_EQ(f.items.size(), 3U);
    // VALUE=DATE with a TZID: all day, the TZID ignored.
    const Item& meeting = f.items[0];
    EXPECT_EQ(meeting.id, "ietf-123");
    EXPECT_EQ(meeting.title, "IETF 123");
    EXPECT_EQ(meeting.start, "2025-07-19");
    EXPECT_EQ(meeting.end, "2025-07-25");  // DTEND 20250726 is exclusive
    EXPECT_EQ(meeting.location, "Madrid, ES");
    EXPECT_EQ(meeting.link, "https://datatracker.ietf.org/meeting/123/agenda");
    // TZID="Europe/Madrid" (quoted), CEST in July: 15:00 local is 13:00 UTC.
    const Item& quic = f.items[1];
    EXPECT_EQ(quic.id, "ietf-123-9121-quic");
    EXPECT_EQ(quic.title, "quic - QUIC");
    EXPECT_EQ(quic.start, "2025-07-24T13:00:00Z");
    EXPECT_EQ(quic.end, "2025-07-24T14:30:00Z");
    EXPECT_EQ(quic.location, "Room Retiro");
    EXPECT_EQ(quic.summary,
              "QUIC WG, session 1 Agenda: "
              "https://datatracker.ietf.org/meeting/123/materials/agenda-123-quic");
    // Cancelled sessions are kept, and say so.
    const Item& tls = f.items[2];
    EXPECT_EQ(tls.id, "ietf-123-9188-tls");
    EXPECT_EQ(tls.title, "CANCELLED: tls - Transport Layer Security");
    EXPECT_EQ(tls.categories, Strings{"cancelled"});
    EXPECT_EQ(tls.start, "2025-07-25T07:30:00Z");
    EXPECT_EQ(tls.end, "2025-07-25T09:30:00Z");
}

TEST(Icalendar, IetfUpcomingInUtcWithFoldedDescriptions) {
    const Feed f = parse_ok(fixture_in("ics", "ietf-upcoming.ics"), at(utc(2026, 3, 1)));
    ASSERT_EQ(f.items.size(), 3U);
    EXPECT_EQ(f.items[0].id, "ietf-126");
    EXPECT_EQ(f.items[0].start, "2026-07-18");
    EXPECT_EQ(f.items[0].end, "2026-07-24");  // DTEND 20260725 is exclusive
    EXPECT_EQ(f.items[0].location, "Vienna,AT");
    const Item& http = f.items[1];
    EXPECT_EQ(http.id, "ietf-126-30112-httpbis");
    EXPECT_EQ(http.title, "httpbis - HTTP");
    EXPECT_EQ(http.start, "2026-07-20T07:30:00Z");
    EXPECT_EQ(http.end, "2026-07-20T09:00:00Z");
    // Folded at 75 octets (inside a URL and beside a multi-byte character),
    // "\n" escapes folded to spaces.
    EXPECT_EQ(http.summary,
              "Interim meeting of the HTTP working group. Materials: "
              "https://datatracker.ietf.org/meeting/interim-2026-httpbis-01/materials/ Webex: "
              "None Note taking: Z\u00fcrich team");
    EXPECT_EQ(f.items[2].title, "CANCELLED: quic - QUIC (interim)");
}

TEST(Icalendar, GoogleRecurrencesAreExpandedInTheWindowWithStableIds) {
    // 2026-01-20: the window is 2025-12-21 .. 2026-07-19.
    const Feed f = parse_ok(fixture_in("ics", "iab-google.ics"), at(utc(2026, 1, 20)));
    EXPECT_EQ(f.title, "IAB Open Meetings");
    const std::string uid = "0a1b2c3d4e5f@google.com/";
    // Occurrences in order, then the overriding components in document order.
    ASSERT_GE(f.items.size(), 20U);
    EXPECT_EQ(f.items[0].id, uid + "20260107T160000Z");
    EXPECT_EQ(f.items[0].title, "IAB Business Meeting");
    EXPECT_EQ(f.items[0].start, "2026-01-07T16:00:00Z");  // EST: 11:00 is 16:00 UTC
    EXPECT_EQ(f.items[0].end, "2026-01-07T17:00:00Z");
    EXPECT_EQ(f.items[0].author, "IAB Executive Director");
    EXPECT_EQ(f.items[0].location, "https://ietf.webex.com/meet/iab");
    EXPECT_EQ(f.items[0].published, "2025-12-01T15:00:00Z");
    EXPECT_EQ(f.items[0].updated, "2025-12-15T09:00:00Z");
    EXPECT_EQ(f.items[1].id, uid + "20260114T160000Z");
    EXPECT_EQ(f.items[2].id, uid + "20260121T160000Z");
    EXPECT_EQ(f.items[3].id, uid + "20260204T160000Z");  // 28 Jan is an EXDATE
    EXPECT_EQ(f.items[4].id, uid + "20260225T160000Z");  // 11 and 18 Feb are overridden
    EXPECT_EQ(f.items[5].id, uid + "20260304T160000Z");
    // After the switch to daylight saving time (8 March), 11:00 is 15:00 UTC.
    EXPECT_EQ(f.items[6].id, uid + "20260311T150000Z");
    EXPECT_EQ(f.items[6].start, "2026-03-11T15:00:00Z");
    const std::size_t n = f.items.size();
    EXPECT_EQ(f.items[n - 3].id, uid + "20260715T150000Z");  // the window ends on 19 July
    // 11 Feb moved to 14:00; 18 Feb cancelled, and shown as such.
    EXPECT_EQ(f.items[n - 2].id, uid + "20260211T160000Z");
    EXPECT_EQ(f.items[n - 2].title, "IAB Business Meeting (moved)");
    EXPECT_EQ(f.items[n - 2].start, "2026-02-11T19:00:00Z");
    EXPECT_EQ(f.items[n - 1].id, uid + "20260218T160000Z");
    EXPECT_EQ(f.items[n - 1].title, "CANCELLED: IAB Business Meeting");
    std::vector<std::string> ids;
    for (const Item& it : f.items) ids.push_back(it.id);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
    // A week later the same meetings keep their ids.
    const Feed later = parse_ok(fixture_in("ics", "iab-google.ics"), at(utc(2026, 1, 27)));
    EXPECT_EQ(later.items[1].id, uid + "20260114T160000Z");
    // Long after the window, only the one-off overrides are outside it too.
    EXPECT_EQ(parse_ok(fixture_in("ics", "iab-google.ics"), at(utc(2020, 1, 1))).items.size(), 0U);
}

TEST(Icalendar, EndlessRulesStayBounded) {
    const std::string doc =
        ics("BEGIN:VEVENT\r\nUID:s\r\nSUMMARY:every second\r\nDTSTART:19700101T000000Z\r\n"
            "RRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n");
    const auto t0 = std::chrono::steady_clock::now();
    const Feed f = parse_ok(doc, at(utc(2026, 1, 1)));
    EXPECT_FAST(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    EXPECT_LE(f.items.size(), 1000U);
}

TEST(Icalendar, LfOnlyUnfoldedAndEscapedText) {
    const Item it = only_item(
        "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:x\nSUMMARY:a\\, b\\; c\n"
        "DESCRIPTION:line one\\nline\n  two\nDTSTART:20270101T090000\nEND:VEVENT\nEND:VCALENDAR\n",
        at(utc(2027, 1, 1)));
    EXPECT_EQ(it.title, "a, b; c");
    EXPECT_EQ(it.summary, "line one line two");
    EXPECT_EQ(it.start, "2027-01-01T09:00:00Z");  // floating: taken as UTC
}

TEST(Icalendar, HostileCalendarsGiveErrorsNotCrashes) {
    std::string deep = "BEGIN:VCALENDAR\r\n";
    for (int i = 0; i < 100000; ++i) deep += "BEGIN:VEVENT\r\n";
    EXPECT_EQ(parse_error(deep), "iCalendar error: components nest more than 16 deep");
    // Cut off in the middle of an event: what came before is kept.
    const std::string whole = fixture_in("ics", "ietf-agenda.ics");
    const std::string cut = whole.substr(0, whole.find("UID:ietf-123-9188-tls"));
    const Feed f = parse_ok(cut, at(utc(2025, 7, 1)));
    ASSERT_GE(f.items.size(), 2U);
    EXPECT_EQ(f.items[1].id, "ietf-123-9121-quic");
    EXPECT_EQ(parse_ok(ics(""), at(utc(2025, 7, 1))).items.size(), 0U);
}

// --- HTML pages ------------------------------------------------------------------

namespace {

config::Source html_source(const std::string& name) {
    config::Source s;
    s.name = name;
    s.format = "html";
    if (name == "3gpp") {
        s.url = "https://www.3gpp.org/dynareport?code=Meetings-R1.htm";
        s.html.item = "//tr[td]";
        s.html.title = "td[2]";
        s.html.link = "td[1]//a/@href";
        s.html.location = "td[3]";
        s.html.start = "td[4]";
        s.html.end = "td[5]";
        s.html.summary = "td[6]/text()[1]";
    } else {
        s.url = "https://www.itu.int/en/events/Pages/Calendar-Events.aspx";
        s.html.item = "//tr[td[1]//a[contains(@href, 'Event-Details.aspx')]]";
        s.html.title = "td[7]";
        s.html.link = "td[1]//a/@href";
        s.html.start = "td[3]";
        s.html.end = "td[4]";
        s.html.location = "td[8]";
        s.html.summary = "concat(td[5], ' ', td[6], ': ', td[9])";
    }
    return s;
}

Feed parse_page(const std::string& file, const config::Source& source) {
    parse::Options o;
    o.source = &source;
    o.base_url = source.url;
    return parse_ok(fixture_in("html", file), o);
}

}  // namespace

TEST(HtmlPages, ThreeGppMeetingsTableWithItsQuirks) {
    const config::Source src = html_source("3gpp");
    const Feed f = parse_page("3gpp-meetings-r1.html", src);
    EXPECT_EQ(f.format, "html");
    EXPECT_EQ(f.title, "3GPP Meetings - R1");
    ASSERT_EQ(f.items.size(), 4U);  // the header row has no td; the script is no row
    const Item& a = f.items[0];
    EXPECT_EQ(a.title, "3GPPRAN1#123");
    EXPECT_EQ(a.link, "https://portal.3gpp.org/Home.aspx#/meeting?MtgId=60950");
    EXPECT_EQ(a.id, a.link);
    EXPECT_EQ(a.location, "Dallas");
    EXPECT_EQ(a.start, "2025-11-17");  // written with U+2011 non-breaking hyphens
    EXPECT_EQ(a.end, "2025-11-21");
    EXPECT_EQ(a.summary, "R1-2508300 - R1-2509718");
    // Unclosed cells.
    EXPECT_EQ(f.items[1].title, "3GPPRAN1#124");
    EXPECT_EQ(f.items[1].location, "Gothenburg");
    EXPECT_EQ(f.items[1].start, "2026-02-09");
    EXPECT_EQ(f.items[1].end, "2026-02-13");
    EXPECT_EQ(f.items[1].summary, "");  // "-" is an empty cell
    // Plain-text town and dates, a non-breaking hyphen in the title.
    EXPECT_EQ(f.items[2].title, "3GPPRAN1#124-bis");
    EXPECT_EQ(f.items[2].location, "Malta");
    EXPECT_EQ(f.items[2].start, "2026-04-13");
    // Missing cells.
    EXPECT_EQ(f.items[3].title, "3GPPRAN1#125");
    EXPECT_EQ(f.items[3].location, "");
    EXPECT_EQ(f.items[3].start, "");
}

TEST(HtmlPages, ItuEventsTableInWindows1252) {
    const config::Source src = html_source("itu");
    const Feed f = parse_page("itu-events.html", src);
    ASSERT_EQ(f.items.size(), 3U);
    const Item& sg17 = f.items[0];
    EXPECT_EQ(sg17.title, "ITU-T Study Group 17 (Security) meeting");
    EXPECT_EQ(sg17.link, "https://www.itu.int/en/events/Pages/Event-Details.aspx?eventid=4127");
    EXPECT_EQ(sg17.id, sg17.link);
    EXPECT_EQ(sg17.start, "2027-03-12");
    EXPECT_EQ(sg17.end, "2027-03-16");
    EXPECT_EQ(sg17.location, "Gen\u00e8ve, Switzerland");  // <meta charset="windows-1252">
    EXPECT_EQ(sg17.summary, "ITU-T SG17: Confirmed");
    // "12-16 April 2027" in the start cell, the end cell empty.
    EXPECT_EQ(f.items[1].start, "2027-04-12");
    EXPECT_EQ(f.items[1].end, "2027-04-16");
    EXPECT_EQ(f.items[1].title, "Working Party 5D - IMT Systems (IMT-2030)");
    EXPECT_EQ(f.items[1].location, "Geneva, Switzerland");
    EXPECT_EQ(f.items[2].start, "2027-06-28");
    EXPECT_EQ(f.items[2].end, "2027-07-02");
    EXPECT_EQ(f.items[2].summary, "ITU-D SG1: Cancelled");
}

TEST(HtmlPages, AutoReadsAPageOnlyWithRules) {
    const config::Source src = html_source("itu");
    parse::Options o;
    o.source = &src;
    EXPECT_EQ(parse_ok(fixture_in("html", "itu-events.html"), o).items.size(), 3U);
    EXPECT_EQ(parse_error(fixture_in("html", "itu-events.html")),
              "not a feed: root element is <html> (a web page, not RSS or Atom)");
}

TEST(HtmlPages, BadRulesSayWhich) {
    config::Source src = html_source("itu");
    src.html.title = "td[";
    parse::Options o;
    o.source = &src;
    o.format = "html";
    const std::string e = parse_error("<html><body></body></html>", o);
    EXPECT_TRUE(e.starts_with("[source.html] title = \"td[\" is not XPath 1.0: ")) << e;
    src.html.title = "td[1]";
    src.html.item = "count(//tr)";
    EXPECT_EQ(parse_error("<html></html>", o),
              "[source.html] item = \"count(//tr)\" does not select nodes");
}

TEST(HtmlPages, CategoriesAreOnePerNodeAndRelatedLinksGoToContent) {
    config::Source src = html_source("3gpp");
    src.html.categories = "td[2] | td[3] | td[11]";  // "-" cells are no category
    src.html.agenda = "td[4]//a/@href";
    src.html.documents = "td[6]//a/@href";
    src.html.invitation = "td[3]//a/@href";
    const Feed f = parse_page("3gpp-meetings-r1.html", src);
    ASSERT_EQ(f.items.size(), 4U);
    EXPECT_EQ(f.items[0].categories, (std::vector<std::string>{"3GPPRAN1#123", "Dallas"}));
    EXPECT_EQ(f.items[0].content,
              "Agenda: https://www.3gpp.org/ftp/tsg_ran/WG1_RL1/TSGR1_123/Agenda/\n"
              "Documents: https://portal.3gpp.org/ngppapp/TdocList.aspx?meetingId=60950\n"
              "Invitation: https://www.3gpp.org/ftp/tsg_ran/WG1_RL1/TSGR1_123/Invitation/");
    // No links in the row: no lines.
    EXPECT_EQ(f.items[2].content, "");
    // A string expression is one category; a bad expression names its key.
    src.html.categories = "concat('ITU-', 'T')";
    EXPECT_EQ(parse_page("3gpp-meetings-r1.html", src).items[0].categories,
              std::vector<std::string>{"ITU-T"});
    src.html.documents = "td[";
    parse::Options o;
    o.source = &src;
    o.format = "html";
    const std::string e = parse_error("<html></html>", o);
    EXPECT_TRUE(e.starts_with("[source.html] documents = \"td[\" is not XPath 1.0: ")) << e;
}

TEST(HtmlPages, DayRangesInTheFormsPagesWrite) {
    auto range = [](std::string_view s) {
        auto r = parse::parse_day_range(s);
        return r ? r->start + "/" + r->end : std::string("none");
    };
    EXPECT_EQ(range("2027-03-12"), "2027-03-12/");
    EXPECT_EQ(range("2025\u201111\u201117"), "2025-11-17/");
    EXPECT_EQ(range("12 March 2027"), "2027-03-12/");
    EXPECT_EQ(range("12-16 March 2027"), "2027-03-12/2027-03-16");
    EXPECT_EQ(range("12 \u2013 16 Mar. 2027"), "2027-03-12/2027-03-16");
    EXPECT_EQ(range("28 February - 3 March 2027"), "2027-02-28/2027-03-03");
    EXPECT_EQ(range("28 Dec 2026 - 3 Jan 2027"), "2026-12-28/2027-01-03");
    EXPECT_EQ(range("March 12-16, 2027"), "2027-03-12/2027-03-16");
    EXPECT_EQ(range("Monday, 12th March 2027"), "2027-03-12/");
    EXPECT_EQ(range("2027-03-12 - 2027-03-16"), "2027-03-12/2027-03-16");
    EXPECT_EQ(range("12 March"), "none");  // no year: never a guess
    EXPECT_EQ(range("31 February 2027"), "none");
    EXPECT_EQ(range("TBD"), "none");
    EXPECT_EQ(range("-"), "none");
}

TEST(HtmlPages, BackslashedLinksAreRepaired) {
    const std::string base = "https://www.3gpp.org/dynareport?code=Meetings-R1.htm";
    EXPECT_EQ(parse::page_link(base, "/../../../\\ftp\\tsg_ran\\WG1_RL1\\TSGR1_123\\Docs/"),
              "https://www.3gpp.org/ftp/tsg_ran/WG1_RL1/TSGR1_123/Docs/");
    EXPECT_EQ(parse::page_link(base, "/../../../\\ftp\\tsg_ran\\WG1_RL1\\TSGR1_123\\\\docs\\"),
              "https://www.3gpp.org/ftp/tsg_ran/WG1_RL1/TSGR1_123/docs/");
    EXPECT_EQ(parse::page_link(base, "//portal.3gpp.org/x"), "https://portal.3gpp.org/x");
    EXPECT_EQ(parse::page_link(base, "https://a.example//b?u=http://c"),
              "https://a.example/b?u=http://c");
}

TEST(HtmlPages, HostilePagesAreRefusedOrReadQuickly) {
    const config::Source src = html_source("3gpp");
    parse::Options o;
    o.source = &src;
    o.format = "html";
    std::string deep = "<html><body>";
    for (int i = 0; i < 100000; ++i) deep += "<div><b>";
    EXPECT_EQ(parse_error(deep, o),
              "HTML error: elements nest 200002 deep (more than 512); the page is not read");
    // Many unclosed cells are not deep.
    std::string wide = "<html><body><table>";
    for (int i = 0; i < 20000; ++i) wide += "<tr><td>x<td>Meeting " + std::to_string(i);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(parse_ok(wide, o).items.size(), 20000U);
    EXPECT_FAST(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
    // Truncated in the middle of a row: the rows before are read.
    const std::string page = fixture_in("html", "3gpp-meetings-r1.html");
    const Feed cut = parse_ok(page.substr(0, page.find("3GPPRAN1#124&#8209;bis")), o);
    EXPECT_EQ(cut.items.size(), 2U);
}

// --- JSON ------------------------------------------------------------------------

TEST(Json, JsonFeedItems) {
    parse::Options o;
    o.base_url = "https://www.w3.org/blog/feed.json";
    const Feed f = parse_ok(fixture_in("json", "jsonfeed-1.1.json"), o);
    EXPECT_EQ(f.format, "json");
    EXPECT_EQ(f.title, "W3C Blog");
    EXPECT_EQ(f.link, "https://www.w3.org/blog/");
    EXPECT_EQ(f.next, "https://www.w3.org/blog/feed.json?page=2");
    ASSERT_EQ(f.items.size(), 2U);
    const Item& a = f.items[0];
    EXPECT_EQ(a.id, "https://www.w3.org/blog/2027/webrtc-rec/");
    EXPECT_EQ(a.link, "https://www.w3.org/blog/2027/webrtc-rec/");
    EXPECT_EQ(a.title, "WebRTC & 5G: a W3C Recommendation");
    EXPECT_EQ(a.content, "WebRTC is now a Recommendation.");
    EXPECT_EQ(a.summary, "The WebRTC spec reached REC.");
    EXPECT_EQ(a.published, "2027-01-26T09:00:00Z");
    EXPECT_EQ(a.updated, "2027-01-27T08:30:00Z");
    EXPECT_EQ(a.categories, (Strings{"webrtc", "recommendation"}));
    EXPECT_EQ(a.author, "Dominique Haza\u00ebl-Massieux");
    const Item& b = f.items[1];
    EXPECT_EQ(b.id, "2");
    EXPECT_EQ(b.link, "https://www.w3.org/blog/2027/tpac/");
    EXPECT_EQ(b.content, "TPAC 2027 registration is open.");
    EXPECT_EQ(b.author, "W3C Communications");  // the feed's authors
}

TEST(Json, TastypieMappingWithPaging) {
    config::Source src;
    src.name = "ietf-meetings";
    src.format = "json";
    src.url = "https://datatracker.ietf.org/api/v1/meeting/meeting/?type=ietf&format=json";
    src.json.items = "objects";
    src.json.next = "meta.next";
    src.json.fields = {{"title", "number"},
                       {"start", "date"},
                       {"location", "city"},
                       {"summary", "venue_name"},
                       {"updated", "updated"}};
    parse::Options o;
    o.source = &src;
    o.base_url = src.url;
    const Feed f = parse_ok(fixture_in("json", "ietf-meetings-tastypie.json"), o);
    EXPECT_EQ(f.next,
              "https://datatracker.ietf.org/api/v1/meeting/meeting/"
              "?format=json&limit=3&offset=3&type=ietf");
    ASSERT_EQ(f.items.size(), 3U);
    EXPECT_EQ(f.items[0].id, "https://datatracker.ietf.org/api/v1/meeting/meeting/126/");
    EXPECT_EQ(f.items[0].title, "126");
    EXPECT_EQ(f.items[0].start, "2026-07-18");
    EXPECT_EQ(f.items[0].location, "Vienna");
    EXPECT_EQ(f.items[0].summary, "Austria Center Vienna");
    EXPECT_EQ(f.items[0].updated, "2026-03-01T18:15:00Z");
    EXPECT_EQ(f.items[0].link, "");
    EXPECT_EQ(f.items[2].title, "124");  // a number, not a string, in the API
    EXPECT_EQ(f.items[2].location, "Montr\u00e9al");
    // The last page: "next": null.
    const Feed last = parse_ok(R"({"meta": {"next": null}, "objects": []})", o);
    EXPECT_EQ(last.next, "");
    src.json.items = "meta.objects";
    EXPECT_EQ(parse_error(R"({"meta": {}})", o),
              "[source.json] items = \"meta.objects\": no such path in the document");
}

TEST(Json, HostileJsonIsRefused) {
    EXPECT_EQ(parse_error(std::string(100000, '[')),
              "JSON error: arrays and objects nest more than 256 deep");
    const std::string e =
        parse_error(R"({"version": "https://jsonfeed.org/version/1.1", "items": [)");
    EXPECT_TRUE(e.starts_with("JSON error: parse error at line 1, column 59")) << e;
}

// --- Older and odder XML formats --------------------------------------------------

TEST(Formats, CdfChannelsAreRead) {
    const Feed f = parse_ok(
        "<CHANNEL BASE=\"http://base.example.org/\" HREF=\"http://www.example.org/\" "
        "LASTMOD=\"2004-04-06T23:05:43-05:00\"><TITLE>Example feed</TITLE>"
        "<ABSTRACT>about</ABSTRACT><ITEM HREF=\"/item/1\" LASTMOD=\"2004-04-06T23:05:43-05:00\">"
        "<TITLE>Example item</TITLE><ABSTRACT>Example &amp; description</ABSTRACT></ITEM>"
        "<CHANNEL HREF=\"/sub/\"><ITEM HREF=\"2\"><TITLE>nested</TITLE></ITEM></CHANNEL>"
        "</CHANNEL>");
    EXPECT_EQ(f.format, "cdf");
    EXPECT_EQ(f.title, "Example feed");
    EXPECT_EQ(f.link, "http://www.example.org/");
    EXPECT_EQ(f.updated, "2004-04-07T04:05:43Z");
    ASSERT_EQ(f.items.size(), 2U);
    EXPECT_EQ(f.items[0].title, "Example item");
    EXPECT_EQ(f.items[0].link, "http://base.example.org/item/1");
    EXPECT_EQ(f.items[0].id, "https://base.example.org/item/1");
    EXPECT_EQ(f.items[0].summary, "Example & description");
    EXPECT_EQ(f.items[0].updated, "2004-04-07T04:05:43Z");
    EXPECT_EQ(f.items[1].link, "http://base.example.org/2");
}

TEST(Items, AnRssItemWithDescriptionAndSummaryKeepsBoth) {
    const Item a = only_item(rss_item("<description>d</description><summary>s</summary>"));
    EXPECT_EQ(a.summary, "d");
    EXPECT_EQ(a.content, "s");
    const Item b = only_item(rss_item("<summary>s</summary><description>d</description>"));
    EXPECT_EQ(b.summary, "s");
    EXPECT_EQ(b.content, "d");
    const Item c = only_item(rss_item(
        "<description>d</description><summary>s</summary><content:encoded>full</content:encoded>",
        " xmlns:content=\"http://purl.org/rss/1.0/modules/content/\""));
    EXPECT_EQ(c.content, "full");
}

TEST(Items, ItemsInAnAtomFeedAreEntries) {
    const Feed f = parse_ok(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><item><title>t</title></item></feed>");
    ASSERT_EQ(f.items.size(), 1U);
    EXPECT_EQ(f.items[0].title, "t");
}

// --- Hostile fixtures: an error or the items before the damage, never a crash ------

#include <sys/resource.h>

namespace {

long max_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

}  // namespace

TEST(Hostile, FixturesGiveErrorsOrItems) {
    const Feed laughs = parse_fixture("hostile/billion-laughs.rss");
    ASSERT_EQ(laughs.items.size(), 1U);
    EXPECT_LT(laughs.items[0].title.size(), 200U);  // one level expanded, no more

    const Feed bad = parse_fixture("hostile/invalid-utf8.rss");
    ASSERT_EQ(bad.items.size(), 2U);
    EXPECT_EQ(bad.items[0].title,
              "Caf\uFFFD in Latin-1 \uFFFD( overlong \uFFFD\uFFFD surrogate \uFFFD\uFFFD\uFFFD");
    EXPECT_EQ(bad.items[1].title, "Fine \u2014 item");

    EXPECT_EQ(parse_error(fixture("hostile/html-error-page.rss")),
              "not a feed: root element is <html> (a web page, not RSS or Atom)");
    // A cut-off feed is an error, not a shorter feed: the daemon then keeps
    // no validators for it and fetches it whole again next time.
    EXPECT_EQ(parse_error(fixture("hostile/truncated-atom.xml")),
              "XML error at line 6, column 33: the document ends before its elements are closed "
              "(truncated?)");
}

TEST(Hostile, EveryParserSurvivesEveryHostileInput) {
    std::string deep_xml;
    for (int i = 0; i < 100000; ++i) deep_xml += "<a>";
    std::string deep_json(100000, '[');
    std::string deep_html = "<!DOCTYPE html><html><body>";
    for (int i = 0; i < 100000; ++i) deep_html += "<span><i>";
    const Strings inputs{fixture("hostile/billion-laughs.rss"),
                         fixture("hostile/invalid-utf8.rss"),
                         fixture("hostile/html-error-page.rss"),
                         fixture("hostile/truncated-atom.xml"),
                         fixture("truncated.xml"),
                         fixture_in("ics", "ietf-agenda.ics").substr(0, 900),
                         fixture_in("json", "jsonfeed-1.1.json").substr(0, 300),
                         fixture_in("html", "3gpp-meetings-r1.html").substr(0, 1500),
                         "<rss>" + deep_xml,
                         deep_json,
                         deep_html,
                         "BEGIN:VCALENDAR\r\n" + std::string(100000, '\\'),
                         std::string("\xff\xfe\x00\x00", 4)};
    config::Source src;
    src.html.item = "//tr[td]";
    src.html.title = "td[1]";
    src.json.items = "items";
    for (const std::string format : {"auto", "rss", "atom", "ics", "html", "json"}) {
        for (const auto& in : inputs) {
            parse::Options o;
            o.format = format;
            o.source = &src;
            o.now = utc(2026, 1, 1);
            auto r = parse::parse(in, o);
            if (!r) {
                EXPECT_FALSE(r.error().message.empty());
                continue;
            }
            for (const auto& it : r->items) EXPECT_FALSE(it.id.empty());
        }
    }
}

TEST(Hostile, AFiftyMegabyteTextNodeStaysLinear) {
    const std::string big(50u << 20, 'x');
    const auto before = max_rss_kib();
    const auto t0 = std::chrono::steady_clock::now();
    {
        const Item it = only_item(rss_item("<description>" + big + "</description>"));
        EXPECT_EQ(it.summary.size(), big.size());
    }
    {
        parse::Options o;
        o.now = utc(2026, 1, 1);
        const Item it = only_item(
            ics("BEGIN:VEVENT\r\nUID:u\r\nDTSTART:20260101T000000Z\r\nDESCRIPTION:" + big +
                "\r\nEND:VEVENT\r\n"),
            o);
        EXPECT_EQ(it.summary.size(), big.size());
    }
    EXPECT_FAST(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
    // A few copies of the text at a time, not one per byte (ASan's shadow
    // memory and quarantine make the figure meaningless there).
#if !defined(__SANITIZE_ADDRESS__)
    EXPECT_LT(max_rss_kib() - before, 20L * 50 * 1024);
#else
    static_cast<void>(before);
#endif
}

// --- More publishers' feeds ------------------------------------------------------------

TEST(Feeds, RfcEditorAtomReadsEveryField) {
    const Feed f = parse_fixture("rfc-editor.atom");
    EXPECT_EQ(f.format, "atom1.0");
    EXPECT_EQ(f.title, "Recent RFCs");
    EXPECT_EQ(f.link, "https://www.rfc-editor.org/");
    EXPECT_EQ(f.updated, "2025-06-10T00:00:00Z");
    ASSERT_EQ(f.items.size(), 2U);
    const Item& a = f.items[0];
    EXPECT_EQ(a.id, "https://www.rfc-editor.org/info/rfc9794");
    EXPECT_EQ(a.link, "https://www.rfc-editor.org/info/rfc9794/");
    EXPECT_EQ(a.title, "RFC 9794: Terminology for Post-Quantum Traditional Hybrid Schemes");
    EXPECT_EQ(a.author, "F. Driscoll, M. Parsons");  // names, not e-mail addresses
    EXPECT_EQ(a.summary,
              "One aspect of the transition to post-quantum algorithms in cryptographic "
              "protocols is the development of hybrid schemes.");
    EXPECT_EQ(a.updated, "2025-06-10T00:00:00Z");
    EXPECT_EQ(f.items[1].link, "https://www.rfc-editor.org/info/rfc9750");
    EXPECT_EQ(f.items[1].title, "RFC 9750: The Messaging Layer Security (MLS) Architecture");
}

TEST(Feeds, DatatrackerRfcRssWithDctermsAndMedia) {
    const Feed f = parse_fixture("datatracker-rfc.rss");
    EXPECT_EQ(f.format, "rss2.0");
    EXPECT_EQ(f.title, "RFCs from the IETF Datatracker");
    EXPECT_EQ(f.updated, "2025-06-10T21:05:10Z");
    ASSERT_EQ(f.items.size(), 2U);
    const Item& a = f.items[0];
    EXPECT_EQ(a.id, "https://datatracker.ietf.org/doc/html/rfc9794");
    EXPECT_EQ(a.link, "https://datatracker.ietf.org/doc/html/rfc9794");
    EXPECT_EQ(a.title, "rfc9794 : Terminology for Post-Quantum Traditional Hybrid Schemes");
    EXPECT_EQ(a.published, "2025-06-10T00:00:00Z");  // pubDate; dcterms:issued is a month
    EXPECT_EQ(a.categories, (Strings{"post-quantum", "hybrid", "terminology"}));
    EXPECT_EQ(f.items[1].published, "2025-06-09T00:00:00Z");
}

TEST(Feeds, EtsiJoomlaRssWithAnIndianOffset) {
    const Feed f = parse_fixture("etsi-news.rss");
    EXPECT_EQ(f.title, "ETSI - Newsroom");
    EXPECT_EQ(f.updated, "2026-03-12T05:00:00Z");
    ASSERT_EQ(f.items.size(), 2U);
    const Item& a = f.items[0];
    EXPECT_EQ(a.title, "ETSI releases first Quantum-Safe Cryptography standard for 5G & 6G");
    EXPECT_EQ(a.published, "2026-03-12T05:00:00Z");  // 10:30 +0530
    EXPECT_EQ(a.author, "ETSI Press Office");        // "email (Name)"
    EXPECT_EQ(a.categories, Strings{"Press Releases"});
    EXPECT_EQ(a.summary,
              "Sophia Antipolis, 12 March 2026 \u2013 ETSI\u2019s Quantum-Safe Cryptography group "
              "has released its first standard.");
    EXPECT_EQ(f.items[1].published, "2026-03-11T03:30:00Z");
    EXPECT_EQ(f.items[1].link,
              "https://www.etsi.org/newsroom/news/2602-security-conference"
              "?utm_source=rss&utm_medium=feed");
}

TEST(Icalendar, AZoneOnlyTheDocumentDefinesIsReadWithSecondPrecision) {
    const std::string doc =
        "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VTIMEZONE\nTZID:Old Vzic/Madrid\nBEGIN:STANDARD\n"
        "TZOFFSETFROM:+013408\nTZOFFSETTO:+013408\nTZNAME:LMT\nDTSTART:19700101T000000\n"
        "END:STANDARD\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:z\nSUMMARY:s\n"
        "DTSTART;TZID=\"Old Vzic/Madrid\":20250110T120000\n"
        "DTEND;TZID=Nowhere/Unknown:20250110T130000\nEND:VEVENT\nEND:VCALENDAR\n";
    const Item it = only_item(doc, at(utc(2025, 1, 1)));
    EXPECT_EQ(it.start, "2025-01-10T10:25:52Z");  // 12:00 at +01:34:08
    EXPECT_EQ(it.end, "2025-01-10T13:00:00Z");    // a zone nobody defines: as UTC
}

TEST(JsonMapping, aDatatrackerDocJsonIsOneItemWithItsAuthorsAffiliations) {
    config::Source s;
    s.format = "json";
    s.json.items = ".";
    s.json.fields = {{"id", "name"},
                     {"title", "title"},
                     {"updated", "time"},
                     {"author", "authors.*.name"},
                     {"organizations", "authors.*.affiliation"},
                     {"categories", "group.acronym"}};
    parse::Options o;
    o.source = &s;
    o.base_url = "https://datatracker.ietf.org/doc/draft-ietf-quic-multipath/doc.json";
    const Item it = only_item(fixture_in("json", "datatracker_doc.json"), o);
    EXPECT_EQ(it.id, "draft-ietf-quic-multipath");
    EXPECT_EQ(it.updated, "2026-03-03T09:12:44Z");  // "YYYY-MM-DD HH:MM:SS", UTC
    EXPECT_EQ(it.author,
              "Yanmei Liu, Yunfei Ma, Quentin De Coninck, Christian Huitema, Mirja Kuehlewind, "
              "Olivier Bonaventure");
    // Normalized: legal forms dropped; the empty affiliation dropped.
    EXPECT_EQ(it.organizations, (Strings{"Alibaba", "Uber Technologies", "UCLouvain",
                                         "Private Octopus", "Ericsson"}));
    EXPECT_EQ(it.categories, Strings{"quic"});
}

TEST(JsonMapping, starStepsOverMissingOrScalarValuesFindNothing) {
    config::Source s;
    s.format = "json";
    s.json.items = "objects";
    s.json.fields = {{"title", "name"}, {"organizations", "authors.*.affiliation"}};
    parse::Options o;
    o.source = &s;
    const Feed f = parse_ok(
        R"({"objects": [{"name": "a", "authors": 5}, {"name": "b"},
                        {"name": "c", "authors": [{"affiliation": ["Nokia", "Huawei Tech"]}]}]})",
        o);
    ASSERT_EQ(f.items.size(), 3U);
    EXPECT_TRUE(f.items[0].organizations.empty());
    EXPECT_TRUE(f.items[1].organizations.empty());
    EXPECT_EQ(f.items[2].organizations, (Strings{"Nokia", "Huawei"}));
}

namespace {

// Every file under a fixture folder.
std::vector<std::string> fixture_files(const std::string& folder) {
    std::vector<std::string> out;
    const std::string dir = std::string(SPECWATCH_FIXTURES) + "/" + folder;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        std::ifstream in(e.path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        out.push_back(ss.str());
    }
    return out;
}

// The XML text of an element's content: CDATA as is, the five XML entities
// and numeric references left for the HTML reader (they mean the same there).
std::string xml_content(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        if (s.substr(i, 9) == "<![CDATA[") {
            const auto end = s.find("]]>", i + 9);
            const std::size_t stop = end == std::string_view::npos ? s.size() : end;
            out.append(s.substr(i + 9, stop - i - 9));
            i = end == std::string_view::npos ? s.size() : end + 3;
            continue;
        }
        bool replaced = false;
        for (const auto& [ref, ch] : {std::pair<std::string_view, char>{"&lt;", '<'},
                                      {"&gt;", '>'},
                                      {"&amp;", '&'},
                                      {"&quot;", '"'},
                                      {"&apos;", '\''}}) {
            if (s.substr(i, ref.size()) == ref) {
                out += ch;
                i += ref.size();
                replaced = true;
                break;
            }
        }
        if (!replaced) out += s[i++];
    }
    return out;
}

// The HTML-bearing fields of every feed fixture, and windows of every feed
// and page fixture starting at a tag.
struct FixtureFragments {
    std::vector<std::string> fragments;
    std::size_t fields = 0;  // the first ones are feed fields
};

FixtureFragments fixture_fragments() {
    FixtureFragments all;
    std::vector<std::string>& out = all.fragments;
    static const std::regex field(
        R"(<(description|content:encoded|summary|content|title|subtitle)\b[^>]*>([\s\S]*?)</\1>)");
    for (const auto& doc : fixture_files("feeds")) {
        for (std::sregex_iterator it(doc.begin(), doc.end(), field), end; it != end; ++it)
            out.push_back(xml_content((*it)[2].str()));
    }
    all.fields = out.size();
    std::mt19937 rng(20260316);
    for (const std::string folder : {"feeds", "html"}) {
        for (const auto& doc : fixture_files(folder)) {
            out.push_back(doc);
            for (int k = 0; k < 200 && !doc.empty(); ++k) {
                const auto at = doc.find('<', rng() % doc.size());
                if (at == std::string::npos) continue;
                out.push_back(doc.substr(at, 1 + rng() % 400));
            }
        }
    }
    return all;
}

// Random fragments from the pieces feeds are made of, odd ones included.
std::string random_fragment(std::mt19937& rng) {
    static const std::vector<std::string> names{
        "p",      "div",        "b",      "i",          "a",       "span",     "ul",
        "ol",     "li",         "dl",     "dt",         "dd",      "h1",       "h2",
        "h3",     "br",         "hr",     "img",        "em",      "strong",   "pre",
        "code",   "blockquote", "figure", "figcaption", "section", "table",    "tr",
        "td",     "th",         "tbody",  "script",     "style",   "textarea", "title",
        "select", "option",     "svg",    "math",       "form",    "button",   "nobr",
        "font",   "u",          "s",      "small",      "sub",     "sup",      "template",
        "object", "iframe",     "xmp",    "noscript",   "body",    "html",     "head",
        "center", "address",    "nav",    "custom-el",  "P",       "DIV",      "Li",
        "wbr",    "q",          "abbr",   "time",       "header",  "footer"};
    static const std::vector<std::string> texts{"word",
                                                " ",
                                                "  ",
                                                "\n",
                                                "\t",
                                                "5G",
                                                "caf\xC3\xA9",
                                                "\xE2\x80\x94",
                                                "\xC2\xA0",
                                                "x y",
                                                "&amp;",
                                                "&lt;",
                                                "&gt;",
                                                "&quot;",
                                                "&apos;",
                                                "&nbsp;",
                                                "&eacute;",
                                                "&egrave;",
                                                "&mdash;",
                                                "&hellip;",
                                                "&copy",
                                                "&copy2026",
                                                "&notin;",
                                                "&notit;",
                                                "&amp",
                                                "&AMP;",
                                                "&#8230;",
                                                "&#x2019;",
                                                "&#X41;",
                                                "&#0;",
                                                "&#128;",
                                                "&#150;",
                                                "&#x110000;",
                                                "&#xD800;",
                                                "&#13;",
                                                "&#27;",
                                                "&#9;",
                                                "&#;",
                                                "&#x;",
                                                "&#12345678901;",
                                                "&bogus;",
                                                "&T",
                                                "R&D",
                                                "& ",
                                                "&",
                                                "<",
                                                "< b",
                                                "a<3",
                                                "</",
                                                "</>",
                                                "</3>",
                                                "<!-- c -->",
                                                "<!-->",
                                                "<!--->",
                                                "<!-- a --!> b -->",
                                                "<!-- x",
                                                "<!DOCTYPE html>",
                                                "<?php x ?>",
                                                "<![CDATA[x]]>",
                                                "\r\n",
                                                "\f",
                                                "\x01",
                                                "\x1B[31m",
                                                "\x7F",
                                                "\xC2\x85",
                                                "\xFF",
                                                "\xE2\x80",
                                                "\xF0\x9F\x98\x80",
                                                "\xE3\x80\x80",
                                                "\0"};
    std::string out;
    const int pieces = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < pieces; ++k) {
        const unsigned r = rng() % 10;
        if (r < 4) {
            out += texts[rng() % texts.size()];
            continue;
        }
        const std::string& name = names[rng() % names.size()];
        if (r < 6) {
            out += "</" + name + ">";
            continue;
        }
        out += "<" + name;
        if (rng() % 3 == 0) out += " class=\"x\"";
        if (rng() % 6 == 0) out += " title='a > b'";
        if (rng() % 8 == 0) out += " href=a&amp;b";
        if (rng() % 8 == 0) out += "/";
        if (rng() % 40 != 0) out += ">";
        if (rng() % 4 == 0) out += texts[rng() % texts.size()];
    }
    return out;
}

}  // namespace

TEST(Text, DirectReaderGivesGumbosTextOnEveryFixtureFragment) {
    std::size_t direct = 0, fields = 0, fields_direct = 0;
    const FixtureFragments all = fixture_fragments();
    for (std::size_t k = 0; k < all.fragments.size(); ++k) {
        const std::string& f = all.fragments[k];
        std::string text;
        const bool field = k < all.fields;
        fields += field;
        if (!parse::html_to_text_direct(f, text)) {
            if (field && std::getenv("SPECWATCH_SHOW_GUMBO")) std::cout << "GUMBO: " << f << "\n";
            continue;
        }
        ++direct;
        fields_direct += field;
        ASSERT_EQ(text, parse::html_to_text_gumbo(f)) << f;
    }
    std::cout << direct << " of " << all.fragments.size() << " fixture fragments read directly, "
              << fields_direct << " of " << fields << " feed fields\n";
    EXPECT_GT(fields_direct, fields / 2);
}

TEST(Text, ReferencesBeyondUnicodeAreLeftToGumbo) {
    // Found by fuzz_html_text: gumbo's text for a reference beyond U+10FFFF
    // (its own overflow) is not the U+FFFD the reader gave.
    for (const std::string f : {"&#xDFFFFF7F;", "a &#x110000; b", "&#1114112;", "&#99999999;"}) {
        std::string text;
        EXPECT_FALSE(parse::html_to_text_direct(f, text)) << f;
    }
    std::string text;
    ASSERT_TRUE(parse::html_to_text_direct("&#x10FFFF;&#65;", text));
    EXPECT_EQ(text, parse::html_to_text_gumbo("&#x10FFFF;&#65;"));
}

TEST(Text, DirectReaderGivesGumbosTextOnRandomFragments) {
    std::mt19937 rng(10);
    std::size_t direct = 0;
    constexpr std::size_t kFragments = 200000;
    for (std::size_t k = 0; k < kFragments; ++k) {
        const std::string f = random_fragment(rng);
        std::string text;
        if (!parse::html_to_text_direct(f, text)) continue;
        ++direct;
        ASSERT_EQ(text, parse::html_to_text_gumbo(f)) << "fragment " << k << ": " << f;
    }
    std::cout << direct << " of " << kFragments << " random fragments read directly\n";
    EXPECT_GT(direct, kFragments / 20);
}

TEST(Text, ListsAndTablesSeparateWords) {
    EXPECT_EQ(parse::html_to_text("word<ul><li>x</ul>"), "word x");
    EXPECT_EQ(parse::html_to_text("word<ol><li>x</ol>after"), "word x after");
    EXPECT_EQ(parse::html_to_text("word<dl><dt>t<dd>d</dl>after"), "word t d after");
    EXPECT_EQ(parse::html_to_text("word<table><tr><td>x</table>after"), "word x after");
    EXPECT_EQ(parse::html_to_text("a<section>b</section>c<nav>d</nav>e"), "a b c d e");
    EXPECT_EQ(parse::html_to_text_linear("word<ul><li>x</ul>"), "word x");
    EXPECT_TRUE(parse::is_block_element("ul"));
}

TEST(Text, CleanTextLeavesCleanTextAlone) {
    EXPECT_EQ(parse::clean_text("already clean text"), "already clean text");
    EXPECT_EQ(parse::clean_text(" leading"), "leading");
    EXPECT_EQ(parse::clean_text("two  spaces"), "two spaces");
    EXPECT_EQ(parse::clean_text("tab\there"), "tab here");
    EXPECT_EQ(parse::clean_text("x"), "x");
    EXPECT_EQ(parse::clean_text(""), "");
    EXPECT_EQ(parse::clean_text(" "), "");
}

TEST(Text, CleanTextInOnePassEqualsTheReference) {
    static const std::vector<std::string> pieces{"a",
                                                 "word",
                                                 " ",
                                                 "  ",
                                                 "\t",
                                                 "\n",
                                                 "\r\n",
                                                 "\f",
                                                 "\v",
                                                 "\x01",
                                                 "\x7F",
                                                 "\x1B[31m",
                                                 "\x1B",
                                                 "\xC2\xA0",
                                                 "\xC2\x85",
                                                 "\xC2\x9B",
                                                 "\xC2\x9D"
                                                 "0;x\x07",
                                                 "\xE1\x9A\x80",
                                                 "\xE2\x80\x83",
                                                 "\xE2\x80\xA8",
                                                 "\xE2\x80\xAF",
                                                 "\xE2\x81\x9F",
                                                 "\xE3\x80\x80",
                                                 "\xE2\x80\x94",
                                                 "caf\xC3\xA9",
                                                 "\xF0\x9F\x98\x80",
                                                 "\xFF",
                                                 "\xE2\x80",
                                                 "\xC0\xAF",
                                                 "\xED\xA0\x80",
                                                 "\0",
                                                 "\xEF\xBF\xBD"};
    std::mt19937 rng(29);
    for (int k = 0; k < 100000; ++k) {
        std::string s;
        const int n = static_cast<int>(rng() % 10);
        for (int p = 0; p < n; ++p) s += pieces[rng() % pieces.size()];
        ASSERT_EQ(parse::clean_text(s), parse::clean_text_reference(s)) << "case " << k;
    }
}

// clean_text reads printable ASCII eight bytes at a time (and keeps single
// spaces inside a run): long strings with the special bytes at every offset
// and in every lane must read as the byte-by-byte reference does.
TEST(Text, CleanTextEightBytesAtATimeEqualsTheReferenceAtEveryOffset) {
    static const std::string specials[] = {
        " ", "  ",   "\t",       "\n",       "\x1F",         "\x7F", "\x01",     "~",
        "!", "\x1B", "\xC2\xA0", "\xC3\xA9", "\xE2\x80\x83", "\xFF", "\xC2\x9B", "\0"};
    std::mt19937 rng(31);
    for (int k = 0; k < 200000; ++k) {
        std::string s;
        const auto len = rng() % 48;
        while (s.size() < len) {
            if (rng() % 6 == 0)
                s += specials[rng() % std::size(specials)];
            else
                s += static_cast<char>('!' + rng() % 94);  // printable, not a space
        }
        ASSERT_EQ(parse::clean_text(s), parse::clean_text_reference(s)) << "case " << k;
        // Text said clean is read in place (dates): it must be its own cleaning.
        if (parse::is_clean_text(s)) {
            ASSERT_EQ(parse::clean_text_reference(s), s) << "case " << k;
        }
    }
    for (std::size_t at = 0; at < 40; ++at) {
        for (const auto& special : specials) {
            std::string s(40, 'x');
            s.insert(at, special);
            ASSERT_EQ(parse::clean_text(s), parse::clean_text_reference(s)) << at;
            s.insert(at / 2, " ");
            ASSERT_EQ(parse::clean_text(s), parse::clean_text_reference(s)) << at;
        }
    }
}

TEST(Url, PlainAbsolutePathsResolveAsLibcurlDoes) {
    const Strings bases{"https://datatracker.ietf.org/api/v1/meeting/meeting/?offset=20",
                        "HTTPS://Example.ORG:443/a/b?q#f",
                        "http://user:pw@example.org:8080",
                        "http://[::1]:8080/x/",
                        "https://b\xC3\xBC"
                        "cher.example/x",
                        "https://example.org/a b/c",
                        "ftp://ftp.3gpp.org/tsg_ran/",
                        "https://www.itu.int/hub/2026/03/ai-for-good-1/",
                        "file:///srv/feeds/x.xml",
                        "https://example.org"};
    const Strings refs{"/api/v1/meeting/meeting/123/",
                       "/a",
                       "/a//b",
                       "/a/b.html",
                       "/a.b/c..d/",
                       "/~user/x-y_z",
                       "/A/B/C",
                       "/x/",
                       "/ab/cd/ef.tar.gz"};
    for (const auto& b : bases) {
        for (const auto& r : refs)
            EXPECT_EQ(parse::resolve_url(b, r), parse::resolve_with_curl(b, r)) << b << " + " << r;
        // The cached origin is per base: alternate bases must not mix.
        EXPECT_EQ(parse::resolve_url(b, "/z"), parse::resolve_with_curl(b, "/z")) << b;
    }
}
