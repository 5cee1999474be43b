#include "common/clock.h"
#include "common/text.h"
#include "common/units.h"

#include <gtest/gtest.h>

using namespace specwatch;
using namespace std::chrono_literals;

TEST(Units, DurationsReadEveryUnitAndCombinations) {
    EXPECT_EQ(*parse_duration("90s"), 90s);
    EXPECT_EQ(*parse_duration("30m"), 30min);
    EXPECT_EQ(*parse_duration("1h"), 1h);
    EXPECT_EQ(*parse_duration("1d"), 24h);
    EXPECT_EQ(*parse_duration("1h30m"), 90min);
    EXPECT_EQ(*parse_duration("2w"), 14 * 24h);
}

TEST(Units, DurationErrorsQuoteTheText) {
    auto r = parse_duration("often");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("'often'"), std::string::npos);
    EXPECT_FALSE(parse_duration(""));
    EXPECT_FALSE(parse_duration("10"));  // a bare number has no unit
    EXPECT_FALSE(parse_duration("5y"));
    EXPECT_FALSE(parse_duration("99999999999999999999s"));
}

TEST(Units, SizesReadBinaryAndDecimalUnits) {
    EXPECT_EQ(*parse_size("16MiB"), 16u * 1024 * 1024);
    EXPECT_EQ(*parse_size("512KB"), 512000u);
    EXPECT_EQ(*parse_size("1000"), 1000u);
    EXPECT_FALSE(parse_size("lots"));
    EXPECT_FALSE(parse_size("16XB"));
}

TEST(Units, FormatDurationIsCompact) {
    EXPECT_EQ(format_duration(90s), "1m30s");
    EXPECT_EQ(format_duration(26h), "1d2h");
    EXPECT_EQ(format_duration(0s), "0s");
}

TEST(Clock, IsoRoundTripsInUtc) {
    auto t = parse_iso("2026-03-16T10:00:00+01:00");
    ASSERT_TRUE(t);
    EXPECT_EQ(format_iso_utc(*t), "2026-03-16T09:00:00Z");
    EXPECT_EQ(format_iso_utc(*parse_iso("2026-03-16")), "2026-03-16T00:00:00Z");
    EXPECT_FALSE(parse_iso("2026-02-30"));
    EXPECT_FALSE(parse_iso("yesterday"));
}

TEST(Clock, SinceAcceptsDurationsAndDates) {
    ManualClock clock{*parse_iso("2026-03-16T00:00:00Z")};
    EXPECT_EQ(format_iso_utc(*parse_since("7d", clock.now())), "2026-03-09T00:00:00Z");
    EXPECT_EQ(format_iso_utc(*parse_since("2026-01-01", clock.now())), "2026-01-01T00:00:00Z");
    EXPECT_FALSE(parse_since("soon", clock.now()));
}

TEST(Text, SanitizeRemovesEscapeSequencesAndControls) {
    EXPECT_EQ(sanitize_text("a\x1b[31mred\x1b[0m b"), "ared b");
    EXPECT_EQ(sanitize_text("title\x1b]0;pwned\x07!"), "title!");
    EXPECT_EQ(sanitize_text("x\x07y\x7fz"), "xyz");
    EXPECT_EQ(sanitize_text("c1\xc2\x9b"
                            "31mz"),
              "c1z");  // 8-bit CSI
    EXPECT_EQ(sanitize_text("line1\nline2"), "line1\nline2");
    EXPECT_EQ(sanitize_line("  line1\r\n\tline2  "), "line1 line2");
    EXPECT_EQ(sanitize_text("bad\xff"), "bad\xEF\xBF\xBD");
    EXPECT_EQ(sanitize_line("bad \xff"), "bad \xEF\xBF\xBD");
    EXPECT_EQ(sanitize_text("réseau 5G"), "réseau 5G");
}

TEST(Text, TruncateCountsColumnsNotBytes) {
    EXPECT_EQ(display_width("réseau"), 6u);
    EXPECT_EQ(truncate_display("abcdef", 4), "abc\xE2\x80\xA6");
    EXPECT_EQ(truncate_display("abc", 4), "abc");
}

TEST(Text, GlobAndHash) {
    EXPECT_TRUE(glob_match("itu-*", "itu-news"));
    EXPECT_FALSE(glob_match("itu-*", "3gpp-news"));
    EXPECT_EQ(hash_hex("abc"), hash_hex("abc"));
    EXPECT_NE(hash_hex("abc"), hash_hex("abd"));
    EXPECT_EQ(hash_hex("abc").size(), 16u);
}

// Databases hold these hashes (items' fingerprint and content_hash): the text
// must stay what it has been, XXH3-64 as 16 lowercase hex digits, zeros kept.
TEST(Text, HashHexIsXxh3AsSixteenLowercaseHexDigits) {
    EXPECT_EQ(hash_hex(""), "2d06800538d394c2");
    EXPECT_EQ(hash_hex("abc"), "78af5f94892f3950");
    EXPECT_EQ(hash_hex("item 20"), "004727232c272484");
    EXPECT_EQ(hash_hex16("item 20").view(), "004727232c272484");
}
