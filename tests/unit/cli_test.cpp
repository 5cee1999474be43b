#include "cli/cli.h"
#include "cli/meetings.h"
#include "cli/table.h"
#include "common/text.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace specwatch;
using namespace specwatch::cli;
using Json = nlohmann::json;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in{s};
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
}

// A stand-in for specwatchd: accepts one connection on an AF_UNIX socket,
// reads one request line and answers with a canned reply line.
class FakeDaemon {
  public:
    FakeDaemon(std::string path, std::string reply)
        : path_(std::move(path)), reply_(std::move(reply)) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(fd_, 1) != 0)
            throw std::runtime_error("fake daemon: cannot listen on " + path_);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeDaemon() {
        thread_.join();
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    FakeDaemon(const FakeDaemon&) = delete;
    FakeDaemon& operator=(const FakeDaemon&) = delete;

    // The request line the CLI sent, once the run has returned.
    [[nodiscard]] Json request() const { return Json::parse(request_, nullptr, false); }

  private:
    void serve() {
        // A test that never connects must not hang the suite.
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) return;
        const int conn = ::accept(fd_, nullptr, nullptr);
        if (conn < 0) return;
        char buf[4096];
        while (request_.find('\n') == std::string::npos) {
            const ssize_t n = ::read(conn, buf, sizeof buf);
            if (n <= 0) break;
            request_.append(buf, static_cast<std::size_t>(n));
        }
        if (auto nl = request_.find('\n'); nl != std::string::npos) request_.resize(nl);
        const std::string line = reply_ + "\n";
        (void)!::write(conn, line.data(), line.size());
        ::close(conn);
    }

    std::string path_;
    std::string reply_;
    std::string request_;
    int fd_ = -1;
    std::thread thread_;
};

class CliTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (std::filesystem::temp_directory_path() / "cli_test.XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        socket_ = (dir_ / "control.sock").string();
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // Runs the CLI with --socket pointing into the temp dir.
    int run_cli(std::vector<std::string> args, const std::string& input = {}) {
        args.insert(args.begin(), {"--socket", socket_});
        return run_raw(std::move(args), input);
    }
    int run_raw(const std::vector<std::string>& args, const std::string& input = {}) {
        out_.str({});
        err_.str({});
        std::istringstream in{input};
        return run(args, Io{in, out_, err_, 0});
    }
    std::string write_file(const std::string& name, const std::string& content) {
        const auto path = dir_ / name;
        std::ofstream f{path, std::ios::binary};
        f << content;
        return path.string();
    }

    std::filesystem::path dir_;
    std::string socket_;
    std::ostringstream out_;
    std::ostringstream err_;
};

const char* const kRss = R"(<?xml version="1.0"?>
<rss version="2.0"><channel><title>ITU news</title><link>https://www.itu.int/</link>
<item><title>IMT-2030 &amp; 6G</title><link>/news/1</link><guid>n1</guid>
<pubDate>Mon, 16 Mar 2026 09:00:00 GMT</pubDate></item>
</channel></rss>
)";

}  // namespace

// --- the table renderer ---------------------------------------------------------------

TEST(Table, AlignsColumnsUnderTheirHeaders) {
    Table t{{{"KEY", Align::right}, {"SOURCE"}, {"TITLE"}}};
    t.add_row({"7", "itu-newsroom", "First"});
    t.add_row({"1234", "3gpp", "Second"});
    EXPECT_EQ(t.render(),
              " KEY  SOURCE        TITLE\n"
              "   7  itu-newsroom  First\n"
              "1234  3gpp          Second\n");
}

TEST(Table, MeasuresWideCharactersAsTwoColumns) {
    Table t{{{"A"}, {"B"}}};
    t.add_row({"標準", "x"});
    t.add_row({"ab", "y"});
    const auto lines = lines_of(t.render());
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[1], "標準  x");
    EXPECT_EQ(lines[2], "ab    y");
}

