// XLSX workbooks (3GPP TDoc lists): tests/fixtures/xlsx/*.xlsx, written by
// tests/fixtures/xlsx/make_fixtures.py with openpyxl and zipfile.
#include "parsers/xlsx.h"
#include "parsers/parse.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace specwatch;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(SPECWATCH_FIXTURES) + "/xlsx/" + name, std::ios::binary);
    EXPECT_TRUE(in) << name;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Feed parse_ok(std::string_view bytes, const parse::Options& o = {}) {
    auto r = parse::parse(bytes, o);
    if (!r) {
        ADD_FAILURE() << r.error().message;
        return {};
    }
    return *r;
}

std::string parse_error(std::string_view bytes, const parse::Options& o = {}) {
    auto r = parse::parse(bytes, o);
    if (r) {
        ADD_FAILURE() << "expected an error";
        return {};
    }
    return r.error().message;
}

const Item* find(const Feed& f, std::string_view id) {
    for (const auto& it : f.items)
        if (it.id == id) return &it;
    ADD_FAILURE() << "no item " << id;
    static const Item none;
    return &none;
}

config::Source xlsx_source(std::map<std::string, std::string> fields) {
    config::Source s;
    s.name = "tdocs";
    s.format = "xlsx";
    s.xlsx.fields = std::move(fields);
    return s;
}

}  // namespace

TEST(Xlsx, aTdocListIsReadFromItsFirstSheetByHeaderNames) {
    const Feed f = parse_ok(fixture("tdoc_list.xlsx"));  // auto: the ZIP magic says XLSX
    EXPECT_EQ(f.format, "xlsx");
    ASSERT_EQ(f.items.size(), 15u);
    const Item& first = f.items.front();
    EXPECT_EQ(first.id, "R1-2600101");
    EXPECT_EQ(first.title, "Discussion on 6G waveform");
    EXPECT_EQ(first.author, "Wei Li");
    EXPECT_EQ(first.summary, "6G air interface: waveform");
    EXPECT_EQ(first.published, "2026-02-16T09:00:00Z");  // an Excel serial date
    EXPECT_THAT(first.categories, ElementsAre("discussion", "Discussion", "9.1.1", "available"));
    EXPECT_THAT(first.organizations, ElementsAre("Huawei", "HiSilicon"));
}

TEST(Xlsx, sourcesAreSplitAndNormalized) {
    const Feed f = parse_ok(fixture("tdoc_list.xlsx"));
    EXPECT_THAT(find(f, "R1-2600102")->organizations, ElementsAre("Huawei"));
    EXPECT_THAT(find(f, "R1-2600151")->organizations, ElementsAre("Ericsson"));
    EXPECT_THAT(find(f, "R1-2600230")->organizations, ElementsAre("Qualcomm"));
    EXPECT_THAT(find(f, "R1-2600300")->organizations, ElementsAre("ZTE", "Sanechips"));
    EXPECT_THAT(find(f, "R1-2500200")->organizations, ElementsAre("Samsung"));
}

TEST(Xlsx, richTextRunsAndInlineStringsAreText) {
    const Feed f = parse_ok(fixture("tdoc_list.xlsx"));
    // Runs joined, the phonetic reading (<rPh>) left out.
    EXPECT_THAT(find(f, "R1-2600200")->organizations, ElementsAre("Nokia", "Nokia Shanghai Bell"));
    EXPECT_EQ(find(f, "R1-2600231")->title, "CR on NR positioning");  // <c t="inlineStr">
}

TEST(Xlsx, emptyCellsLeaveFieldsUnset) {
    const Feed f = parse_ok(fixture("tdoc_list.xlsx"));
    const Item* ls = find(f, "R1-2600301");
    EXPECT_EQ(ls->author, "");
    EXPECT_EQ(ls->published, "");
    EXPECT_THAT(ls->categories, ElementsAre("LS out", "Action", "5", "withdrawn"));
}

TEST(Xlsx, headerNamesMatchCaseInsensitively) {
    const auto s = xlsx_source({{"id", "TDOC"}, {"title", "title"}, {"organizations", "source"}});
    parse::Options o;
    o.source = &s;
    const Feed f = parse_ok(fixture("tdoc_list.xlsx"), o);
    ASSERT_EQ(f.items.size(), 15u);
    EXPECT_EQ(f.items[0].id, "R1-2600101");
    EXPECT_EQ(f.items[0].author, "");  // not mapped
}

