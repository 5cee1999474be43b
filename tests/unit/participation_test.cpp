// `specwatch participation`'s figures, from a real SQLite file.
#include "common/clock.h"
#include "common/log.h"
#include "storage/store.h"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace specwatch;
using namespace specwatch::storage;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

Item contribution(std::string id, std::string title, std::vector<std::string> orgs,
                  std::string published) {
    Item it;
    it.id = std::move(id);
    it.title = std::move(title);
    it.organizations = std::move(orgs);
    it.published = std::move(published);
    return it;
}

std::int64_t at(const char* iso) {
    return to_unix(*parse_iso(iso));
}

class ParticipationTest : public ::testing::Test {
  protected:
    void SetUp() override {
        log::set_max_level(log::Level::warning);
        std::string tmpl = (fs::temp_directory_path() / "specwatch-particip-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        auto s = Store::open((dir_ / "specwatch.db").string(), clock_);
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
        auto source = [](const char* name, const char* body, const char* group) {
            config::Source src;
            src.name = name;
            src.body = body;
            src.group = group;
            src.url = std::string("https://example.org/") + name;
            return src;
        };
        ASSERT_TRUE(
            store_->sync_sources({source("ran1", "3GPP", "3GPP RAN1"),
                                  source("sa2", "3GPP", "3GPP SA2"), source("ietf", "IETF", "")}));
        store("ran1",
              {contribution("R1-1", "6G waveform", {"Huawei", "HiSilicon"}, "2026-02-16T09:00:00Z"),
               contribution("R1-2", "6G frame", {"Ericsson"}, "2026-02-17T09:00:00Z"),
               contribution("R1-3", "NR MIMO", {"Huawei"}, "2026-03-01T09:00:00Z"),
               contribution("R1-4", "NR MIMO old", {"Huawei", "Ericsson"}, "2025-11-01T09:00:00Z"),
               contribution("R1-5", "No source", {}, "2026-03-01T09:00:00Z"),
               contribution("R1-6", "Too old", {"Nokia"}, "2024-01-01T00:00:00Z")});
        store("sa2", {contribution("S2-1", "6G architecture", {"Nokia Shanghai Bell"},
                                   "2026-04-01T09:00:00Z")});
        store("ietf", {contribution("draft-a", "QUIC multipath", {"Alibaba", "Ericsson"},
                                    "2026-01-10T00:00:00Z")});
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }

    void store(const std::string& source, const std::vector<Item>& items) {
        FetchOutcome o;
        o.when = to_unix(clock_.now());
        o.http_status = 200;
        auto r = store_->store_poll(source, items, o);
        ASSERT_TRUE(r) << r.error().message;
    }

    // The period 2026-01-01 to 2026-06-01; the previous one is 2025-08-03 to 2026-01-01.
    Participation count(ParticipationQuery q, const OrgTable& orgs = OrgTable::builtin()) {
        q.from = at("2026-01-01T00:00:00Z");
        q.to = at("2026-06-01T00:00:00Z");
        auto r = store_->participation(q, orgs);
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : Participation{};
    }

    static std::map<std::string, std::pair<std::int64_t, std::int64_t>> table(
        const std::vector<OrgCount>& v) {
        std::map<std::string, std::pair<std::int64_t, std::int64_t>> out;
        for (const auto& o : v) out[o.name] = {o.count, o.previous};
        return out;
    }

    fs::path dir_;
    ManualClock clock_{*parse_iso("2026-06-01T00:00:00Z")};
    std::unique_ptr<Store> store_;
};

}  // namespace

TEST_F(ParticipationTest, countsEachOrganizationInThePeriodAndTheOneBefore) {
    const Participation p = count({});
    using P = std::pair<std::int64_t, std::int64_t>;
    const auto orgs = table(p.organizations);
    EXPECT_EQ(orgs.at("Huawei"), (P{2, 1}));
    EXPECT_EQ(orgs.at("Ericsson"), (P{2, 1}));
    EXPECT_EQ(orgs.at("HiSilicon"), (P{1, 0}));
    EXPECT_EQ(orgs.at("Nokia Shanghai Bell"), (P{1, 0}));
    EXPECT_EQ(orgs.count("Nokia"), 0u);  // 2024: before both periods
    EXPECT_EQ(p.items, 5);               // R1-1, R1-2, R1-3, S2-1, draft-a
    EXPECT_EQ(p.previous_items, 1);      // R1-4
    // Most first; ties by the previous period, then by name.
    EXPECT_EQ(p.organizations.front().name, "Ericsson");
    EXPECT_EQ(p.organizations.front().country, "SE");
}

TEST_F(ParticipationTest, countriesCountAnItemOnce) {
    const auto countries = table(count({}).countries);
    using P = std::pair<std::int64_t, std::int64_t>;
    // R1-1 names Huawei and HiSilicon, both Chinese: one contribution from CN.
    EXPECT_EQ(countries.at("CN"), (P{4, 1}));  // R1-1, R1-3, S2-1, draft-a (Alibaba); R1-4
    EXPECT_EQ(countries.at("SE"), (P{2, 1}));
}

TEST_F(ParticipationTest, bodyGroupAndQueryNarrowTheCount) {
    ParticipationQuery q;
    q.body = "3gpp";
    auto orgs = table(count(q).organizations);
    EXPECT_EQ(orgs.count("Alibaba"), 0u);
    EXPECT_EQ(orgs.at("Ericsson").first, 1);
    q.group = "3GPP SA2";
    orgs = table(count(q).organizations);
    EXPECT_EQ(orgs.size(), 1u);
    EXPECT_EQ(orgs.count("Nokia Shanghai Bell"), 1u);
    ParticipationQuery fts;
    fts.query = "6G";
    const Participation p = count(fts);
    orgs = table(p.organizations);
    EXPECT_EQ(orgs.at("Huawei").first, 1);  // R1-3 (NR MIMO) does not match
    EXPECT_EQ(p.items, 3);
}

TEST_F(ParticipationTest, anInvalidQueryIsAnErrorQuotingIt) {
    ParticipationQuery q;
    q.query = "AND OR";
    q.from = 0;
    q.to = at("2026-06-01T00:00:00Z");
    auto r = store_->participation(q, OrgTable::builtin());
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("invalid query 'AND OR'"));
}

TEST_F(ParticipationTest, aliasesAddedLaterCountItemsStoredBefore) {
    const OrgTable folded({{"Nokia", "FI", {"Nokia Shanghai Bell"}}});
    const auto orgs = table(count({}, folded).organizations);
    EXPECT_EQ(orgs.count("Nokia Shanghai Bell"), 0u);
    EXPECT_EQ(orgs.at("Nokia").first, 1);
}

TEST_F(ParticipationTest, anItemWithoutADateCountsWhenFirstSeen) {
    Item undated = contribution("R1-9", "LS", {"RAN1"}, "");
    store("ran1", {undated});  // first seen 2026-06-01, the end of the period
    EXPECT_EQ(table(count({}).organizations).at("RAN1").first, 1);
}