TEST(Table, StripsEscapeSequencesAndControlCharactersFromCells) {
    Table t{{{"TITLE"}}};
    t.add_row({"\x1b[31mred\x1b[0m \x1b]0;pwned\x07title\r\nnext"});
    const std::string out = t.render();
    EXPECT_EQ(out.find('\x1b'), std::string::npos);
    EXPECT_EQ(out.find('\x07'), std::string::npos);
    EXPECT_EQ(lines_of(out).size(), 2u);  // the cell stayed on one line
    EXPECT_TRUE(contains(out, "red title next"));
}

TEST(Table, CutsCellsAtTheColumnsMaximumWidth) {
    Table t{{{"NAME", Align::left, 6}, {"X"}}};
    t.add_row({"abcdefghij", "1"});
    EXPECT_EQ(lines_of(t.render())[1], "abcde…  1");
}

TEST(Table, ShortensOnlyTheLastColumnToFitTheTerminal) {
    Table t{{{"KEY"}, {"TITLE"}}};
    t.add_row({"1", std::string(100, 'x')});
    const auto lines = lines_of(t.render(40));
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(display_width(lines[1]), 40u);
    EXPECT_TRUE(lines[1].starts_with("1    xxx"));
    EXPECT_TRUE(lines[1].ends_with("…"));
    // Without a terminal nothing is cut beyond the column's own maximum.
    EXPECT_EQ(display_width(lines_of(t.render(0))[1]), 105u);
}

TEST(Table, PrintsADetailLineIndentedUnderItsRow) {
    Table t{{{"KEY"}, {"TITLE"}}};
    t.add_row({"1", "A"});
    t.add_detail("the \x1b[1msnippet\x1b[0m");
    EXPECT_EQ(t.render(), "KEY  TITLE\n1    A\n    the snippet\n");
}

TEST(Table, LeavesNoTrailingBlanks) {
    Table t{{{"A"}, {"B"}}};
    t.add_row({"long value", ""});
    for (const auto& line : lines_of(t.render())) EXPECT_FALSE(line.ends_with(' ')) << line;
}

TEST(Wrap, WrapsParagraphsByWordsAndKeepsBlankLinesBetweenThem) {
    EXPECT_EQ(wrap_paragraphs("one two three four\n\n\n\nfive", 9),
              "one two\nthree\nfour\n\nfive\n");
    EXPECT_EQ(wrap_paragraphs("a \x1b[31mb\x1b[0m", 80), "a b\n");
}

// --- talking to the daemon ---------------------------------------------------------------

TEST_F(CliTest, NoDaemonExitsThreeAndNamesTheSocket) {
    const std::string missing = (dir_ / "none.sock").string();
    EXPECT_EQ(run_raw({"--socket", missing, "status"}), 3);
    EXPECT_TRUE(contains(err_.str(), missing)) << err_.str();
    EXPECT_TRUE(out_.str().empty());
}

TEST_F(CliTest, NoDaemonWithJsonStillPrintsOneJsonDocument) {
    const std::string missing = (dir_ / "none.sock").string();
    EXPECT_EQ(run_raw({"--json", "--socket", missing, "status"}), 3);
    const Json doc = Json::parse(out_.str(), nullptr, false);
    ASSERT_TRUE(doc.is_object()) << out_.str();
    EXPECT_TRUE(contains(doc["error"].get<std::string>(), missing));
}

TEST_F(CliTest, JsonPrintsExactlyTheResult) {
    const Json result = {{"version", "0.1.0"}, {"uptime", 7980}, {"items", 12}};
    FakeDaemon daemon{socket_, Json{{"ok", true}, {"result", result}}.dump()};
    EXPECT_EQ(run_cli({"--json", "status"}), 0);
    EXPECT_EQ(Json::parse(out_.str()), result);
    EXPECT_EQ(daemon.request(), (Json{{"cmd", "status"}}));
}

TEST_F(CliTest, JsonListingsAreArrays) {
    const Json result = Json::array({{{"key", 1}, {"title", "a"}}});
    FakeDaemon daemon{socket_, Json{{"ok", true}, {"result", result}}.dump()};
    EXPECT_EQ(run_cli({"items", "--json"}), 0);  // global options may follow the command
    EXPECT_EQ(Json::parse(out_.str()), result);
}

