// The service's poll pipeline and command table, driven through the control
// protocol's handler with a scripted fetcher (the seam) and a manual clock,
// against a real SQLite file. The real fetcher and socket are covered by
// fetcher_test and the end-to-end tests.
#include "daemon/service.h"

#include <gtest/gtest.h>

#include <sqlite3.h>
#include <boost/asio/post.hpp>

#include <deque>
#include <filesystem>

using namespace specwatch;
using namespace std::chrono_literals;
using protocol::Json;

namespace {

class ScriptedFetcher final : public fetch::Fetcher {
  public:
    struct Pending {
        fetch::Request request;
        fetch::Callback done;
    };
    explicit ScriptedFetcher(boost::asio::io_context& io) : io_(io) {}
    void fetch(fetch::Request request, fetch::Callback done) override {
        requests.push_back(request);
        pending.push_back({std::move(request), std::move(done)});
    }
    void cancel_all() override { pending.clear(); }
    [[nodiscard]] std::size_t in_flight() const override { return pending.size(); }

    // Answers the oldest pending fetch, from the loop as the real one does.
    void answer(fetch::Response r) {
        ASSERT_FALSE(pending.empty());
        auto p = std::move(pending.front());
        pending.pop_front();
        boost::asio::post(io_, [done = std::move(p.done), r = std::move(r)] { done(r); });
    }

    std::vector<fetch::Request> requests;
    std::deque<Pending> pending;

  private:
    boost::asio::io_context& io_;
};

const char* kFeed = R"(<?xml version="1.0"?>
<rss version="2.0"><channel><title>News</title><link>https://example.org/</link>
<item><guid>a</guid><title>5G core network</title><link>https://example.org/a</link></item>
<item><guid>b</guid><title>25G Ethernet</title><link>https://example.org/b</link></item>
</channel></rss>)";

fetch::Response ok_response(std::string body, std::string etag) {
    fetch::Response r;
    r.status = 200;
    r.body = std::move(body);
    r.etag = std::move(etag);
    r.effective_url = "https://example.org/feed";
    return r;
}

class ServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("specwatch-daemon-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        config::Config c;
        c.path = (dir_ / "specwatch.toml").string();
        c.daemon.database = (dir_ / "specwatch.db").string();
        config::Source s;
        s.name = "news";
        s.body = "ITU";
        s.url = "https://example.org/feed";
        s.interval = 1h;
        c.sources.push_back(s);
        restart(c);
    }
    // A service on `c`, with a scripted fetcher, in place of the running one.
    void restart(const config::Config& c) {
        service_.reset();
        service_ = std::make_unique<daemon::Service>(
            io_, std::make_shared<const config::Config>(c), clock_,
            [this](boost::asio::io_context& io, fetch::Limits) {
                auto f = std::make_unique<ScriptedFetcher>(io);
                fetcher_ = f.get();
                return f;
            });
        service_->open();
    }
    void TearDown() override {
        service_.reset();
        std::filesystem::remove_all(dir_);
    }

    // Sends a request and runs the loop until its reply, answering fetches
    // with `responses` in order as they are asked for.
    Json call(const Json& request, std::deque<fetch::Response> responses = {}) {
        std::optional<Json> reply;
        service_->handle(request, [&](Json r) { reply = std::move(r); });
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!reply && std::chrono::steady_clock::now() < deadline) {
            if (!responses.empty() && !fetcher_->pending.empty()) {
                fetcher_->answer(std::move(responses.front()));
                responses.pop_front();
            }
            io_.restart();
            io_.run_for(10ms);
        }
        EXPECT_TRUE(reply) << "no reply to " << request.dump();
        return reply.value_or(Json{});
    }

    std::filesystem::path dir_;
    boost::asio::io_context io_;
    ManualClock clock_{from_unix(1'800'000'000)};
    ScriptedFetcher* fetcher_ = nullptr;
    std::unique_ptr<daemon::Service> service_;
};

}  // namespace

TEST_F(ServiceTest, PollStoresEveryItemAndSearchFindsTheWord5G) {
    Json r = call({{"cmd", "poll"}}, {ok_response(kFeed, "\"v1\"")});
    ASSERT_TRUE(r["ok"]) << r.dump();
    EXPECT_EQ(r["result"]["results"][0]["new"], 2);
    EXPECT_FALSE(r.contains("exit"));

    Json items = call({{"cmd", "items"}});
    ASSERT_EQ(items["result"].size(), 2u);
    EXPECT_EQ(items["result"][0]["source"], "news");
    EXPECT_EQ(items["result"][0]["body"], "ITU");

    Json found = call({{"cmd", "search"}, {"query", "5G"}});
    ASSERT_EQ(found["result"].size(), 1u);
    EXPECT_EQ(found["result"][0]["id"], "a");
}

