// `specwatch report`'s figures on a real SQLite store whose clock the test
// moves: items first seen in the period and the one before it, meetings by
// their start, and rule hits by the rules' own matching and filters.
#include "alerts/report.h"

#include "alerts/alerts.h"

#include "common/clock.h"
#include "storage/store.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace specwatch;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

SysTime at(const char* iso) {
    return parse_iso(iso).value();
}

Item item(std::string id, std::string title, std::vector<std::string> orgs = {}) {
    Item it;
    it.id = id;
    it.title = std::move(title);
    it.link = "https://example.org/" + id;
    it.organizations = std::move(orgs);
    return it;
}

Item meeting(std::string id, std::string title, std::string start) {
    Item it = item(std::move(id), std::move(title));
    it.start = std::move(start);
    return it;
}

config::Source source(std::string name, std::string body, std::string group) {
    config::Source s;
    s.name = std::move(name);
    s.body = std::move(body);
    s.group = std::move(group);
    s.url = "https://example.org/" + s.name;
    return s;
}

config::Rule rule(std::string name, std::string query) {
    config::Rule r;
    r.name = std::move(name);
    r.query = std::move(query);
    return r;
}

const alerts::GroupActivity* find(const alerts::Report& r, const std::string& body,
                                  const std::string& group) {
    for (const auto& g : r.groups)
        if (g.body == body && g.group == group) return &g;
    return nullptr;
}

// The period is June 2026's last 30 days: [05-31, 06-30); the previous one
// [05-01, 05-31).
class ReportTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("specwatch-report-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        cfg_.sources = {source("itu-sg17", "ITU", "ITU-T SG17"), source("itu-r", "ITU", "ITU-R"),
                        source("3gpp-ran1", "3GPP", "RAN1")};
        db_ = storage::Store::open((dir_ / "db").string(), clock_).value();
        EXPECT_TRUE(db_->sync_sources(cfg_.sources));

        // Before both periods: never counted.
        poll_at("2026-04-15T12:00:00Z", "itu-sg17", {item("old", "5G in 2025")});
        // The previous period.
        poll_at("2026-05-10T12:00:00Z", "itu-sg17",
                {item("a1", "5G security study"),
                 meeting("m-may", "SG17 May meeting", "2026-05-15T09:00:00Z")});
        poll_at("2026-05-10T12:00:00Z", "3gpp-ran1",
                {item("b1", "NR positioning", {"Nokia"}), item("b2", "6G vision", {"Ericsson"}),
                 meeting("r-late", "RAN1 ad hoc", "2026-05-30T23:59:59Z")});
        // The period.
        poll_at("2026-06-10T12:00:00Z", "itu-sg17",
                {item("a2", "5G in Africa"), item("a3", "Quantum networks"),
                 meeting("m-june", "SG17 June meeting", "2026-06-20")});
        poll_at("2026-06-10T12:00:00Z", "itu-r", {item("c1", "5G spectrum for IMT")});
        poll_at("2026-06-10T12:00:00Z", "3gpp-ran1",
                {item("b3", "5G NR Rel-19", {"Ericsson"}),
                 item("b4", "6G channel model", {"Nokia"}), item("b5", "6G waveform", {"Ericsson"}),
                 // All-day, on the period's first day: in it, not the previous.
                 meeting("r116", "RAN1#116", "2026-05-31"),
                 // Ahead of the period's end: in neither.
                 meeting("r117", "RAN1#117", "2026-07-15T09:00:00Z")});
        clock_.set(at("2026-06-30T00:00:00Z"));
    }
    void TearDown() override {
        db_.reset();
        fs::remove_all(dir_);
    }

    void poll_at(const char* when, const std::string& name, const std::vector<Item>& items) {
        clock_.set(at(when));
        storage::FetchOutcome o;
        o.when = to_unix(clock_.now());
        o.http_status = 200;
        auto r = db_->store_poll(name, items, o);
        ASSERT_TRUE(r) << r.error().message;
    }

    alerts::Report report(const std::string& body = "") {
        auto r = alerts::activity_report(db_->statements(), cfg_, clock_.now() - 30 * 24h,
                                         clock_.now(), body);
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        return r ? *r : alerts::Report{};
    }

    fs::path dir_;
    ManualClock clock_{at("2026-04-01T00:00:00Z")};
    config::Config cfg_;
    std::unique_ptr<storage::Store> db_;
};