TEST_F(CliTest, StatusPrintsKeyValueLines) {
    const Json result = {{"version", "0.1.0"},
                         {"uptime", 7980},
                         {"sources", {{"total", 3}, {"ok", 2}, {"failing", 1}, {"polling", 0}}},
                         {"items", 12},
                         {"alerts", 4},
                         {"mail", {{"queued", 1}, {"failed", 0}}},
                         {"next_poll", nullptr}};
    FakeDaemon daemon{socket_, Json{{"ok", true}, {"result", result}}.dump()};
    EXPECT_EQ(run_cli({"status"}), 0);
    const std::string out = out_.str();
    EXPECT_TRUE(contains(out, "uptime:")) << out;
    EXPECT_TRUE(contains(out, "2h13m")) << out;
    EXPECT_TRUE(contains(out, "3 (ok 2, failing 1)")) << out;
    EXPECT_TRUE(contains(out, "1 queued, 0 failed")) << out;
}

TEST_F(CliTest, AnErrorReplyExitsOneWithTheMessageOnStderr) {
    FakeDaemon daemon{socket_, R"({"ok":false,"error":"no item with key 9"})"};
    EXPECT_EQ(run_cli({"show", "9"}), 1);
    EXPECT_EQ(err_.str(), "specwatch: no item with key 9\n");
    EXPECT_TRUE(out_.str().empty());
    EXPECT_EQ(daemon.request(), (Json{{"cmd", "show"}, {"key", 9}}));
}

TEST_F(CliTest, AnErrorReplyWithJsonPrintsAnErrorObject) {
    FakeDaemon daemon{socket_, R"({"ok":false,"error":"database is locked","exit":1})"};
    EXPECT_EQ(run_cli({"--json", "sources"}), 1);
    EXPECT_EQ(Json::parse(out_.str()), (Json{{"error", "database is locked"}}));
    EXPECT_TRUE(contains(err_.str(), "database is locked"));
}

TEST_F(CliTest, AnErrorReplyCarryingExitTwoExitsTwo) {
    FakeDaemon daemon{socket_,
                      R"({"ok":false,"error":"unknown command 'x'; try 'help'","exit":2})"};
    EXPECT_EQ(run_cli({"status"}), 2);
}

TEST_F(CliTest, ReloadErrorsPrintEveryProblem) {
    FakeDaemon daemon{socket_,
                      R"({"ok":false,"error":"invalid config, the old one is kept","exit":1,)"
                      R"("problems":["a.toml:3: unknown key 'x'","a.toml:9: bad interval"]})"};
    EXPECT_EQ(run_cli({"reload"}), 1);
    EXPECT_TRUE(contains(err_.str(), "a.toml:3: unknown key 'x'\n")) << err_.str();
    EXPECT_TRUE(contains(err_.str(), "a.toml:9: bad interval\n")) << err_.str();
}

TEST_F(CliTest, AnOkReplyCarryingExitOnePrintsTheResultAndExitsOne) {
    const Json result = {
        {"polled", 2},
        {"failed", 1},
        {"results",
         {{{"source", "itu"}, {"ok", true}, {"status", 200}, {"new", 3}, {"changed", 0}},
          {{"source", "etsi"}, {"ok", false}, {"status", 503}, {"error", "HTTP 503"}}}}};
    FakeDaemon daemon{socket_, Json{{"ok", true}, {"result", result}, {"exit", 1}}.dump()};
    EXPECT_EQ(run_cli({"poll", "itu", "etsi"}), 1);
    EXPECT_TRUE(contains(out_.str(), "failed: HTTP 503")) << out_.str();
    EXPECT_TRUE(contains(out_.str(), "polled 2, failed 1")) << out_.str();
    EXPECT_EQ(daemon.request(), (Json{{"cmd", "poll"}, {"sources", {"itu", "etsi"}}}));
}

TEST_F(CliTest, HumanOutputStripsEscapeSequencesFromTitles) {
    const Json result =
        Json::array({{{"key", 1}, {"source", "s"}, {"title", "\x1b[31mred\x1b[0m alert"}},
                     {{"key", 2}, {"source", "s"}, {"title", "\x1b]0;x\x07retitled"}}});
    FakeDaemon daemon{socket_, Json{{"ok", true}, {"result", result}}.dump()};
    EXPECT_EQ(run_cli({"items"}), 0);
    const std::string out = out_.str();
    EXPECT_EQ(out.find('\x1b'), std::string::npos);
    EXPECT_EQ(out.find('\x07'), std::string::npos);
    EXPECT_TRUE(contains(out, "red alert")) << out;
    EXPECT_TRUE(contains(out, "retitled")) << out;
}