TEST_F(ServiceTest, TheNextPollSendsTheValidatorsAndA304StoresNothing) {
    call({{"cmd", "poll"}}, {ok_response(kFeed, "\"v1\"")});
    fetch::Response not_modified;
    not_modified.status = 304;
    Json r = call({{"cmd", "poll"}}, {not_modified});
    ASSERT_EQ(fetcher_->requests.size(), 2u);
    EXPECT_EQ(fetcher_->requests[1].etag, "\"v1\"");
    EXPECT_EQ(r["result"]["results"][0]["new"], 0);
    EXPECT_TRUE(r["result"]["results"][0]["ok"]);
    EXPECT_EQ(call({{"cmd", "items"}})["result"].size(), 2u);
}

TEST_F(ServiceTest, ASourceIsNeverPolledTwiceAtOnce) {
    std::optional<Json> first, second;
    service_->handle({{"cmd", "poll"}}, [&](Json r) { first = std::move(r); });
    service_->handle({{"cmd", "poll"}, {"sources", {"news"}}},
                     [&](Json r) { second = std::move(r); });
    EXPECT_EQ(fetcher_->requests.size(), 1u);
    fetcher_->answer(ok_response(kFeed, ""));
    for (int i = 0; i < 500 && !(first && second); ++i) {
        io_.restart();
        io_.run_for(10ms);
    }
    ASSERT_TRUE(first && second);
    EXPECT_EQ((*first)["result"]["results"][0]["new"], 2);
    EXPECT_EQ((*second)["result"]["results"][0]["new"], 2);  // both waited for the one poll
    EXPECT_EQ(fetcher_->requests.size(), 1u);
}

TEST_F(ServiceTest, FailuresBackOffAndAreShownInSources) {
    fetch::Response error;
    error.status = 503;
    Json r = call({{"cmd", "poll"}}, {error});
    EXPECT_EQ(r["exit"], 1);
    EXPECT_FALSE(r["result"]["results"][0]["ok"]);
    Json s = call({{"cmd", "sources"}})["result"][0];
    EXPECT_EQ(s["failures"], 1);
    EXPECT_EQ(s["error"], "HTTP 503 Service Unavailable");
    EXPECT_EQ(s["failing_since"], format_iso_utc(clock_.now()));
    // The backoff, plus up to five minutes of jitter (poll_outcome.h).
    auto next_in = [&](const Json& source) {
        auto t = parse_iso(source["next_poll"].get<std::string>());
        return t ? std::chrono::duration_cast<Seconds>(*t - clock_.now()) : Seconds{-1};
    };
    EXPECT_GE(next_in(s), 1h);
    EXPECT_LE(next_in(s), 1h + 5min);

    call({{"cmd", "poll"}}, {error});
    s = call({{"cmd", "sources"}})["result"][0];
    EXPECT_EQ(s["failures"], 2);
    EXPECT_GE(next_in(s), 2h);
    EXPECT_LE(next_in(s), 2h + 5min);
}

TEST_F(ServiceTest, ADocumentThatIsNotAFeedKeepsNoValidatorsAndNoItemsAreLost) {
    call({{"cmd", "poll"}}, {ok_response(kFeed, "\"v1\"")});
    Json r =
        call({{"cmd", "poll"}}, {ok_response("<html><body>Maintenance</body></html>", "\"m\"")});
    EXPECT_NE(r["result"]["results"][0]["error"].get<std::string>().find("cannot parse"),
              std::string::npos);
    call({{"cmd", "poll"}}, {ok_response(kFeed, "\"v1\"")});
    ASSERT_EQ(fetcher_->requests.size(), 3u);
    // The maintenance page's validator was not kept: the next poll still asks
    // relative to the last document that was stored.
    EXPECT_EQ(fetcher_->requests[2].etag, "\"v1\"");
    EXPECT_EQ(call({{"cmd", "items"}})["result"].size(), 2u);
}

TEST_F(ServiceTest, CommandsCheckTheirArguments) {
    Json r = call({{"cmd", "frobnicate"}});
    EXPECT_FALSE(r["ok"]);
    EXPECT_EQ(r["exit"], 2);
    EXPECT_NE(r["error"].get<std::string>().find("try 'help'"), std::string::npos);
    EXPECT_EQ(call({{"cmd", "items"}, {"limit", "many"}})["exit"], 2);
    EXPECT_EQ(call({{"cmd", "items"}, {"since", "soon"}})["exit"], 2);
    EXPECT_EQ(call({{"cmd", "show"}})["exit"], 2);
    EXPECT_EQ(call({{"cmd", "poll"}, {"sources", {"nope"}}})["exit"], 2);
    EXPECT_EQ(call({{"cmd", "search"}, {"query", "\"unbalanced"}})["exit"], 2);
    Json missing = call({{"cmd", "show"}, {"key", 12345}});
    EXPECT_EQ(missing["exit"], 1);
    EXPECT_NE(missing["error"].get<std::string>().find("12345"), std::string::npos);
}

