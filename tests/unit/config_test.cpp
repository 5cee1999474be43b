#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace specwatch::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace fs = std::filesystem;

constexpr const char* kPath = "/etc/specwatch/test.toml";

// Loads `text` and expects success, printing the problems otherwise.
Config load_ok(std::string_view text, const std::string& path = kPath) {
    auto r = load_string(text, path);
    if (!r) {
        std::string all;
        for (const auto& p : r.error()) all += p.to_string() + "\n";
        ADD_FAILURE() << "expected the config to load, got:\n" << all;
        return {};
    }
    return *r;
}

// Loads `text` and expects failure; returns the problems as printed.
std::vector<std::string> load_bad(std::string_view text) {
    auto r = load_string(text, kPath);
    EXPECT_FALSE(r) << "expected problems";
    std::vector<std::string> out;
    if (!r)
        for (const auto& p : r.error()) out.push_back(p.to_string());
    return out;
}

// Sets (or unsets, with nullopt) an environment variable for one test.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            ::setenv(name, value->c_str(), 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* name_;
    std::optional<std::string> old_;
};

class TempDir : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "specwatch-config-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, std::string_view text) {
        const auto path = dir_ / name;
        std::ofstream(path) << text;
        return path.string();
    }

    fs::path dir_;
};

constexpr const char* kFull = R"(# a config with every key
[daemon]
database = "/srv/sw/specwatch.db"
socket = "/srv/sw/control.sock"
user_agent = "test-agent/1.0"
default_interval = "2h"
max_parallel = 32
max_per_host = 4
timeout = "90s"
max_body = "8MiB"
proxy = "http://proxy:3128"
first_poll = "alert"

[mail]
transport = "smtp"
url = "smtps://mail.example.org:465"
tls = "none"
user = "sw"
password_file = "/etc/specwatch/smtp-password"
from = "specwatch <sw@example.org>"
retry_for = "3d"
health_to = ["admin@example.org", "ops@example.org"]
health_after = "12h"

[[source]]
name = "itu-news"
body = "ITU"
group = "ITU-T SG17"
url = "https://www.itu.int/hub/feed/"
format = "rss"
interval = "30m"
enabled = false
allow_private = true
tags = ["news", "itu"]

[[source]]
name = "3gpp-ran1"
body = "3GPP"
url = "https://www.3gpp.org/dynareport?code=Meetings-R1.htm"
format = "html"
  [source.html]
  item = "//tr[td]"
  title = "td[2]"
  link = "td[2]//a/@href"
  date = "td[1]"
  id = "td[1]"
  summary = "td[3]"
  start = "td[4]"
  end = "td[5]"
  location = "td[6]"

[[source]]
name = "ietf-meetings"
body = "IETF"
url = "https://datatracker.ietf.org/api/v1/meeting/meeting/?type=ietf&format=json"
format = "json"
  [source.json]
  items = "objects"
  next = "meta.next"
  title = "number"
  start = "date"
  location = "city"

[[source]]
name = "tdocs"
body = "3GPP"
url = "file:///var/lib/specwatch/tdocs.xlsx"
format = "xlsx"
  [source.xlsx]
  id = "TDoc"
  title = "Title"
  organizations = "Source"

[[rule]]
name = "5g"
query = '5G OR "IMT-2020" OR "IMT-2030" OR 6G'
bodies = ["ITU", "3GPP"]
organizations = ["Ericsson"]
sources = ["itu-*", "3gpp-[a-z]*"]
on = ["new", "changed"]
to = ["analyst@example.org"]
delivery = "digest"
digest_at = "07:45"
remind_before = ["30d", "7d"]
)";