TEST_F(ReportTest, countsNewItemsAndMeetingsInThePeriodAgainstThePreviousOne) {
    const auto r = report();
    EXPECT_EQ(format_iso_utc(r.from), "2026-05-31T00:00:00Z");
    EXPECT_EQ(format_iso_utc(r.previous_from), "2026-05-01T00:00:00Z");
    ASSERT_EQ(r.groups.size(), 3u);
    // By body, then group.
    EXPECT_EQ(r.groups[0].body, "3GPP");
    EXPECT_EQ(r.groups[1].group, "ITU-R");
    EXPECT_EQ(r.groups[2].group, "ITU-T SG17");

    const auto* sg17 = find(r, "ITU", "ITU-T SG17");
    ASSERT_NE(sg17, nullptr);
    EXPECT_EQ(sg17->new_items.current, 3);   // a2, a3, m-june
    EXPECT_EQ(sg17->new_items.previous, 2);  // a1, m-may
    EXPECT_EQ(sg17->meetings.current, 1);    // all-day 2026-06-20
    EXPECT_EQ(sg17->meetings.previous, 1);

    const auto* ran1 = find(r, "3GPP", "RAN1");
    ASSERT_NE(ran1, nullptr);
    EXPECT_EQ(ran1->new_items.current, 5);
    EXPECT_EQ(ran1->new_items.previous, 3);
    // r116 (all-day on the first day) is in; r-late a second before is the
    // previous period's; r117 is after the period.
    EXPECT_EQ(ran1->meetings.current, 1);
    EXPECT_EQ(ran1->meetings.previous, 1);

    EXPECT_EQ(r.new_items.current, 9);
    EXPECT_EQ(r.new_items.previous, 5);
    EXPECT_EQ(r.meetings.current, 2);
    EXPECT_EQ(r.meetings.previous, 2);
    EXPECT_EQ(r.new_items.change(), 4);
    EXPECT_EQ(r.new_items.percent(), 80);
}

TEST_F(ReportTest, rulesHitWithTheirQueryAndFiltersWithoutAnyAlertHistory) {
    auto g5 = rule("5g", "5G");
    auto g6_ericsson = rule("6g-ericsson", "6G");
    g6_ericsson.organizations = {"ericsson"};
    auto itu_only = rule("itu-5g", "5G OR quantum");
    itu_only.bodies = {"itu"};
    auto ran = rule("ran-sources", "5G OR 6G OR NR");
    ran.sources = {"3gpp-*"};
    cfg_.rules = {g5, g6_ericsson, itu_only, ran};
    // No poll matched these rules (none was configured then): the report
    // matches the stored items itself.
    const auto r = report();
    ASSERT_EQ(r.rules.size(), 4u);
    EXPECT_EQ(r.rules[0].name, "5g");
    // a2, c1, b3 now; a1 before ("5G in 2025" is older than both periods).
    EXPECT_EQ(r.rules[0].hits.current, 3);
    EXPECT_EQ(r.rules[0].hits.previous, 1);
    EXPECT_EQ(r.rules[1].hits.current, 1);   // b5; b4 is Nokia's
    EXPECT_EQ(r.rules[1].hits.previous, 1);  // b2
    EXPECT_EQ(r.rules[2].hits.current, 3);   // a2, a3, c1
    EXPECT_EQ(r.rules[2].hits.previous, 1);
    EXPECT_EQ(r.rules[3].hits.current, 3);   // b3, b4, b5
    EXPECT_EQ(r.rules[3].hits.previous, 2);  // b1, b2
    EXPECT_EQ(r.rules[3].hits.percent(), 50);

    const auto* sg17 = find(r, "ITU", "ITU-T SG17");
    ASSERT_NE(sg17, nullptr);
    ASSERT_EQ(sg17->hits.size(), 4u);
    EXPECT_EQ(sg17->hits[0].current, 1);  // a2
    EXPECT_EQ(sg17->hits[0].previous, 1);
    EXPECT_EQ(sg17->hits[2].current, 2);  // a2, a3
    EXPECT_EQ(sg17->hits[3].current, 0);  // not a 3gpp-* source
}