TEST_F(CliTest, ShowStripsEscapeSequencesFromEveryField) {
    const Json result = {{"key", 5},
                         {"title", "T\x1b[2J"},
                         {"summary", "line one\x1b]0;x\x07\n\nline two"},
                         {"location", "Geneva\x1b[31m"}};
    FakeDaemon daemon{socket_, Json{{"ok", true}, {"result", result}}.dump()};
    EXPECT_EQ(run_cli({"show", "5"}), 0);
    const std::string out = out_.str();
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
    EXPECT_TRUE(contains(out, "Title:")) << out;
    EXPECT_TRUE(contains(out, "Geneva")) << out;
    EXPECT_TRUE(contains(out, "line one\n\nline two\n")) << out;
}

TEST_F(CliTest, ErrorMessagesFromTheDaemonAreSanitized) {
    FakeDaemon daemon{socket_, Json{{"ok", false}, {"error", "bad\x1b[31m thing"}}.dump()};
    EXPECT_EQ(run_cli({"status"}), 1);
    EXPECT_EQ(err_.str(), "specwatch: bad thing\n");
}

TEST_F(CliTest, SearchJoinsTheQueryWordsAndShowsSnippets) {
    const Json result =
        Json::array({{{"key", 3}, {"source", "itu"}, {"title", "6G"}, {"snippet", "about [6G]"}}});
    FakeDaemon daemon{socket_, Json{{"ok", true}, {"result", result}}.dump()};
    EXPECT_EQ(run_cli({"search", "5G", "OR", "6G", "--limit", "5"}), 0);
    EXPECT_EQ(daemon.request(), (Json{{"cmd", "search"}, {"query", "5G OR 6G"}, {"limit", 5}}));
    EXPECT_TRUE(contains(out_.str(), "\n    about [6G]\n")) << out_.str();
}

TEST_F(CliTest, ItemsSendsOnlyTheFiltersGiven) {
    FakeDaemon daemon{socket_, R"({"ok":true,"result":[]})"};
    EXPECT_EQ(run_cli({"items", "--source", "itu", "--since", "7d"}), 0);
    EXPECT_EQ(daemon.request(), (Json{{"cmd", "items"}, {"source", "itu"}, {"since", "7d"}}));
}

// --- usage errors --------------------------------------------------------------------------

TEST_F(CliTest, UsageErrorsExitTwo) {
    EXPECT_EQ(run_cli({"frobnicate"}), 2);
    EXPECT_TRUE(contains(err_.str(), "unknown command 'frobnicate'")) << err_.str();
    EXPECT_EQ(run_cli({"show"}), 2);
    EXPECT_EQ(run_cli({"show", "abc"}), 2);
    EXPECT_EQ(run_cli({"show", "1", "2"}), 2);
    EXPECT_EQ(run_cli({}), 2);
    EXPECT_EQ(run_cli({"status", "--bogus"}), 2);
    EXPECT_EQ(run_cli({"items", "--limit", "0"}), 2);
    EXPECT_EQ(run_cli({"items", "--since", "sometime"}), 2);
    EXPECT_EQ(run_cli({"search"}), 2);
    EXPECT_EQ(run_cli({"parse"}), 2);
    EXPECT_EQ(run_cli({"parse", "--format", "pdf", "x"}), 2);
    EXPECT_EQ(run_cli({"parse", "--source", "x", "file"}), 2);  // --source needs --config
}

TEST_F(CliTest, HelpAndVersionSucceed) {
    EXPECT_EQ(run_cli({"--help"}), 0);
    EXPECT_TRUE(contains(out_.str(), "search")) << out_.str();
    EXPECT_EQ(run_cli({"--version"}), 0);
    EXPECT_TRUE(contains(out_.str(), "specwatch ")) << out_.str();
}

// --- parse, locally --------------------------------------------------------------------------