TEST(ConfigLoad, fullConfigLoadsWithEveryValue) {
    const Config c = load_ok(kFull);
    EXPECT_EQ(c.path, kPath);

    EXPECT_EQ(c.daemon.database, "/srv/sw/specwatch.db");
    EXPECT_EQ(c.daemon.socket, "/srv/sw/control.sock");
    EXPECT_EQ(c.daemon.user_agent, "test-agent/1.0");
    EXPECT_EQ(c.daemon.default_interval, Seconds{7200});
    EXPECT_EQ(c.daemon.max_parallel, 32);
    EXPECT_EQ(c.daemon.max_per_host, 4);
    EXPECT_EQ(c.daemon.timeout, Seconds{90});
    EXPECT_EQ(c.daemon.max_body, 8u * 1024 * 1024);
    EXPECT_EQ(c.daemon.proxy, "http://proxy:3128");
    EXPECT_TRUE(c.daemon.first_poll_alerts);

    EXPECT_EQ(c.mail.transport, Transport::smtp);
    EXPECT_EQ(c.mail.url, "smtps://mail.example.org:465");
    EXPECT_EQ(c.mail.tls, Tls::none);
    EXPECT_EQ(c.mail.user, "sw");
    EXPECT_EQ(c.mail.password_file, "/etc/specwatch/smtp-password");
    EXPECT_EQ(c.mail.from, "specwatch <sw@example.org>");
    EXPECT_EQ(c.mail.retry_for, Seconds{3 * 86400});
    EXPECT_THAT(c.mail.health_to, ElementsAre("admin@example.org", "ops@example.org"));
    EXPECT_EQ(c.mail.health_after, Seconds{12 * 3600});

    ASSERT_EQ(c.sources.size(), 4u);
    const Source& itu = c.sources[0];
    EXPECT_EQ(itu.name, "itu-news");
    EXPECT_EQ(itu.body, "ITU");
    EXPECT_EQ(itu.group, "ITU-T SG17");
    EXPECT_EQ(itu.url, "https://www.itu.int/hub/feed/");
    EXPECT_EQ(itu.format, "rss");
    EXPECT_EQ(itu.interval, Seconds{1800});
    EXPECT_FALSE(itu.enabled);
    EXPECT_TRUE(itu.allow_private);
    EXPECT_THAT(itu.tags, ElementsAre("news", "itu"));
    EXPECT_EQ(itu.line, 25);

    const Source& ran1 = c.sources[1];
    EXPECT_EQ(ran1.format, "html");
    EXPECT_EQ(ran1.interval, Seconds{7200}) << "default_interval applies";
    EXPECT_EQ(ran1.html.item, "//tr[td]");
    EXPECT_EQ(ran1.html.title, "td[2]");
    EXPECT_EQ(ran1.html.link, "td[2]//a/@href");
    EXPECT_EQ(ran1.html.date, "td[1]");
    EXPECT_EQ(ran1.html.id, "td[1]");
    EXPECT_EQ(ran1.html.summary, "td[3]");
    EXPECT_EQ(ran1.html.start, "td[4]");
    EXPECT_EQ(ran1.html.end, "td[5]");
    EXPECT_EQ(ran1.html.location, "td[6]");

    const Source& ietf = c.sources[2];
    EXPECT_EQ(ietf.json.items, "objects");
    EXPECT_EQ(ietf.json.next, "meta.next");
    EXPECT_EQ(ietf.json.fields, (std::map<std::string, std::string>{
                                    {"title", "number"}, {"start", "date"}, {"location", "city"}}));

    const Source& tdocs = c.sources[3];
    EXPECT_EQ(tdocs.url, "file:///var/lib/specwatch/tdocs.xlsx");
    EXPECT_EQ(tdocs.xlsx.fields,
              (std::map<std::string, std::string>{
                  {"id", "TDoc"}, {"title", "Title"}, {"organizations", "Source"}}));

    ASSERT_EQ(c.rules.size(), 1u);
    const Rule& r = c.rules[0];
    EXPECT_EQ(r.name, "5g");
    EXPECT_EQ(r.query, R"(5G OR "IMT-2020" OR "IMT-2030" OR 6G)");
    EXPECT_THAT(r.bodies, ElementsAre("ITU", "3GPP"));
    EXPECT_THAT(r.organizations, ElementsAre("Ericsson"));
    EXPECT_THAT(r.sources, ElementsAre("itu-*", "3gpp-[a-z]*"));
    EXPECT_TRUE(r.on_new);
    EXPECT_TRUE(r.on_changed);
    EXPECT_THAT(r.to, ElementsAre("analyst@example.org"));
    EXPECT_EQ(r.delivery, Delivery::digest);
    EXPECT_EQ(r.digest_minute, 7 * 60 + 45);
    EXPECT_THAT(r.remind_before, ElementsAre(Seconds{30 * 86400}, Seconds{7 * 86400}));

    EXPECT_EQ(c.find_source("tdocs"), &c.sources[3]);
    EXPECT_EQ(c.find_source("nope"), nullptr);
}

// find_source reads the loader's index, and still answers for a Config that
// was copied, or changed by hand after loading (the index then misses).
TEST(ConfigLoad, findSourceByIndexAndAfterChanges) {
    std::string text;
    for (int i = 0; i < 50; ++i)
        text += fmt::format(
            "[[source]]\nname = \"s{}\"\nbody = \"ITU\"\nurl = \"https://example.org/{}\"\n", i, i);
    const Config c = load_ok(text);
    ASSERT_EQ(c.sources.size(), 50u);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(c.find_source(fmt::format("s{}", i)), &c.sources[i]);
    EXPECT_EQ(c.find_source("s50"), nullptr);
    EXPECT_EQ(c.find_source(""), nullptr);

    Config copy = c;
    EXPECT_EQ(copy.find_source("s7"), &copy.sources[7]);
    copy.sources.erase(copy.sources.begin());  // every position moves by one
    EXPECT_EQ(copy.find_source("s0"), nullptr);
    EXPECT_EQ(copy.find_source("s7"), &copy.sources[6]);
    Source extra;
    extra.name = "added";
    copy.sources.push_back(extra);
    EXPECT_EQ(copy.find_source("added"), &copy.sources.back());
    copy.index_sources();
    EXPECT_EQ(copy.find_source("s7"), &copy.sources[6]);
    EXPECT_EQ(copy.find_source("added"), &copy.sources.back());
}

TEST(ConfigLoad, emptyFileGivesTheDefaults) {
    const Config c = load_ok("");
    EXPECT_TRUE(c.daemon.database.empty());
    EXPECT_TRUE(c.daemon.socket.empty());
    EXPECT_EQ(c.daemon.user_agent, default_user_agent());
    EXPECT_EQ(c.daemon.default_interval, Seconds{3600});
    EXPECT_EQ(c.daemon.max_parallel, 16);
    EXPECT_EQ(c.daemon.max_per_host, 2);
    EXPECT_EQ(c.daemon.timeout, Seconds{60});
    EXPECT_EQ(c.daemon.max_body, 16u * 1024 * 1024);
    EXPECT_FALSE(c.daemon.first_poll_alerts);
    EXPECT_EQ(c.mail.transport, Transport::none);
    EXPECT_EQ(c.mail.url, "smtp://127.0.0.1:25");
    EXPECT_EQ(c.mail.retry_for, Seconds{5 * 86400});
    EXPECT_TRUE(c.sources.empty());
    EXPECT_TRUE(c.rules.empty());
}

