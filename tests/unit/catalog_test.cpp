// The shipped catalog (config/specwatch.toml) and topic rules (config/topics.toml)
// against fixtures modeled on the bodies' real documents (SOURCES.md): every
// catalog source parses its fixture, with its own format, rules and URL, into
// the items its manifest tests/fixtures/catalog/<source>.json expects, so a
// broken preset fails CI; and every topic rule catches what it must and not
// what it must not, through the daemon's own alert matching.
#include "alerts/alerts.h"
#include "common/clock.h"
#include "config/config.h"
#include "parsers/parse.h"
#include "storage/store.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace specwatch;
namespace fs = std::filesystem;

namespace {

const fs::path kConfigDir = SPECWATCH_CONFIG_DIR;
const fs::path kCatalogFixtures = fs::path(SPECWATCH_FIXTURES) / "catalog";

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

config::Config shipped_config() {
    auto c = config::load_file((kConfigDir / "specwatch.toml").string());
    if (!c) {
        std::string all;
        for (const auto& p : c.error()) all += p.to_string() + "\n";
        ADD_FAILURE() << "the shipped config does not load:\n" << all;
        return {};
    }
    return std::move(*c);
}

// The manifest's value of `field` on `it`, as text (categories and
// organizations joined by "|").
std::string field_of(const Item& it, const std::string& field) {
    static const std::map<std::string, std::string Item::*> kFields{{"id", &Item::id},
                                                                    {"link", &Item::link},
                                                                    {"title", &Item::title},
                                                                    {"summary", &Item::summary},
                                                                    {"content", &Item::content},
                                                                    {"author", &Item::author},
                                                                    {"published", &Item::published},
                                                                    {"updated", &Item::updated},
                                                                    {"start", &Item::start},
                                                                    {"end", &Item::end},
                                                                    {"location", &Item::location}};
    if (field == "categories" || field == "organizations") {
        std::string out;
        for (const auto& c : field == "categories" ? it.categories : it.organizations)
            out += (out.empty() ? "" : "|") + c;
        return out;
    }
    auto f = kFields.find(field);
    if (f == kFields.end()) {
        ADD_FAILURE() << "unknown field '" << field << "' in a manifest";
        return {};
    }
    return it.*(f->second);
}

std::string expected_text(const nlohmann::json& v) {
    if (v.is_array()) {
        std::string out;
        for (const auto& c : v) out += (out.empty() ? "" : "|") + c.get<std::string>();
        return out;
    }
    return v.get<std::string>();
}

// ---- the catalog ----

TEST(CatalogTest, theShippedConfigLoadsWithEveryBodysSourcesEnabled) {
    const auto cfg = shipped_config();
    ASSERT_FALSE(cfg.sources.empty());
    std::set<std::string> bodies;
    for (const auto& s : cfg.sources) {
        SCOPED_TRACE(s.name);
        bodies.insert(s.body);
        // Only a preset that needs the user's choice ships disabled: the
        // TDoc list of one meeting, whose id the user puts in.
        EXPECT_TRUE(s.enabled || s.url.find("MEETING_ID") != std::string::npos);
        EXPECT_FALSE(s.group.empty()) << "every catalog source names its group";
        EXPECT_TRUE(s.url.starts_with("https://")) << s.url;
        // News hourly, meeting calendars twice a day (SOURCES.md, "Manners");
        // a meeting's document list while it runs, a draft's page daily.
        const auto tagged = [&](const char* tag) {
            return std::find(s.tags.begin(), s.tags.end(), tag) != s.tags.end();
        };
        const auto expected = tagged("meetings") ? 12 * 3600
                              : tagged("tdoc")   ? 6 * 3600
                              : tagged("draft")  ? 24 * 3600
                                                 : 3600;
        EXPECT_EQ(s.interval.count(), expected);
    }
    EXPECT_EQ(bodies, (std::set<std::string>{"ITU", "3GPP", "IETF", "W3C", "ETSI", "IEEE SA",
                                             "ICANN", "IGF", "UN"}));
    // Every 3GPP TSG and working group calendar, each under its group's name.
    const std::map<std::string, std::string> calendars{
        {"SP", "3GPP TSG SA"}, {"CP", "3GPP TSG CT"}, {"RP", "3GPP TSG RAN"}, {"S1", "3GPP SA1"},
        {"S2", "3GPP SA2"},    {"S3", "3GPP SA3"},    {"S4", "3GPP SA4"},     {"S5", "3GPP SA5"},
        {"S6", "3GPP SA6"},    {"R1", "3GPP RAN1"},   {"R2", "3GPP RAN2"},    {"R3", "3GPP RAN3"},
        {"R4", "3GPP RAN4"},   {"R5", "3GPP RAN5"},   {"C1", "3GPP CT1"},     {"C3", "3GPP CT3"},
        {"C4", "3GPP CT4"},    {"C6", "3GPP CT6"}};
    for (const auto& [code, group] : calendars) {
        const std::string url = "https://www.3gpp.org/dynareport?code=Meetings-" + code + ".htm";
        auto it = std::find_if(cfg.sources.begin(), cfg.sources.end(),
                               [&](const config::Source& s) { return s.url == url; });
        ASSERT_NE(it, cfg.sources.end()) << "no calendar for " << code;
        EXPECT_EQ(it->group, group);
        EXPECT_EQ(it->format, "html");
    }
}

TEST(CatalogTest, everySourceParsesItsFixtureIntoTheExpectedItems) {
    const auto cfg = shipped_config();
    std::set<std::string> manifests;
    for (const auto& e : fs::directory_iterator(kCatalogFixtures))
        if (e.path().extension() == ".json" && e.path().stem() != "topics")
            manifests.insert(e.path().stem().string());
    for (const auto& s : cfg.sources) {
        SCOPED_TRACE("source " + s.name);
        const fs::path manifest_path = kCatalogFixtures / (s.name + ".json");
        if (!manifests.erase(s.name)) {
            ADD_FAILURE() << "catalog source '" << s.name << "' (specwatch.toml:" << s.line
                          << ") has no fixture: add " << manifest_path.string()
                          << " naming a document modeled on its real one and the items it holds";
            continue;
        }
        const auto manifest = nlohmann::json::parse(read_file(manifest_path));
        const fs::path fixture = kCatalogFixtures / manifest.at("fixture").get<std::string>();
        ASSERT_TRUE(fs::exists(fixture)) << fixture;
        parse::Options o;
        o.format = s.format;
        o.base_url = s.url;
        o.source = &s;
        o.now = std::chrono::time_point_cast<std::chrono::seconds>(
            parse_iso("2026-03-16T00:00:00Z").value());
        auto feed = parse::parse(read_file(fixture), o);
        ASSERT_TRUE(feed) << fixture << ": " << feed.error().message;
        if (manifest.contains("format")) {
            EXPECT_EQ(feed->format, manifest["format"].get<std::string>());
        }
        ASSERT_EQ(feed->items.size(), manifest.at("count").get<std::size_t>()) << fixture;
        const auto& expected = manifest.at("items");
        ASSERT_LE(expected.size(), feed->items.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            for (const auto& [field, value] : expected[i].items()) {
                EXPECT_EQ(field_of(feed->items[i], field), expected_text(value))
                    << fixture.filename().string() << " item " << i << " field " << field;
            }
        }
    }
    for (const auto& orphan : manifests)
        ADD_FAILURE() << "tests/fixtures/catalog/" << orphan
                      << ".json names no source of the shipped config";
}

// ---- the topic rules ----

std::vector<config::Rule> rules_of(std::string_view toml, const std::string& path) {
    auto c = config::load_string(toml, path);
    if (!c) {
        std::string all;
        for (const auto& p : c.error()) all += p.to_string() + "\n";
        ADD_FAILURE() << all;
        return {};
    }
    return c->rules;
}

TEST(TopicFiles, theExampleConfigCarriesTheTopicsFileCommentedOut) {
    const std::string example = read_file(kConfigDir / "specwatch.toml");
    const auto start = example.find("#[[rule]]\n#name = \"topic-");
    ASSERT_NE(start, std::string::npos) << "no commented-out topic rules in specwatch.toml";
    std::string uncommented;
    std::istringstream lines(example.substr(start));
    for (std::string line; std::getline(lines, line);) {
        ASSERT_TRUE(line.starts_with("#")) << line;
        uncommented += line.substr(1) + "\n";
    }
    const auto shipped = rules_of(read_file(kConfigDir / "topics.toml"), "topics.toml");
    const auto commented = rules_of(uncommented, "specwatch.toml");
    ASSERT_EQ(shipped.size(), 9u);
    ASSERT_EQ(commented.size(), shipped.size());
    for (std::size_t i = 0; i < shipped.size(); ++i) {
        EXPECT_EQ(commented[i].name, shipped[i].name);
        EXPECT_EQ(commented[i].query, shipped[i].query);
        EXPECT_TRUE(shipped[i].to.empty()) << "topic rules are watch lists";
    }
}

class TopicsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("specwatch-topics-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override {
        db_.reset();
        fs::remove_all(dir_);
    }
    fs::path dir_;
    ManualClock clock_{parse_iso("2026-03-16T09:00:00Z").value()};
    std::unique_ptr<storage::Store> db_;
};