TEST_F(CliTest, ParsePrintsTheFeedAsJson) {
    const std::string file = write_file("feed.xml", kRss);
    ASSERT_EQ(run_raw({"--json", "parse", "--base", "https://www.itu.int/", file}), 0)
        << err_.str();
    const Json doc = Json::parse(out_.str());
    EXPECT_EQ(doc["format"], "rss2.0");
    EXPECT_EQ(doc["feed"]["title"], "ITU news");
    ASSERT_EQ(doc["items"].size(), 1u);
    EXPECT_EQ(doc["items"][0]["title"], "IMT-2030 & 6G");
    EXPECT_EQ(doc["items"][0]["id"], "n1");
    EXPECT_EQ(doc["items"][0]["published"], "2026-03-16T09:00:00Z");
}

TEST_F(CliTest, ParseReadsStandardInput) {
    ASSERT_EQ(run_raw({"--json", "parse", "-"}, kRss), 0) << err_.str();
    EXPECT_EQ(Json::parse(out_.str())["items"].size(), 1u);
}

TEST_F(CliTest, ParseHumanOutputListsTheItems) {
    const std::string file = write_file("feed.xml", kRss);
    ASSERT_EQ(run_raw({"parse", file}), 0) << err_.str();
    EXPECT_TRUE(contains(out_.str(), "rss2.0")) << out_.str();
    EXPECT_TRUE(contains(out_.str(), "IMT-2030 & 6G")) << out_.str();
}

TEST_F(CliTest, ParseOfAMissingFileExitsOneNamingIt) {
    const std::string missing = (dir_ / "nope.xml").string();
    EXPECT_EQ(run_raw({"parse", missing}), 1);
    EXPECT_TRUE(contains(err_.str(), missing)) << err_.str();
    EXPECT_TRUE(contains(err_.str(), std::strerror(ENOENT))) << err_.str();
}

TEST_F(CliTest, ParseOfGarbageExitsOneNamingTheFile) {
    const std::string file = write_file("junk.xml", "this is not a feed\x01\x02");
    EXPECT_EQ(run_raw({"parse", "--format", "rss", file}), 1);
    EXPECT_TRUE(contains(err_.str(), "specwatch: " + file + ": ")) << err_.str();
}

TEST_F(CliTest, ParseWithAnUnknownSourceExitsTwo) {
    const std::string config = write_file("specwatch.toml", R"([[source]]
name = "itu"
body = "ITU"
url = "https://www.itu.int/feed"
format = "rss"
)");
    const std::string file = write_file("feed.xml", kRss);
    EXPECT_EQ(run_raw({"parse", "--config", config, "--source", "etsi", file}), 2);
    EXPECT_TRUE(contains(err_.str(), "no source 'etsi' in " + config)) << err_.str();
    EXPECT_EQ(run_raw({"--json", "parse", "--config", config, "--source", "itu", file}), 0)
        << err_.str();
    EXPECT_EQ(Json::parse(out_.str())["items"][0]["link"], "https://www.itu.int/news/1");
}

TEST_F(CliTest, ParseWithASourceAppliesItsHtmlRulesAndUrl) {
    const std::string dir = SPECWATCH_FIXTURES;
    const std::string config = dir + "/html/sources.toml";
    ASSERT_EQ(run_raw({"--json", "parse", "--config", config, "--source", "3gpp-r1-meetings",
                       dir + "/html/3gpp-meetings-r1.html"}),
              0)
        << err_.str();
    const Json doc = Json::parse(out_.str());
    EXPECT_EQ(doc["format"], "html");
    ASSERT_EQ(doc["items"].size(), 4u);
    EXPECT_EQ(doc["items"][0]["title"], "3GPPRAN1#123");
    EXPECT_EQ(doc["items"][0]["start"], "2025-11-17");
    EXPECT_EQ(doc["items"][0]["link"], "https://portal.3gpp.org/Home.aspx#/meeting?MtgId=60950");
    // The JSON mapping, with the source's URL as the base of resource_uri.
    ASSERT_EQ(run_raw({"--json", "parse", "--config", config, "--source", "ietf-meetings-api",
                       dir + "/json/ietf-meetings-tastypie.json"}),
              0)
        << err_.str();
    const Json api = Json::parse(out_.str());
    ASSERT_EQ(api["items"].size(), 3u);
    EXPECT_EQ(api["items"][0]["id"], "https://datatracker.ietf.org/api/v1/meeting/meeting/126/");
    EXPECT_EQ(api["items"][0]["start"], "2026-07-18");
}