TEST(ConfigLoad, sourceAndRuleDefaultsApply) {
    const Config c = load_ok(R"([[source]]
name = "a"
body = "ITU"
url = "https://example.org/feed"

[[rule]]
name = "r"
query = "quic"
to = ["x@example.org"]
)");
    ASSERT_EQ(c.sources.size(), 1u);
    EXPECT_EQ(c.sources[0].format, "auto");
    EXPECT_EQ(c.sources[0].interval, Seconds{3600});
    EXPECT_TRUE(c.sources[0].enabled);
    EXPECT_FALSE(c.sources[0].allow_private);
    EXPECT_TRUE(c.sources[0].group.empty());
    ASSERT_EQ(c.rules.size(), 1u);
    EXPECT_TRUE(c.rules[0].on_new);
    EXPECT_FALSE(c.rules[0].on_changed);
    EXPECT_EQ(c.rules[0].delivery, Delivery::immediate);
    EXPECT_EQ(c.rules[0].digest_minute, 8 * 60);
    EXPECT_TRUE(c.rules[0].sources.empty());
}

TEST(ConfigLoad, defaultIntervalAppliesEvenWhenDaemonComesAfterTheSources) {
    const Config c = load_ok(R"([[source]]
name = "a"
body = "ITU"
url = "https://example.org/feed"

[[source]]
name = "b"
body = "ITU"
url = "https://example.org/other"
interval = "10m"

[daemon]
default_interval = "6h"
)");
    ASSERT_EQ(c.sources.size(), 2u);
    EXPECT_EQ(c.sources[0].interval, Seconds{6 * 3600});
    EXPECT_EQ(c.sources[1].interval, Seconds{600});
}

TEST(ConfigLoad, invalidDurationNamesFileAndLine) {
    const auto problems = load_bad(R"([[source]]
name = "x"
body = "ITU"
url = "https://example.org/feed"
interval = "often"
)");
    EXPECT_THAT(problems, ElementsAre("/etc/specwatch/test.toml:5: source 'x': invalid duration "
                                      "'often' (expected e.g. \"90s\", \"30m\", \"1h\", \"1d\")"));
}

TEST(ConfigLoad, everyProblemIsReportedInLineOrder) {
    // [daemon] is read before the sources, yet its problem sorts after theirs.
    auto r = load_string(R"([[source]]
name = "x"
body = "ITU"
url = "ftp://example.org/feed"
interval = "often"

[[rule]]
name = "r"
query = "5G AND"
to = ["a@example.org"]

[daemon]
max_parallel = "many"
)",
                         kPath);
    ASSERT_FALSE(r);
    const auto& problems = r.error();
    ASSERT_EQ(problems.size(), 4u);
    EXPECT_EQ(problems[0].line, 4);
    EXPECT_THAT(problems[0].message, HasSubstr("url 'ftp://example.org/feed'"));
    EXPECT_EQ(problems[1].line, 5);
    EXPECT_THAT(problems[1].message, HasSubstr("invalid duration 'often'"));
    EXPECT_EQ(problems[2].line, 9);
    EXPECT_THAT(problems[2].message, HasSubstr("rule 'r': invalid query '5G AND'"));
    EXPECT_EQ(problems[3].line, 13);
    EXPECT_EQ(problems[3].message, "[daemon] 'max_parallel' must be an integer, not a string");
    for (const auto& p : problems) EXPECT_EQ(p.file, kPath);
}

TEST(ConfigLoad, unknownKeysAreErrorsWithTheirLineAndASuggestion) {
    const auto problems = load_bad(R"(colour = "blue"
[daemon]
max_paralel = 4

[[source]]
name = "x"
body = "ITU"
url = "https://example.org/feed"
intervall = "1h"
  [source.html]
  item = "//li"
  titel = "a"
  [source.json]
  itmes = "objects"
  [source.xlsx]
  organisation = "Source"

[[rule]]
name = "r"
query = "quic"
to = ["a@example.org"]
zzz = 1

[mail]
transprt = "none"

[[sources]]
name = "y"
)");
    EXPECT_THAT(
        problems,
        ElementsAre(
            "/etc/specwatch/test.toml:1: unknown key 'colour' at the top level",
            "/etc/specwatch/test.toml:3: unknown key 'max_paralel' in [daemon] (did you mean "
            "'max_parallel'?)",
            "/etc/specwatch/test.toml:9: unknown key 'intervall' in [[source]] (did you mean "
            "'interval'?)",
            "/etc/specwatch/test.toml:12: unknown key 'titel' in [source.html] (did you mean "
            "'title'?)",
            "/etc/specwatch/test.toml:14: unknown key 'itmes' in [source.json] (did you mean "
            "'items'?)",
            "/etc/specwatch/test.toml:16: unknown key 'organisation' in [source.xlsx] (did you "
            "mean 'organizations'?)",
            "/etc/specwatch/test.toml:22: unknown key 'zzz' in [[rule]]",
            "/etc/specwatch/test.toml:25: unknown key 'transprt' in [mail] (did you mean "
            "'transport'?)",
            "/etc/specwatch/test.toml:27: unknown key 'sources' at the top level (did you mean "
            "'source'?)"));
}

TEST(ConfigLoad, duplicateNamesPointAtTheFirstDefinition) {
    const auto problems = load_bad(R"([[source]]
name = "x"
body = "ITU"
url = "https://example.org/a"

[[source]]
name = "x"
body = "ITU"
url = "https://example.org/b"

[[rule]]
name = "r"
query = "a"
to = ["a@example.org"]

[[rule]]
name = "r"
query = "b"
to = ["a@example.org"]
)");
    EXPECT_THAT(problems,
                ElementsAre("/etc/specwatch/test.toml:7: duplicate source name 'x' (first "
                            "defined at line 2)",
                            "/etc/specwatch/test.toml:17: duplicate rule name 'r' (first defined "
                            "at line 12)"));
}

TEST(ConfigLoad, namesWithOtherCharactersAreRefused) {
    const auto problems = load_bad(R"([[source]]
name = "itu news"
body = "ITU"
url = "https://example.org/a"
)");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_THAT(problems[0], HasSubstr(":2: source name 'itu news' is invalid"));
}