TEST_F(TopicsTest, eachTopicCatchesWhatItMustAndNotWhatItMustNot) {
    // A config that includes the shipped topics file, as a user's would.
    const std::string main = "include = [\"" + (kConfigDir / "topics.toml").string() +
                             "\"]\n[daemon]\nfirst_poll = \"alert\"\n"
                             "[[source]]\nname = \"texts\"\nbody = \"ITU\"\n"
                             "url = \"https://example.org/texts\"\n";
    auto loaded = config::load_string(main, (dir_ / "specwatch.toml").string());
    ASSERT_TRUE(loaded) << loaded.error().front().to_string();
    const config::Config cfg = std::move(*loaded);
    ASSERT_EQ(cfg.rules.size(), 9u);

    const auto cases = nlohmann::json::parse(read_file(kCatalogFixtures / "topics.json"));
    std::vector<Item> items;
    for (const auto& [rule, texts] : cases.items()) {
        if (rule.starts_with("_")) continue;
        for (const char* kind : {"must", "must_not"})
            for (const auto& text : texts.at(kind)) {
                Item it;
                it.id = rule + "/" + kind + "/" + std::to_string(items.size());
                it.title = text.get<std::string>();
                it.link = "https://example.org/" + it.id;
                items.push_back(std::move(it));
            }
    }
    db_ = storage::Store::open((dir_ / "db").string(), clock_).value();
    ASSERT_TRUE(db_->sync_sources(cfg.sources));
    storage::FetchOutcome ok;
    ok.when = to_unix(clock_.now());
    ok.http_status = 200;
    ok.next_poll = ok.when + 3600;
    auto r = db_->store_poll(
        "texts", items, ok,
        [&](storage::sql::StatementCache& st, storage::StoreResult& batch) -> Result<void> {
            auto n = alerts::match_batch(st, cfg, "texts", batch, clock_.now());
            if (!n) return n.error();
            batch.alerts = *n;
            return {};
        });
    ASSERT_TRUE(r) << r.error().message;

    for (const auto& rule : cfg.rules) {
        SCOPED_TRACE(rule.name + ": " + rule.query);
        ASSERT_TRUE(cases.contains(rule.name)) << "topics.json has no cases for this rule";
        auto rows = alerts::list_alerts(db_->statements(), rule.name, std::nullopt, 1000);
        ASSERT_TRUE(rows);
        std::set<std::string> caught;
        for (const auto& a : *rows) {
            caught.insert(a.title);
            EXPECT_EQ(a.state, "nomail") << "a rule without 'to' mails nothing";
        }
        for (const auto& text : cases[rule.name].at("must"))
            EXPECT_TRUE(caught.count(text.get<std::string>())) << "must catch: " << text;
        for (const auto& text : cases[rule.name].at("must_not"))
            EXPECT_FALSE(caught.count(text.get<std::string>())) << "must not catch: " << text;
    }
}

}  // namespace
