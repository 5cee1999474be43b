#include "calendar/ics.h"

#include "common/clock.h"
#include "common/meeting.h"
#include "common/text.h"

#include <libical/ical.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

using namespace specwatch;
using namespace specwatch::calendar;

namespace {

struct ComponentFree {
    void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using Component = std::unique_ptr<icalcomponent, ComponentFree>;

Meeting meeting(std::string source, std::string id, std::string title, std::string start,
                std::string end = "", std::string location = "") {
    Meeting m;
    m.source = std::move(source);
    m.body = "IETF";
    m.group = "IETF";
    m.item.id = std::move(id);
    m.item.title = std::move(title);
    m.item.start = std::move(start);
    m.item.end = std::move(end);
    m.item.location = std::move(location);
    m.item.link = "https://datatracker.ietf.org/meeting/" + m.item.id;
    m.last_changed = 1795000000;  // 2026-11-18T11:06:40Z
    return m;
}

// Parses an export back with libical's own parser, as a calendar program would.
Component parse_back(const std::string& ics) {
    Component c{icalparser_parse_string(ics.c_str())};
    EXPECT_NE(c, nullptr) << ics;
    if (c) {
        EXPECT_EQ(icalcomponent_isa(c.get()), ICAL_VCALENDAR_COMPONENT);
    }
    return c;
}

std::vector<icalcomponent*> events(icalcomponent* cal) {
    std::vector<icalcomponent*> out;
    for (icalcomponent* e = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); e;
         e = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
        out.push_back(e);
    return out;
}

std::string text(icalcomponent* ev, icalproperty_kind kind) {
    icalproperty* p = icalcomponent_get_first_property(ev, kind);
    if (!p) return "<none>";
    const char* s = icalproperty_get_value_as_string(p);
    return s ? s : "";
}

std::string summary(icalcomponent* ev) {
    const char* s = icalcomponent_get_summary(ev);
    return s ? s : "<none>";
}

int count(icalcomponent* ev, icalproperty_kind kind) {
    return icalcomponent_count_properties(ev, kind);
}

std::vector<std::string> physical_lines(const std::string& ics) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < ics.size()) {
        const auto crlf = ics.find("\r\n", pos);
        if (crlf == std::string::npos) {
            out.push_back(ics.substr(pos));
            break;
        }
        out.push_back(ics.substr(pos, crlf - pos));
        pos = crlf + 2;
    }
    return out;
}

bool valid_utf8(const std::string& s) {
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp = 0;
        const std::size_t n = decode_utf8(s, i, cp);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

}  // namespace

TEST(IcsExport, EveryMeetingParsesBackWithItsTimesPlaceLinkAndStatus) {
    Meeting vienna =
        meeting("ietf-meetings", "ietf-126", "IETF 126", "2026-07-18", "2026-07-24", "Vienna, AT");
    vienna.item.summary = "The 126th IETF meeting.";
    Meeting httpbis = meeting("ietf-meetings", "ietf-126-httpbis", "httpbis - HTTP",
                              "2026-07-20T07:30:00Z", "2026-07-20T09:00:00Z", "Vienna, AT");
    Meeting quic = meeting("ietf-meetings", "ietf-quic-interim", "CANCELLED: quic - QUIC (interim)",
                           "2026-03-05T15:00:00Z", "2026-03-05T16:30:00Z", "Online");
    quic.item.categories = {"interim", "cancelled"};
    const Meeting one_day = meeting("itu-events", "tsb-ws", "Workshop", "2026-12-01");

    const std::string ics = to_ics({vienna, httpbis, quic, one_day});
    Component cal = parse_back(ics);
    ASSERT_TRUE(cal);
    EXPECT_EQ(text(cal.get(), ICAL_VERSION_PROPERTY), "2.0");
    EXPECT_NE(text(cal.get(), ICAL_PRODID_PROPERTY).find("specwatch"), std::string::npos);
    const auto evs = events(cal.get());
    ASSERT_EQ(evs.size(), 4U);

    // All day: DATE values, DTEND the day after the last day.
    EXPECT_EQ(summary(evs[0]), "IETF 126");
    const icaltimetype s0 = icalcomponent_get_dtstart(evs[0]);
    const icaltimetype e0 = icalcomponent_get_dtend(evs[0]);
    EXPECT_TRUE(s0.is_date);
    EXPECT_TRUE(e0.is_date);
    EXPECT_STREQ(icaltime_as_ical_string(s0), "20260718");
    EXPECT_STREQ(icaltime_as_ical_string(e0), "20260725");
    EXPECT_NE(ics.find("DTSTART;VALUE=DATE:20260718\r\n"), std::string::npos);
    EXPECT_STREQ(icalcomponent_get_location(evs[0]), "Vienna, AT");
    EXPECT_EQ(text(evs[0], ICAL_URL_PROPERTY), "https://datatracker.ietf.org/meeting/ietf-126");
    EXPECT_EQ(text(evs[0], ICAL_UID_PROPERTY), uid("ietf-meetings", "ietf-126"));
    EXPECT_EQ(count(evs[0], ICAL_STATUS_PROPERTY), 0);
    const std::string desc = icalcomponent_get_description(evs[0]);
    EXPECT_NE(desc.find("The 126th IETF meeting."), std::string::npos);
    EXPECT_NE(desc.find("Source: ietf-meetings (IETF)"), std::string::npos);
    // DTSTAMP: the item's last change, in UTC.
    EXPECT_EQ(text(evs[0], ICAL_DTSTAMP_PROPERTY), "20261118T110640Z");

    // Timed: UTC date-times.
    const icaltimetype s1 = icalcomponent_get_dtstart(evs[1]);
    EXPECT_FALSE(s1.is_date);
    EXPECT_TRUE(icaltime_is_utc(s1));
    EXPECT_STREQ(icaltime_as_ical_string(s1), "20260720T073000Z");
    EXPECT_STREQ(icaltime_as_ical_string(icalcomponent_get_dtend(evs[1])), "20260720T090000Z");

    // Cancelled: STATUS:CANCELLED.
    EXPECT_EQ(icalcomponent_get_status(evs[2]), ICAL_STATUS_CANCELLED);
    EXPECT_EQ(text(evs[2], ICAL_CATEGORIES_PROPERTY), "interim");

    // One day, no end in the feed: DTEND the next day.
    EXPECT_STREQ(icaltime_as_ical_string(icalcomponent_get_dtend(evs[3])), "20261202");
    EXPECT_EQ(count(evs[3], ICAL_LOCATION_PROPERTY), 0);
}