// --- meetings and export ics -------------------------------------------------------------

namespace {

// The human view shows local times; these tests pin the zone.
struct UtcZone {
    UtcZone() {
        ::setenv("TZ", "UTC", 1);
        ::tzset();
    }
};

}  // namespace

TEST(MeetingDates, ShowDaysAndLocalTimesShortly) {
    const UtcZone utc;
    EXPECT_EQ(meeting_dates("2026-11-30", "2026-12-04"), "30 Nov – 4 Dec");
    EXPECT_EQ(meeting_dates("2026-02-09", "2026-02-13"), "9 – 13 Feb");
    EXPECT_EQ(meeting_dates("2026-12-01", ""), "1 Dec");
    EXPECT_EQ(meeting_dates("2026-12-01", "2026-12-01"), "1 Dec");
    EXPECT_EQ(meeting_dates("2026-12-01T09:00:00Z", "2026-12-01T10:30:00Z"), "1 Dec 09:00–10:30");
    EXPECT_EQ(meeting_dates("2026-12-01T09:00:00Z", "2026-12-02T17:00:00Z"),
              "1 Dec 09:00 – 2 Dec 17:00");
    EXPECT_EQ(meeting_dates("2026-12-28", "2027-01-02"), "28 Dec 2026 – 2 Jan 2027");
    EXPECT_EQ(meeting_dates("2026-12-05", "2026-12-01"), "5 Dec");  // an end before the start
    EXPECT_EQ(meeting_dates("soon", ""), "soon");
}

TEST(MeetingsView, GroupsByIsoWeekWithAnAlignedTableAndCancelledPlainly) {
    const UtcZone utc;
    const Json meetings = Json::array({
        {{"key", 7},
         {"start", "2026-11-30"},
         {"end", "2026-12-04"},
         {"body", "ITU"},
         {"group", "ITU-T SG17"},
         {"title", "SG17 plenary"},
         {"location", "Geneva"},
         {"status", "scheduled"}},
        {{"key", 12},
         {"start", "2026-12-06T14:00:00Z"},
         {"end", "2026-12-06T15:30:00Z"},
         {"body", "IETF"},
         {"group", "IETF"},
         {"title", "CANCELLED: quic - QUIC (interim)"},
         {"location", "Online"},
         {"status", "cancelled"}},
        {{"key", 9},
         {"start", "2026-12-28"},
         {"end", "2027-01-02"},
         {"body", "3GPP"},
         {"group", "3GPP RAN1"},
         {"title", "RAN1#123 \x1b[31mred"},
         {"location", "Online"},
         {"status", "scheduled"}},
    });
    const std::string out = render_meetings(meetings, 0);
    const auto lines = lines_of(out);
    ASSERT_GE(lines.size(), 8U) << out;
    EXPECT_EQ(lines[0], "Week 49 · 30 Nov – 6 Dec 2026");
    EXPECT_TRUE(lines[1].starts_with("KEY  DATES")) << out;
    EXPECT_TRUE(contains(out, "\nWeek 53 · 28 Dec 2026 – 3 Jan 2027\n")) << out;
    // Columns line up under their headers within a week (in display columns:
    // the dates hold an en dash).
    const auto column = [](const std::string& line, const std::string& what) {
        const auto pos = line.find(what);
        return pos == std::string::npos ? pos : display_width(line.substr(0, pos));
    };
    const auto title_col = column(lines[1], "TITLE");
    EXPECT_EQ(column(lines[2], "SG17 plenary"), title_col) << out;
    EXPECT_EQ(column(lines[3], "CANCELLED: quic"), title_col) << out;
    EXPECT_EQ(column(lines[3], "CANCELLED"), column(lines[1], "STATUS")) << out;
    EXPECT_TRUE(contains(lines[3], "6 Dec 14:00–15:30")) << out;
    EXPECT_FALSE(contains(out, "\x1b")) << out;
    EXPECT_EQ(render_meetings(Json::array(), 0), "No meetings.\n");
}