TEST(ConfigLoad, invalidFtsQueriesCarrySqlitesMessage) {
    const auto problems = load_bad(R"([[rule]]
name = "syntax"
query = '5G AND'
to = ["a@example.org"]

[[rule]]
name = "column"
query = 'nosuchcolumn:5G'
to = ["a@example.org"]

[[rule]]
name = "fine"
query = 'title:5G OR "IMT-2030" NOT summary:draft*'
to = ["a@example.org"]
)");
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_THAT(problems[0], HasSubstr(":3: rule 'syntax': invalid query '5G AND': fts5: syntax "
                                       "error"));
    EXPECT_EQ(problems[1],
              "/etc/specwatch/test.toml:8: rule 'column': invalid query 'nosuchcolumn:5G': no "
              "such column: nosuchcolumn");
}

TEST(ConfigLoad, wrongTypesAreReportedWithWhatWasFound) {
    const auto problems = load_bad(R"([daemon]
max_parallel = "16"
timeout = 60
first_poll = true

[[source]]
name = "x"
body = "ITU"
url = "https://example.org/a"
enabled = "yes"
tags = "news"

[[rule]]
name = "r"
query = "a"
to = "a@example.org"
on = ["new", 1]
)");
    EXPECT_THAT(
        problems,
        ElementsAre(
            "/etc/specwatch/test.toml:2: [daemon] 'max_parallel' must be an integer, not a "
            "string",
            "/etc/specwatch/test.toml:3: [daemon] 'timeout' must be a duration string such as "
            "\"1h\", not an integer",
            "/etc/specwatch/test.toml:4: [daemon] 'first_poll' must be a string, not a boolean",
            "/etc/specwatch/test.toml:10: source 'x': 'enabled' must be a boolean (true or "
            "false), not a string",
            "/etc/specwatch/test.toml:11: source 'x': 'tags' must be an array of strings, not a "
            "string",
            "/etc/specwatch/test.toml:16: rule 'r': 'to' must be an array of strings, not a "
            "string",
            "/etc/specwatch/test.toml:17: rule 'r': 'on' must be an array of strings, but holds "
            "an integer"));
}

TEST(ConfigLoad, tablesWrittenAsTheWrongKindAreReported) {
    const auto problems = load_bad(R"(daemon = 1
[source]
name = "x"
)");
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_THAT(problems[0], HasSubstr(":1: 'daemon' must be a table ([daemon]), not an integer"));
    EXPECT_THAT(problems[1], HasSubstr("'source' must be an array of tables (write [[source]])"));
}

TEST(ConfigLoad, missingRequiredKeysAreReportedAtTheTable) {
    const auto problems = load_bad(R"([[source]]
format = "html"

[[source]]
name = "h"
body = ""
url = "https://example.org/a"
format = "html"
  [source.html]
  item = "//li"

[[rule]]
name = "r"
)");
    EXPECT_THAT(
        problems,
        ElementsAre("/etc/specwatch/test.toml:1: [[source]] has no 'name'",
                    "/etc/specwatch/test.toml:1: [[source]] 'body' is required (the standards "
                    "body, e.g. \"ITU\")",
                    "/etc/specwatch/test.toml:1: [[source]] 'url' is required",
                    "/etc/specwatch/test.toml:1: [[source]] format = \"html\" needs 'item' in "
                    "[source.html]",
                    "/etc/specwatch/test.toml:1: [[source]] format = \"html\" needs 'title' in "
                    "[source.html]",
                    "/etc/specwatch/test.toml:4: source 'h': format = \"html\" needs 'title' in "
                    "[source.html]",
                    "/etc/specwatch/test.toml:6: source 'h': 'body' is required (the standards "
                    "body, e.g. \"ITU\")",
                    "/etc/specwatch/test.toml:12: rule 'r': 'query' is required (an FTS5 query "
                    "such as '5G OR 6G')"));
}

TEST(ConfigLoad, aRuleWithoutToIsAWatchList) {
    const auto c = load_ok(R"([mail]
transport = "smtp"
[[rule]]
name = "topic-quantum"
query = "quantum OR QKD"
)");
    ASSERT_EQ(c.rules.size(), 1u);
    EXPECT_TRUE(c.rules[0].to.empty());
}

TEST(ConfigLoad, valuesOutsideTheirRangesAreRefused) {
    const auto problems = load_bad(R"([daemon]
max_parallel = 0
max_per_host = 101
timeout = "2h"
max_body = "512"
default_interval = "59s"

[[source]]
name = "x"
body = "ITU"
url = "https://example.org/a"
interval = "30s"
)");
    EXPECT_THAT(
        problems,
        ElementsAre(
            "/etc/specwatch/test.toml:2: [daemon] 'max_parallel' must be between 1 and 1000, "
            "not 0",
            "/etc/specwatch/test.toml:3: [daemon] 'max_per_host' must be between 1 and 100, not "
            "101",
            "/etc/specwatch/test.toml:4: [daemon] 'timeout' must be between 1s and 1h, not '2h'",
            "/etc/specwatch/test.toml:5: [daemon] 'max_body' must be between 1KiB and 1GiB, not "
            "'512'",
            "/etc/specwatch/test.toml:6: [daemon] 'default_interval' must be at least 1m "
            "(polling more often is impolite), not '59s'",
            "/etc/specwatch/test.toml:12: source 'x': 'interval' must be at least 1m (polling "
            "more often is impolite), not '30s'"));
}