TEST(IcsExport, UidsAreTheSameInEveryExportAndDifferPerSourceAndItem) {
    const Meeting a = meeting("ietf-meetings", "ietf-126", "IETF 126", "2026-07-18");
    Meeting moved = a;
    moved.item.start = "2026-07-25";
    moved.item.title = "IETF 126 (moved)";
    const Meeting other_source = meeting("ietf-mirror", "ietf-126", "IETF 126", "2026-07-18");
    EXPECT_EQ(uid("ietf-meetings", "ietf-126"), uid("ietf-meetings", "ietf-126"));
    EXPECT_NE(uid("ietf-meetings", "ietf-126"), uid("ietf-mirror", "ietf-126"));
    EXPECT_NE(uid("ab", "c"), uid("a", "bc"));
    EXPECT_TRUE(uid("x", "y").ends_with("@specwatch"));

    Component first = parse_back(to_ics({a, other_source}));
    Component second = parse_back(to_ics({moved}));
    ASSERT_TRUE(first && second);
    const auto e1 = events(first.get());
    const auto e2 = events(second.get());
    ASSERT_EQ(e1.size(), 2U);
    ASSERT_EQ(e2.size(), 1U);
    EXPECT_EQ(text(e1[0], ICAL_UID_PROPERTY), text(e2[0], ICAL_UID_PROPERTY));
    EXPECT_NE(text(e1[0], ICAL_UID_PROPERTY), text(e1[1], ICAL_UID_PROPERTY));
}

TEST(IcsExport, LinesEndInCrlfAndAreFoldedAtSeventyFiveOctetsOnCharacterBoundaries) {
    // Two-, three- and four-byte characters, long enough to fold many times.
    std::string title = "Réunion du groupe d'études 17 — sécurité ";
    for (int i = 0; i < 6; ++i) title += "会議 ü 𝄞 sécurité des réseaux ";
    title.pop_back();
    const std::string ics = to_ics({meeting("itu", "sg17", title, "2026-12-01T08:00:00Z",
                                            "2026-12-05T17:00:00Z", std::string(200, 'x'))});
    ASSERT_TRUE(ics.ends_with("END:VCALENDAR\r\n"));
    for (std::size_t i = 0; i < ics.size(); ++i)
        if (ics[i] == '\n') {
            ASSERT_TRUE(i > 0 && ics[i - 1] == '\r') << "bare LF at " << i;
        }
    bool folded = false;
    for (const auto& line : physical_lines(ics)) {
        EXPECT_LE(line.size(), 75U) << line;
        EXPECT_TRUE(valid_utf8(line)) << "a fold split a character: " << line;
        if (!line.empty() && line.front() == ' ') folded = true;
    }
    EXPECT_TRUE(folded);
    Component cal = parse_back(ics);
    ASSERT_TRUE(cal);
    const auto evs = events(cal.get());
    ASSERT_EQ(evs.size(), 1U);
    EXPECT_EQ(summary(evs[0]), title);
    EXPECT_EQ(std::string(icalcomponent_get_location(evs[0])), std::string(200, 'x'));
}