TEST_F(CliTest, MeetingsSendsItsFiltersWithDatesAsDays) {
    FakeDaemon daemon{socket_, R"({"ok":true,"result":[]})"};
    EXPECT_EQ(run_cli({"meetings", "--from", "2026-12-01", "--to", "2027-01-31", "--body", "ITU",
                       "--group", "ITU-T SG17", "--limit", "5"}),
              0);
    EXPECT_EQ(daemon.request(), (Json{{"cmd", "meetings"},
                                      {"from", "2026-12-01"},
                                      {"to", "2027-01-31"},
                                      {"body", "ITU"},
                                      {"group", "ITU-T SG17"},
                                      {"limit", 5}}));
    EXPECT_EQ(out_.str(), "No meetings.\n");
}

TEST_F(CliTest, MeetingsRejectsADateItCannotRead) {
    EXPECT_EQ(run_cli({"meetings", "--from", "next week"}), 2);
    EXPECT_TRUE(contains(err_.str(), "--from")) << err_.str();
    EXPECT_TRUE(contains(err_.str(), "YYYY-MM-DD")) << err_.str();
}

TEST_F(CliTest, ExportIcsPrintsTheCalendarByteForByte) {
    const std::string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
    FakeDaemon daemon{
        socket_,
        Json{{"ok", true}, {"result", {{"format", "icalendar"}, {"events", 0}, {"text", ics}}}}
            .dump()};
    EXPECT_EQ(run_cli({"export", "ics", "--body", "IETF", "--from", "2026-01-01"}), 0);
    EXPECT_EQ(daemon.request(),
              (Json{{"cmd", "export_ics"}, {"body", "IETF"}, {"from", "2026-01-01"}}));
    EXPECT_EQ(out_.str(), ics);
}

// --- report, export opml, import opml ---------------------------------------------------

TEST_F(CliTest, ReportSendsItsArgumentsAndPrintsSignedChangesAndWhereHitsAre) {
    const auto fig = [](int cur, int prev, Json pct) {
        return Json{{"current", cur}, {"previous", prev}, {"change", cur - prev}, {"percent", pct}};
    };
    const Json result = {
        {"from", "2026-03-01T00:00:00Z"},
        {"to", "2026-03-31T00:00:00Z"},
        {"seconds", 30 * 86400},
        {"previous", {{"from", "2026-01-30T00:00:00Z"}, {"to", "2026-03-01T00:00:00Z"}}},
        {"body", "ITU"},
        {"groups", Json::array({{{"body", "ITU"},
                                 {"group", "SG17\x1b[31m"},
                                 {"meetings", fig(1, 4, -75)},
                                 {"new_items", fig(4, 0, nullptr)},
                                 {"hits", {{"5g", fig(2, 1, 100)}}}}})},
        {"rules", Json::array({{{"name", "5g"}, {"query", "5G"}, {"hits", fig(2, 1, 100)}}})},
        {"totals", {{"meetings", fig(1, 4, -75)}, {"new_items", fig(4, 0, nullptr)}}}};
    FakeDaemon daemon{socket_, Json{{"ok", true}, {"result", result}}.dump()};
    ASSERT_EQ(run_cli({"report", "--since", "30d", "--body", "ITU"}), 0) << err_.str();
    EXPECT_EQ(daemon.request(), (Json{{"cmd", "report"}, {"since", "30d"}, {"body", "ITU"}}));
    const std::string out = out_.str();
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
    EXPECT_TRUE(contains(out, "(30d)")) << out;
    EXPECT_TRUE(contains(out, "\u22123 (\u221275%)")) << out;
    EXPECT_TRUE(contains(out, "+4 (new)")) << out;
    EXPECT_TRUE(contains(out, "+1 (+100%)")) << out;
    EXPECT_TRUE(contains(out, "\n    ITU/SG17 2 (+1)\n")) << out;  // the escape removed
}