TEST(ConfigLoad, rangeLimitsThemselvesAreAccepted) {
    const Config c = load_ok(R"([daemon]
max_parallel = 1000
max_per_host = 100
timeout = "1h"
max_body = "1GiB"
default_interval = "1m"
)");
    EXPECT_EQ(c.daemon.max_parallel, 1000);
    EXPECT_EQ(c.daemon.max_per_host, 100);
    EXPECT_EQ(c.daemon.timeout, Seconds{3600});
    EXPECT_EQ(c.daemon.max_body, 1024u * 1024 * 1024);
    EXPECT_EQ(c.daemon.default_interval, Seconds{60});
}

TEST(ConfigLoad, enumeratedValuesListTheChoices) {
    const auto problems = load_bad(R"([daemon]
first_poll = "never"

[mail]
transport = "pigeon"
url = "http://mail.example.org"
tls = "ssl"

[[source]]
name = "x"
body = "ITU"
url = "https://example.org/a"
format = "pdf"

[[rule]]
name = "r"
query = "a"
to = ["a@example.org"]
on = ["deleted"]
delivery = "weekly"
digest_at = "24:00"
)");
    EXPECT_THAT(
        problems,
        ElementsAre(
            HasSubstr(":2: [daemon] 'first_poll' must be one of \"baseline\", \"alert\", not "
                      "\"never\""),
            HasSubstr(":5: [mail] 'transport' must be one of \"smtp\", \"sendmail\", \"none\""),
            HasSubstr(":6: [mail] 'url' must start with smtp:// or smtps://"),
            HasSubstr(":7: [mail] 'tls' must be one of \"starttls\", \"none\""),
            HasSubstr(":13: source 'x': 'format' must be one of \"auto\", \"rss\", \"atom\", "
                      "\"ics\", \"html\", \"json\", \"xlsx\", not \"pdf\""),
            HasSubstr(":19: rule 'r': 'on' may hold \"new\" and \"changed\", not \"deleted\""),
            HasSubstr(":20: rule 'r': 'delivery' must be one of \"immediate\", \"digest\""),
            HasSubstr(":21: rule 'r': 'digest_at' must be a time \"HH:MM\"")));
}

TEST(ConfigLoad, sourceUrlsMustBeHttpHttpsOrExplicitFile) {
    const auto problems = load_bad(R"([[source]]
name = "a"
body = "B"
url = "gopher://example.org/"

[[source]]
name = "b"
body = "B"
url = "https:///feed"

[[source]]
name = "c"
body = "B"
url = "https://example.org/a feed"

[[source]]
name = "d"
body = "B"
url = "HTTPS://Example.org/feed"
)");
    EXPECT_THAT(problems,
                ElementsAre(HasSubstr(":4: source 'a': url 'gopher://example.org/' must start "
                                      "with http://, https:// or file://"),
                            HasSubstr(":9: source 'b': url 'https:///feed' has no host"),
                            HasSubstr(":14: source 'c': url 'https://example.org/a feed' "
                                      "contains spaces")));
}

TEST(ConfigLoad, unbalancedGlobsAndEmptyEventListsAreRefused) {
    const auto problems = load_bad(R"([[rule]]
name = "r"
query = "a"
to = []
sources = ["itu-[abc", "[!]x]*", "[[:alpha:]]*"]
on = []
)");
    EXPECT_THAT(problems,
                ElementsAre(HasSubstr(":4: rule 'r': 'to' must not be empty"),
                            HasSubstr(":5: rule 'r': sources pattern 'itu-[abc' has a '[' at "
                                      "position 5 without its ']'"),
                            HasSubstr(":6: rule 'r': 'on' must not be empty")));
}

TEST(ConfigLoad, addressesAreCheckedWhenMailIsSent) {
    const auto problems = load_bad(R"([mail]
transport = "sendmail"
from = "specwatch"
health_to = ["root"]

[[rule]]
name = "r"
query = "a"
to = ["analyst@example.org", "analyst"]
)");
    EXPECT_THAT(problems,
                ElementsAre(HasSubstr(":3: [mail] 'from' must be a mail address"),
                            HasSubstr(":4: [mail] 'health_to' holds 'root', which is not a mail "
                                      "address"),
                            HasSubstr(":9: rule 'r': 'to' holds 'analyst', which is not a mail "
                                      "address")));

    // With transport = "none" nothing is sent, so local names are harmless.
    const Config c = load_ok(R"([mail]
from = "specwatch"
[[rule]]
name = "r"
query = "a"
to = ["analyst"]
)");
    EXPECT_THAT(c.rules.at(0).to, ElementsAre("analyst"));
}

TEST(ConfigLoad, badRemindersAreReportedEach) {
    const auto problems = load_bad(R"([[rule]]
name = "r"
query = "a"
to = ["a@example.org"]
remind_before = ["7d", "soon", 3]
)");
    EXPECT_THAT(problems, ElementsAre(HasSubstr(":5: rule 'r': invalid duration 'soon'"),
                                      HasSubstr(":5: rule 'r': 'remind_before' must be a duration "
                                                "string such as \"1h\", not an integer")));
}

TEST(ConfigLoad, syntaxErrorsCarryTheirLine) {
    auto r = load_string("[daemon]\nmax_parallel = 4\nproxy = \"unterminated\n", kPath);
    ASSERT_FALSE(r);
    ASSERT_EQ(r.error().size(), 1u);
    EXPECT_EQ(r.error()[0].file, kPath);
    EXPECT_EQ(r.error()[0].line, 3);
    EXPECT_FALSE(r.error()[0].message.empty());
}

TEST(ConfigLoad, relativePathsResolveAgainstTheConfigFolder) {
    const Config c = load_ok(R"([daemon]
database = "state/specwatch.db"
socket = "../run/control.sock"
[mail]
password_file = "secret"
)",
                             "/srv/specwatch/etc/specwatch.toml");
    EXPECT_EQ(c.daemon.database, "/srv/specwatch/etc/state/specwatch.db");
    EXPECT_EQ(c.daemon.socket, "/srv/specwatch/run/control.sock");
    EXPECT_EQ(c.mail.password_file, "/srv/specwatch/etc/secret");
    EXPECT_EQ(database_path(c), "/srv/specwatch/etc/state/specwatch.db");
}