TEST_F(ServiceTest, StatusCountsSourcesAndItems) {
    call({{"cmd", "poll"}}, {ok_response(kFeed, "")});
    Json s = call({{"cmd", "status"}})["result"];
    EXPECT_EQ(s["items"], 2);
    EXPECT_EQ(s["sources"]["total"], 1);
    EXPECT_EQ(s["sources"]["ok"], 1);
    EXPECT_EQ(s["sources"]["failing"], 0);
    EXPECT_EQ(s["uptime"], 0);
}

// A paged JSON API (the datatracker's Tastypie: meta.next): every page is
// fetched and stored as one poll, and a page that points back ends it.
TEST_F(ServiceTest, APagedJsonSourceIsFollowedPageByPageAndBounded) {
    config::Config c;
    c.path = (dir_ / "paged.toml").string();
    c.daemon.database = (dir_ / "paged.db").string();
    config::Source s;
    s.name = "meetings";
    s.body = "IETF";
    s.url = "https://api.example.org/meeting/?format=json";
    s.format = "json";
    s.json.items = "objects";
    s.json.next = "meta.next";
    s.json.fields = {{"id", "id"}, {"title", "title"}};
    c.sources.push_back(s);
    restart(c);

    const auto page = [](std::string body, std::string url) {
        fetch::Response r;
        r.status = 200;
        r.body = std::move(body);
        r.effective_url = std::move(url);
        return r;
    };
    Json r =
        call({{"cmd", "poll"}}, {page(R"({"meta":{"next":"/meeting/?format=json&offset=1"},
                            "objects":[{"id":1,"title":"IETF 125"}]})",
                                      s.url),
                                 page(R"({"meta":{"next":"/meeting/?format=json&offset=1"},
                            "objects":[{"id":2,"title":"IETF 126"}]})",
                                      "https://api.example.org/meeting/?format=json&offset=1")});
    ASSERT_TRUE(r["ok"]) << r.dump();
    ASSERT_EQ(fetcher_->requests.size(), 2u);  // the repeated next link was not followed
    EXPECT_EQ(fetcher_->requests[1].url, "https://api.example.org/meeting/?format=json&offset=1");
    EXPECT_EQ(r["result"]["results"][0]["new"], 2);
    EXPECT_EQ(call({{"cmd", "items"}})["result"].size(), 2u);
}

// Backpressure: while the writer cannot store (another connection holds the
// database's write lock), no more than 2 x max_parallel polls are started,
// so fetched documents do not pile up in memory; once it can, every poll is
// stored (the ones that waited together, in one transaction).
TEST_F(ServiceTest, PollsWaitingForTheWriterBoundHowManyStart) {
    config::Config c;
    c.path = (dir_ / "many.toml").string();
    c.daemon.database = (dir_ / "many.db").string();
    c.daemon.max_parallel = 2;
    constexpr int kSources = 20;
    for (int i = 0; i < kSources; ++i) {
        config::Source s;
        s.name = "news" + std::to_string(i);
        s.body = "ITU";
        s.url = "https://example.org/feed" + std::to_string(i);
        s.interval = 1h;
        c.sources.push_back(s);
    }
    restart(c);

    sqlite3* lock = nullptr;
    ASSERT_EQ(sqlite3_open(c.daemon.database.c_str(), &lock), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(lock, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

    std::optional<Json> reply;
    service_->handle({{"cmd", "poll"}}, [&](Json r) { reply = std::move(r); });
    const auto run = [&](std::chrono::milliseconds d) {
        const auto until = std::chrono::steady_clock::now() + d;
        while (!reply && std::chrono::steady_clock::now() < until) {
            while (!fetcher_->pending.empty()) fetcher_->answer(ok_response(kFeed, ""));
            io_.restart();
            io_.run_for(10ms);
        }
    };
    // Every started poll is answered at once; the writer waits for the lock.
    run(1500ms);
    EXPECT_FALSE(reply);
    EXPECT_EQ(fetcher_->requests.size(), 4u);  // 2 x max_parallel

    ASSERT_EQ(sqlite3_exec(lock, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(lock);
    run(20s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(fetcher_->requests.size(), static_cast<std::size_t>(kSources));
    const Json& results = (*reply)["result"]["results"];
    ASSERT_EQ(results.size(), static_cast<std::size_t>(kSources));
    for (const auto& r : results) {
        EXPECT_TRUE(r["ok"]) << r.dump();
        EXPECT_EQ(r["new"], 2) << r.dump();
    }
    EXPECT_EQ(call({{"cmd", "status"}})["result"]["items"], 2 * kSources);
}