TEST(Xlsx, aMappedHeaderMissingFromTheSheetIsAClearError) {
    const auto s = xlsx_source({{"id", "TDoc number"}, {"title", "Title"}});
    parse::Options o;
    o.source = &s;
    const std::string e = parse_error(fixture("tdoc_list.xlsx"), o);
    EXPECT_THAT(e, HasSubstr("[source.xlsx] id = \"TDoc number\": no such column"));
    EXPECT_THAT(e, HasSubstr("tdoc, title, source"));
}

TEST(Xlsx, theConfigsAliasTableNormalizesOrganizations) {
    auto s = xlsx_source({});
    s.organizations =
        std::make_shared<OrgTable>(std::vector<OrgEntry>{{"Nokia", "FI", {"Nokia Shanghai Bell"}}});
    parse::Options o;
    o.source = &s;
    const Feed f = parse_ok(fixture("tdoc_list.xlsx"), o);
    EXPECT_THAT(find(f, "R1-2600200")->organizations, ElementsAre("Nokia"));
}

TEST(Xlsx, aZipBombStopsAtThePartLimit) {
    const std::string e = parse_error(fixture("bomb.xlsx"));
    EXPECT_THAT(e, HasSubstr("xl/worksheets/sheet1.xml is larger than 32 MiB uncompressed"));
}

TEST(Xlsx, thePartsTogetherAreBoundedToo) {
    parse::XlsxLimits limits;
    limits.max_total = 4096;
    auto r = parse::parse_xlsx(fixture("tdoc_list.xlsx"), nullptr, limits);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("larger than 0 MiB uncompressed together"));
}

TEST(Xlsx, itemsAreCapped) {
    parse::XlsxLimits limits;
    limits.max_items = 3;
    auto r = parse::parse_xlsx(fixture("tdoc_list.xlsx"), nullptr, limits);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->items.size(), 3u);
}

TEST(Xlsx, aMillionEmptyRowsAreSkippedQuickly) {
    const auto start = std::chrono::steady_clock::now();
    const auto s = xlsx_source({{"id", "tdoc"}, {"title", "Title"}, {"organizations", "Source"}});
    parse::Options o;
    o.source = &s;
    const Feed f = parse_ok(fixture("million_empty_rows.xlsx"), o);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(f.items.size(), 2u);
    EXPECT_EQ(f.items[0].id, "S2-2600001");
    EXPECT_EQ(f.items[1].id, "S2-2600002");
    EXPECT_THAT(f.items[1].organizations, ElementsAre("Intel"));
    // ~0.3 s here; generous for sanitizer builds on a busy machine.
    EXPECT_LT(took, std::chrono::seconds(20));
}

TEST(Xlsx, brokenXmlNamesThePartAndTheByte) {
    EXPECT_THAT(parse_error(fixture("broken_xml.xlsx")),
                HasSubstr("XLSX error: xl/worksheets/sheet1.xml: XML error at byte"));
}

TEST(Xlsx, notAZipIsAClearError) {
    EXPECT_THAT(parse_error(std::string("PK\x03\x04 not really", 15)),
                HasSubstr("XLSX error: not a ZIP archive"));
    parse::Options o;
    o.format = "xlsx";
    EXPECT_THAT(parse_error("<rss version=\"2.0\"/>", o), HasSubstr("not a ZIP archive"));
}

TEST(Xlsx, columnReferencesBeyondZAreRead) {
    // The 3GPP header has 36 columns: AA…AJ. Map the last one.
    const auto s = xlsx_source(
        {{"id", "TDoc"}, {"title", "Title"}, {"location", "Release"}, {"summary", "Reply in"}});
    parse::Options o;
    o.source = &s;
    const Feed f = parse_ok(fixture("tdoc_list.xlsx"), o);
    EXPECT_EQ(f.items[0].location, "Rel-20");  // column S
    EXPECT_EQ(f.items[0].summary, "");         // column AJ, empty
}

TEST(Xlsx, aTitleRowAboveTheHeaderIsSkipped) {
    const Feed f = parse_ok(fixture("title_row.xlsx"));  // the TDoc list mapping: "Tdoc", "title"
    ASSERT_EQ(f.items.size(), 1u);
    EXPECT_EQ(f.items[0].id, "S2-2600010");
    EXPECT_EQ(f.items[0].title, "Under a title row");
    EXPECT_THAT(f.items[0].organizations, ElementsAre("Ericsson"));
}