TEST(ConfigPaths, databaseAndSocketFollowSystemdDirectories) {
    const Config c = load_ok("");
    {
        ScopedEnv state("STATE_DIRECTORY", "/var/lib/specwatch:/var/lib/other");
        ScopedEnv runtime("RUNTIME_DIRECTORY", "/run/specwatch");
        EXPECT_EQ(database_path(c), "/var/lib/specwatch/specwatch.db");
        EXPECT_EQ(socket_path(c), "/run/specwatch/control.sock");
    }
    {
        ScopedEnv state("STATE_DIRECTORY", "/tmp/state");
        ScopedEnv runtime("RUNTIME_DIRECTORY", "/tmp/rt");
        EXPECT_EQ(database_path(c), "/tmp/state/specwatch.db");
        EXPECT_EQ(socket_path(c), "/tmp/rt/control.sock");
    }
    {
        ScopedEnv state("STATE_DIRECTORY", std::nullopt);
        ScopedEnv runtime("RUNTIME_DIRECTORY", std::nullopt);
        EXPECT_EQ(database_path(c), "/var/lib/specwatch/specwatch.db");
        EXPECT_EQ(socket_path(c), "/run/specwatch/control.sock");
    }
}

TEST(ConfigPaths, configuredPathsWinOverTheEnvironment) {
    ScopedEnv state("STATE_DIRECTORY", "/tmp/state");
    ScopedEnv runtime("RUNTIME_DIRECTORY", "/tmp/rt");
    const Config c = load_ok("[daemon]\ndatabase = \"/data/sw.db\"\nsocket = \"/data/sw.sock\"\n");
    EXPECT_EQ(database_path(c), "/data/sw.db");
    EXPECT_EQ(socket_path(c), "/data/sw.sock");
}

TEST(ConfigPaths, defaultConfigPathHonoursSpecwatchConfig) {
    {
        ScopedEnv env("SPECWATCH_CONFIG", "/opt/sw.toml");
        EXPECT_EQ(default_config_path(), "/opt/sw.toml");
    }
    ScopedEnv env("SPECWATCH_CONFIG", std::nullopt);
    EXPECT_EQ(default_config_path(), "/etc/specwatch/specwatch.toml");
}

TEST(ConfigPaths, defaultUserAgentNamesVersionAndProject) {
    EXPECT_THAT(default_user_agent(),
                ::testing::MatchesRegex(R"(specwatch/[0-9.]+ \(\+https://.+\))"));
}

TEST(ConfigProblem, printsFileLineAndMessage) {
    EXPECT_EQ((Problem{"a.toml", 7, "oops"}).to_string(), "a.toml:7: oops");
    EXPECT_EQ((Problem{"a.toml", 0, "cannot read: x"}).to_string(), "a.toml: cannot read: x");
}

using ConfigFile = TempDir;

TEST_F(ConfigFile, loadsFromDiskAndResolvesPathsBesideIt) {
    const auto path = write("specwatch.toml", R"([daemon]
database = "specwatch.db"
[[source]]
name = "local"
body = "IETF"
url = "file:///tmp/feed.xml"
)");
    auto r = load_file(path);
    ASSERT_TRUE(r) << (r ? "" : r.error().at(0).to_string());
    EXPECT_EQ(r->path, path);
    EXPECT_EQ(r->daemon.database, (dir_ / "specwatch.db").string());
    ASSERT_NE(r->find_source("local"), nullptr);
}

TEST_F(ConfigFile, problemsFromDiskNameTheFile) {
    const auto path = write("bad.toml", "[daemon]\ntimeout = \"often\"\n");
    auto r = load_file(path);
    ASSERT_FALSE(r);
    ASSERT_EQ(r.error().size(), 1u);
    EXPECT_EQ(r.error()[0].to_string(),
              path +
                  ":2: [daemon] invalid duration 'often' (expected e.g. \"90s\", \"30m\", "
                  "\"1h\", \"1d\")");
}

TEST_F(ConfigFile, aMissingFileSaysWhyWithoutALine) {
    const auto path = (dir_ / "absent.toml").string();
    auto r = load_file(path);
    ASSERT_FALSE(r);
    ASSERT_EQ(r.error().size(), 1u);
    EXPECT_EQ(r.error()[0].line, 0);
    EXPECT_EQ(r.error()[0].to_string(), path + ": cannot read: No such file or directory");
}

TEST_F(ConfigFile, aDirectoryIsNotAConfig) {
    auto r = load_file(dir_.string());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().at(0).to_string(), dir_.string() + ": cannot read: Is a directory");
}

TEST(ConfigFixture, aFileWithManyMistakesListsThemAllInFileOrder) {
    const std::string path =
        fs::path(SPECWATCH_FIXTURES "/config/mistakes.toml").lexically_normal().string();
    auto r = load_file(path);
    ASSERT_FALSE(r);
    std::vector<std::string> printed;
    for (const auto& p : r.error()) printed.push_back(p.to_string());
    EXPECT_THAT(
        printed,
        ElementsAre(
            path + ":3: [daemon] 'max_parallel' must be an integer, not a string",
            path + ":4: [daemon] invalid duration 'forever' (expected e.g. \"90s\", \"30m\", "
                   "\"1h\", \"1d\")",
            path + ":8: [mail] 'url' must start with smtp:// or smtps://, not 'mail.example.org'",
            path + ":14: unknown key 'intervall' in [[source]] (did you mean 'interval'?)",
            path + ":17: duplicate source name 'itu-news' (first defined at line 11)",
            path + ":20: source 'itu-news': 'interval' must be at least 1m (polling more often "
                   "is impolite), not '10s'",
            StartsWith(path + ":24: rule '5g': invalid query '5G AND': fts5: syntax error"),
            path + ":25: rule '5g': 'to' holds 'analyst', which is not a mail address"));
}