TEST(IcsExport, FeedTextCannotInjectPropertiesOrEvents) {
    Meeting evil = meeting("evil", "1", "Meeting\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil",
                           "2026-12-01", "2026-12-02", "Geneva\nSTATUS:CANCELLED");
    evil.item.summary = "line one\r\nATTENDEE:mailto:x@example.org\nline three";
    evil.item.link = "https://example.org/\r\nATTACH:https://evil.example/";
    evil.item.categories = {"a\r\nSTATUS:CANCELLED"};
    const std::string ics = to_ics({evil});
    Component cal = parse_back(ics);
    ASSERT_TRUE(cal);
    const auto evs = events(cal.get());
    ASSERT_EQ(evs.size(), 1U) << ics;
    EXPECT_EQ(count(evs[0], ICAL_STATUS_PROPERTY), 0) << ics;
    EXPECT_EQ(count(evs[0], ICAL_ATTENDEE_PROPERTY), 0) << ics;
    EXPECT_EQ(count(evs[0], ICAL_ATTACH_PROPERTY), 0) << ics;
    EXPECT_EQ(count(evs[0], ICAL_UID_PROPERTY), 1) << ics;
    EXPECT_EQ(count(evs[0], ICAL_URL_PROPERTY), 0) << ics;  // an unsafe link is left out
    EXPECT_EQ(summary(evs[0]), "Meeting END:VEVENT BEGIN:VEVENT UID:evil");
    EXPECT_STREQ(icalcomponent_get_location(evs[0]), "Geneva STATUS:CANCELLED");
    const std::string desc = icalcomponent_get_description(evs[0]);
    EXPECT_NE(desc.find("line one\nATTENDEE:mailto:x@example.org\nline three"), std::string::npos);
    for (const auto& line : physical_lines(ics))
        EXPECT_FALSE(line.starts_with("ATTENDEE") || line.starts_with("ATTACH") ||
                     line.starts_with("STATUS"))
            << line;
}

TEST(IcsExport, ItemsWithoutAReadableStartAreLeftOutAndBadEndsAreMended) {
    const Meeting no_start = meeting("s", "a", "No start", "");
    const Meeting garbage = meeting("s", "b", "Garbage start", "next Tuesday");
    const Meeting backwards = meeting("s", "c", "End before start", "2026-12-05", "2026-12-01");
    const Meeting timed_backwards =
        meeting("s", "d", "Timed, end first", "2026-12-05T10:00:00Z", "2026-12-05T09:00:00Z");
    const Meeting timed_day_end =
        meeting("s", "e", "Timed, day end", "2026-12-05T10:00:00Z", "2026-12-06");
    Component cal =
        parse_back(to_ics({no_start, garbage, backwards, timed_backwards, timed_day_end}));
    ASSERT_TRUE(cal);
    const auto evs = events(cal.get());
    ASSERT_EQ(evs.size(), 3U);
    EXPECT_FALSE(exportable(no_start.item));
    EXPECT_FALSE(exportable(garbage.item));
    EXPECT_TRUE(exportable(backwards.item));
    EXPECT_TRUE(exportable(timed_backwards.item));
    EXPECT_STREQ(icaltime_as_ical_string(icalcomponent_get_dtend(evs[0])), "20261206");
    EXPECT_EQ(count(evs[1], ICAL_DTEND_PROPERTY), 0);
    EXPECT_STREQ(icaltime_as_ical_string(icalcomponent_get_dtend(evs[2])), "20261207T000000Z");
}

TEST(IcsExport, AnEmptyExportIsStillACalendar) {
    Component cal = parse_back(to_ics({}));
    ASSERT_TRUE(cal);
    EXPECT_TRUE(events(cal.get()).empty());
}

TEST(MeetingDates, DatesTodayAndDaysFromTodayAreUtcDays) {
    const SysTime now = from_unix(1795000000);  // 2026-11-18T11:06:40Z
    EXPECT_EQ(*parse_meeting_date("2026-12-01", now), "2026-12-01");
    EXPECT_EQ(*parse_meeting_date("today", now), "2026-11-18");
    EXPECT_EQ(*parse_meeting_date("30d", now), "2026-12-18");
    EXPECT_EQ(*parse_meeting_date("+2w", now), "2026-12-02");
    EXPECT_EQ(*parse_meeting_date("-7d", now), "2026-11-11");
    for (const char* bad : {"", "2026-02-30", "2026-13-01", "tomorrowish", "-", "2026-1-1"})
        EXPECT_FALSE(parse_meeting_date(bad, now)) << bad;
}

TEST(MeetingDates, ACancelledMeetingHasTheCategoryInAnyCase) {
    Item it;
    EXPECT_FALSE(is_cancelled(it));
    it.categories = {"ITU-T", "Cancelled"};
    EXPECT_TRUE(is_cancelled(it));
    it.categories = {"CANCELLED"};
    EXPECT_TRUE(is_cancelled(it));
    it.categories = {"not cancelled"};
    EXPECT_FALSE(is_cancelled(it));
}