TEST_F(ReportTest, matchAllFindsExactlyWhatTheAlertsKeyLookupFinds) {
    std::vector<std::int64_t> keys;
    {
        storage::ItemFilter all;
        all.limit = 1000;
        auto items = db_->items(all);
        ASSERT_TRUE(items);
        for (const auto& i : *items) keys.push_back(i.key);
    }
    ASSERT_EQ(keys.size(), 15u);
    for (const char* query : {"5G", "6G OR NR", "quantum", "\"SG17 June\"", "meet*", "nothing"}) {
        const auto r = rule("r", query);
        auto all = alerts::match_all(db_->statements(), r);
        auto some = alerts::match_keys(db_->statements(), r, keys);
        ASSERT_TRUE(all && some);
        std::vector<std::int64_t> looked_up;
        for (const auto& [key, snippet] : *some) looked_up.push_back(key);
        std::sort(all->begin(), all->end());
        std::sort(looked_up.begin(), looked_up.end());
        EXPECT_EQ(*all, looked_up) << query;
    }
}

TEST_F(ReportTest, aBodyFilterKeepsOnlyThatBodysGroupsCaseInsensitively) {
    cfg_.rules = {rule("5g", "5G")};
    const auto r = report("itu");
    ASSERT_EQ(r.groups.size(), 2u);
    EXPECT_EQ(r.groups[0].body, "ITU");
    EXPECT_EQ(r.groups[1].body, "ITU");
    EXPECT_EQ(r.new_items.current, 4);
    EXPECT_EQ(r.meetings.current, 1);
    EXPECT_EQ(r.rules[0].hits.current, 2);  // a2, c1
    EXPECT_EQ(r.rules[0].hits.previous, 1);
    EXPECT_TRUE(report("IETF").groups.empty());
}

TEST_F(ReportTest, aDatePeriodAndItsPreviousHaveTheSameLength) {
    auto r = alerts::activity_report(db_->statements(), cfg_, at("2026-06-10T00:00:00Z"),
                                     clock_.now(), "");
    ASSERT_TRUE(r);
    EXPECT_EQ(format_iso_utc(r->previous_from), "2026-05-21T00:00:00Z");
    EXPECT_EQ(r->new_items.current, 9);
    EXPECT_EQ(r->new_items.previous, 0);
    EXPECT_EQ(r->new_items.percent(), std::nullopt);
    EXPECT_FALSE(alerts::activity_report(db_->statements(), cfg_, clock_.now(), clock_.now(), ""));
    // A previous period reaching before 1970 is refused, not wrapped.
    EXPECT_FALSE(alerts::activity_report(db_->statements(), cfg_, at("1990-01-01T00:00:00Z"),
                                         clock_.now(), ""));
}

TEST_F(ReportTest, whatWasStoredInTheSecondOfTheReportCounts) {
    poll_at("2026-06-30T00:00:00Z", "itu-r", {item("now", "Stored just now")});
    EXPECT_EQ(report().new_items.current, 10);
}

TEST_F(ReportTest, aQueryFts5RejectsIsAnErrorNamingTheRule) {
    cfg_.rules = {rule("broken", "\"unbalanced")};
    auto r =
        alerts::activity_report(db_->statements(), cfg_, clock_.now() - 30 * 24h, clock_.now(), "");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("rule 'broken'"), std::string::npos) << r.error().message;
}

TEST_F(ReportTest, theJsonFormHasThePeriodsFiguresAndHitsByRuleName) {
    cfg_.rules = {rule("5g", "5G")};
    const auto j = alerts::report_to_json(report());
    EXPECT_EQ(j["from"], "2026-05-31T00:00:00Z");
    EXPECT_EQ(j["to"], "2026-06-30T00:00:00Z");
    EXPECT_EQ(j["previous"]["from"], "2026-05-01T00:00:00Z");
    EXPECT_EQ(j["previous"]["to"], "2026-05-31T00:00:00Z");
    EXPECT_EQ(j["seconds"], 30 * 86400);
    EXPECT_TRUE(j["body"].is_null());
    EXPECT_EQ(j["totals"]["new_items"]["current"], 9);
    EXPECT_EQ(j["totals"]["new_items"]["percent"], 80);
    EXPECT_EQ(j["rules"][0]["hits"]["change"], 2);
    EXPECT_EQ(j["rules"][0]["hits"]["percent"], 200);
    const auto& ran1 = j["groups"][0];
    EXPECT_EQ(ran1["group"], "RAN1");
    EXPECT_EQ(ran1["hits"]["5g"]["current"], 1);
    EXPECT_TRUE(ran1["hits"]["5g"]["percent"].is_null());
}

}  // namespace