// config/specwatch.toml, installed as /etc/specwatch/specwatch.toml. Normalized
// by hand: the kernel would need tests/fixtures to exist to walk through it.
const fs::path kShipped =
    fs::path(SPECWATCH_FIXTURES "/../../config/specwatch.toml").lexically_normal();

TEST(ShippedConfig, loadsAndPollsTheRealSources) {
    const std::string path = kShipped.string();
    auto r = load_file(path);
    ASSERT_TRUE(r) << (r ? "" : r.error().at(0).to_string());
    const Config& c = *r;
    EXPECT_TRUE(c.daemon.database.empty()) << "left to $STATE_DIRECTORY";
    EXPECT_TRUE(c.daemon.socket.empty()) << "left to $RUNTIME_DIRECTORY";
    EXPECT_EQ(c.mail.transport, Transport::none);
    EXPECT_TRUE(c.rules.empty());
    ASSERT_EQ(c.sources.size(), 33u) << "the catalog (catalog_test checks each source)";
    for (const auto& s : c.sources) {
        // A preset whose URL needs the user's meeting id ships disabled.
        EXPECT_TRUE(s.enabled || s.url.find("MEETING_ID") != std::string::npos) << s.name;
        EXPECT_GE(s.interval, Seconds{3600}) << s.name;
    }
    const Source* rfc = c.find_source("rfc-editor");
    ASSERT_NE(rfc, nullptr);
    EXPECT_EQ(rfc->body, "IETF");
    EXPECT_EQ(rfc->group, "RFC Editor");
    const Source* lc = c.find_source("ietf-last-calls");
    ASSERT_NE(lc, nullptr);
    EXPECT_EQ(lc->format, "atom");
}

TEST(ShippedConfig, itsCommentedRuleIsValidOnceUncommented) {
    std::ifstream in(kShipped);
    ASSERT_TRUE(in);
    std::string text, line;
    bool in_rule = false, seen = false;
    while (std::getline(in, line)) {
        if (line == "#[[rule]]" && !seen) in_rule = seen = true;
        if (line.empty()) in_rule = false;  // the topic rules follow (catalog_test)
        if (in_rule && line.starts_with("#") && !line.starts_with("#  ")) line.erase(0, 1);
        text += line + "\n";
    }
    ASSERT_TRUE(seen) << "the example rule is gone";
    const Config c = load_ok(text);
    ASSERT_EQ(c.rules.size(), 1u);
    EXPECT_EQ(c.rules[0].name, "5g");
    EXPECT_THAT(c.rules[0].remind_before, ElementsAre(Seconds{30 * 86400}, Seconds{7 * 86400}));
}

// ---- include ----

class ConfigInclude : public TempDir {};

TEST_F(ConfigInclude, anIncludedFileAddsItsSourcesAndRulesRelativeToTheIncludingFile) {
    fs::create_directories(dir_ / "conf.d" / "more");
    write("conf.d/topics.toml", R"(include = ["more/news.toml"]
[[rule]]
name = "topic-6g"
query = '6G OR "IMT-2030"'
)");
    write("conf.d/more/news.toml", R"([[source]]
name = "w3c-news"
body = "W3C"
url = "https://www.w3.org/news/feed/"
)");
    const auto main = write("specwatch.toml", R"(include = ["conf.d/topics.toml"]
[daemon]
default_interval = "2h"
[[source]]
name = "etsi-news"
body = "ETSI"
url = "https://www.etsi.org/rss"
)");
    auto c = load_file(main);
    ASSERT_TRUE(c) << c.error().front().to_string();
    ASSERT_EQ(c->sources.size(), 2u);
    EXPECT_EQ(c->sources[0].name, "etsi-news");
    EXPECT_EQ(c->sources[1].name, "w3c-news");
    // The main file's [daemon] applies to included sources too.
    EXPECT_EQ(c->sources[1].interval.count(), 7200);
    ASSERT_EQ(c->rules.size(), 1u);
    EXPECT_EQ(c->rules[0].name, "topic-6g");
    EXPECT_EQ(c->included, (std::vector<std::string>{(dir_ / "conf.d/topics.toml").string(),
                                                     (dir_ / "conf.d/more/news.toml").string()}));
}

TEST_F(ConfigInclude, problemsInAnIncludedFileNameThatFileAndLine) {
    const auto topics = write("topics.toml", R"([[rule]]
name = "ok"
query = "quantum"

[[rule]]
name = "bad"
query = '"unterminated'
[daemon]
max_parallel = 2
)");
    const auto main = write("specwatch.toml", R"(include = ["topics.toml"]
[[source]]
name = "s"
body = ""
url = "https://example.org/"
)");
    auto c = load_file(main);
    ASSERT_FALSE(c);
    std::vector<std::string> problems;
    for (const auto& p : c.error()) problems.push_back(p.to_string());
    EXPECT_THAT(problems,
                ElementsAre(StartsWith(main + ":4: source 's': 'body' is required"),
                            StartsWith(topics + ":7: rule 'bad': invalid query"),
                            StartsWith(topics + ":8: unknown table 'daemon' in an included file")));
}

TEST_F(ConfigInclude, aTomlErrorInAnIncludedFileIsReportedThere) {
    const auto topics = write("topics.toml", R"([[rule]]
name = "x
query = "a"
)");
    const auto main = write("specwatch.toml", R"(include = ["topics.toml"]
)");
    auto c = load_file(main);
    ASSERT_FALSE(c);
    ASSERT_EQ(c.error().size(), 1u);
    EXPECT_EQ(c.error()[0].file, topics);
    EXPECT_EQ(c.error()[0].line, 2);
}