TEST_F(CliTest, ReportRejectsABadSinceWithoutAskingTheDaemon) {
    EXPECT_EQ(run_cli({"report", "--since", "lately"}), 2);
    EXPECT_TRUE(contains(err_.str(), "--since lately")) << err_.str();
}

TEST_F(CliTest, ExportOpmlPrintsTheDocumentAsItIs) {
    const std::string doc = "<?xml version=\"1.0\"?>\n<opml version=\"2.0\"/>\n";
    FakeDaemon daemon{socket_,
                      Json{{"ok", true}, {"result", {{"opml", doc}, {"sources", 0}}}}.dump()};
    ASSERT_EQ(run_cli({"export", "opml"}), 0) << err_.str();
    EXPECT_EQ(daemon.request(), (Json{{"cmd", "opml"}}));
    EXPECT_EQ(out_.str(), doc);
}

TEST_F(CliTest, ImportOpmlReadsStandardInputAndWarnsOnStderr) {
    const std::string opml =
        "<opml><body><outline text=\"Radio\"><outline text=\"WP 5D\" "
        "xmlUrl=\"https://example.org/5d\"/><outline text=\"x\" xmlUrl=\"gopher://x\"/>"
        "</outline></body></opml>";
    ASSERT_EQ(run_raw({"import", "opml", "-"}, opml), 0) << err_.str();
    EXPECT_TRUE(contains(out_.str(), "[[source]]")) << out_.str();
    EXPECT_TRUE(contains(out_.str(), "name = 'wp-5d'")) << out_.str();
    EXPECT_TRUE(contains(out_.str(), "body = 'Radio'")) << out_.str();
    EXPECT_TRUE(contains(err_.str(), "<stdin>: outline 'x' skipped")) << err_.str();
    EXPECT_EQ(run_raw({"--json", "import", "opml", "-"}, "<rss/>"), 1);
    EXPECT_EQ(Json::parse(out_.str())["error"],
              "<stdin>: not an OPML document (the root element is <rss>, not <opml>)");
}

TEST_F(CliTest, ParticipationPrintsATableWithABarPerRow) {
    const Json result = {
        {"from", "2026-01-01T00:00:00Z"},
        {"to", "2026-06-01T00:00:00Z"},
        {"body", "3GPP"},
        {"items", 6},
        {"previous_items", 4},
        {"organizations_total", 3},
        {"organizations",
         {{{"name", "Huawei"}, {"country", "CN"}, {"count", 4}, {"previous", 4}, {"change", 0}},
          {{"name", "Evil\x1b[31mCorp"},
           {"country", nullptr},
           {"count", 2},
           {"previous", 0},
           {"change", 2}},
          {{"name", "Samsung"}, {"country", "KR"}, {"count", 0}, {"previous", 3}, {"change", -3}}}},
        {"countries", {{{"country", "CN"}, {"count", 4}, {"previous", 5}, {"change", -1}}}}};
    FakeDaemon daemon{socket_, Json{{"ok", true}, {"result", result}}.dump()};
    EXPECT_EQ(run_cli({"participation", "--since", "2026-01-01"}), 0) << err_.str();
    const std::string out = out_.str();
    EXPECT_TRUE(contains(out, "6 contributions by 3 organizations")) << out;
    EXPECT_TRUE(contains(out, "previous period: 4")) << out;
    EXPECT_FALSE(contains(out, "\x1b")) << out;
    std::string full, half;
    for (int i = 0; i < 24; ++i) full += "█";
    for (int i = 0; i < 12; ++i) half += "█";
    std::istringstream lines{out};
    std::string line;
    std::map<std::string, std::string> rows;
    while (std::getline(lines, line)) rows[line.substr(0, line.find(' '))] = line;
    EXPECT_TRUE(contains(rows["Huawei"], "4         4       0  " + full)) << out;
    EXPECT_TRUE(contains(rows["EvilCorp"], "new  " + half)) << out;
    EXPECT_FALSE(contains(rows["EvilCorp"], half + "█")) << out;
    EXPECT_TRUE(contains(rows["Samsung"], "-3")) << out;
    EXPECT_FALSE(contains(rows["Samsung"], "█")) << out;
    EXPECT_TRUE(contains(rows["CN"], "-1  " + full)) << out;
}