TEST_F(ConfigInclude, aMissingIncludedFileIsAnErrorAtTheIncludeLine) {
    const auto main = write("specwatch.toml", R"(# topics
include = [
  "nowhere.toml",
]
)");
    auto c = load_file(main);
    ASSERT_FALSE(c);
    ASSERT_EQ(c.error().size(), 1u);
    EXPECT_EQ(c.error()[0].to_string(), main + ":3: include 'nowhere.toml': cannot read " +
                                            (dir_ / "nowhere.toml").string() +
                                            ": No such file or directory");
}

TEST_F(ConfigInclude, anIncludeCycleIsAnError) {
    const auto a = write("a.toml", R"(include = ["b.toml"]
)");
    const auto b = write("b.toml", R"(include = ["a.toml"]
)");
    const auto main = write("specwatch.toml", R"(include = ["a.toml"]
)");
    auto c = load_file(main);
    ASSERT_FALSE(c);
    ASSERT_EQ(c.error().size(), 1u);
    EXPECT_EQ(c.error()[0].file, b);
    EXPECT_EQ(c.error()[0].line, 1);
    EXPECT_THAT(c.error()[0].message,
                HasSubstr("include 'a.toml' makes a cycle: " + a + " -> " + b + " -> " + a));

    // A file including itself, and the main file included again.
    write("self.toml", R"(include = ["self.toml"]
)");
    auto self = load_string(R"(include = ["self.toml"]
)",
                            (dir_ / "x.toml").string());
    ASSERT_FALSE(self);
    EXPECT_THAT(self.error()[0].message, HasSubstr("makes a cycle"));
    auto back = load_file(write("loop.toml", R"(include = ["loop.toml"]
)"));
    ASSERT_FALSE(back);
    EXPECT_THAT(back.error()[0].message, HasSubstr("makes a cycle"));
}

TEST_F(ConfigInclude, aNameDefinedInTwoFilesNamesBothPlaces) {
    const auto topics = write("topics.toml", "\n[[rule]]\nname = \"5g\"\nquery = \"5G\"\n");
    const auto main = write("specwatch.toml", R"(include = ["topics.toml", "topics.toml"]
[[rule]]
name = "5g"
query = "NR"
)");
    auto c = load_file(main);
    ASSERT_FALSE(c);
    std::vector<std::string> problems;
    for (const auto& p : c.error()) problems.push_back(p.to_string());
    EXPECT_THAT(problems,
                ElementsAre(main + ":1: include 'topics.toml': " + topics + " is already included",
                            topics + ":3: duplicate rule name '5g' (first defined at " + main +
                                " line 3)"));
}

TEST_F(ConfigInclude, includeMustBeAnArrayOfPaths) {
    const auto main = write("specwatch.toml", R"(include = "topics.toml"
)");
    auto c = load_file(main);
    ASSERT_FALSE(c);
    EXPECT_THAT(c.error()[0].to_string(),
                HasSubstr(":1: 'include' must be an array of strings, not a string"));
}

TEST(ConfigShipped, theExampleConfigAndTheTopicsFileLoad) {
    const std::string dir = SPECWATCH_FIXTURES "/../../config";
    auto c = load_file(dir + "/specwatch.toml");
    ASSERT_TRUE(c) << c.error().front().to_string();
    auto t = load_string("include = [\"" + dir + "/topics.toml\"]\n", dir + "/x.toml");
    ASSERT_TRUE(t) << t.error().front().to_string();
    EXPECT_EQ(t->rules.size(), 9u);
}

TEST(ConfigLoad, organizationsExtendTheAliasTableAndNormalizeRules) {
    const Config c = load_ok(R"([organizations]
"Nokia" = { aliases = ["Nokia Shanghai Bell"], country = "FI" }
"Private Octopus" = { country = "US" }

[[source]]
name = "tdocs"
body = "3GPP"
url = "https://example.org/list.xlsx"
format = "xlsx"

[[rule]]
name = "huawei"
query = "6G"
organizations = ["Huawei Technologies Co., Ltd.", "Nokia Shanghai Bell"]
to = ["a@example.org"]
)");
    ASSERT_EQ(c.organization_aliases.size(), 2u);
    EXPECT_EQ(c.organizations->normalize("Nokia Shanghai Bell"), "Nokia");
    EXPECT_EQ(c.organizations->country("Private Octopus"), "US");
    ASSERT_EQ(c.sources.size(), 1u);
    ASSERT_TRUE(c.sources[0].organizations);
    EXPECT_EQ(c.sources[0].organizations->normalize("Nokia Shanghai Bell"), "Nokia");
    EXPECT_THAT(c.rules[0].organizations, ElementsAre("Huawei", "Nokia"));
}

TEST(ConfigLoad, badOrganizationEntriesNameTheLine) {
    const auto problems = load_bad(R"([organizations]
"Nokia" = "Nokia Shanghai Bell"
"Foo" = { country = "Finland" }
"Bar" = { alias = ["B"] }
)");
    ASSERT_EQ(problems.size(), 3u);
    EXPECT_THAT(problems[0], HasSubstr("test.toml:2: [organizations] 'Nokia': must be a table"));
    EXPECT_THAT(problems[1], HasSubstr("test.toml:3: [organizations] 'Foo': 'country' must be"));
    EXPECT_THAT(problems[2], HasSubstr("test.toml:4: unknown key 'alias' in [organizations] (did "
                                       "you mean 'aliases'?)"));
}

}  // namespace
}  // namespace specwatch::config
