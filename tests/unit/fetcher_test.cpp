// The libcurl fetcher against a real HTTP server on 127.0.0.1
// (tests/tools/feedserver.py), with the Asio loop run in the test thread and
// every run bounded by a deadline so a bug fails a test instead of hanging it.
#include "fetchers/fetcher.h"

#include "fetchers/address_guard.h"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <boost/asio/io_context.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace specwatch::fetch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using nlohmann::json;

constexpr const char* kPython = "/usr/bin/python3";

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const fs::path& p, std::string_view content) {
    std::ofstream out(p, std::ios::binary);
    out << content;
}

// A port nobody listens on: bound by the kernel, then closed again.
int closed_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    ::close(s);
    return ntohs(addr.sin_port);
}

std::size_t open_fds() {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{}));
}

// The feed server is on 127.0.0.1, which the SSRF guard refuses unless the
// source allows private addresses; the guard's own tests turn it back on.
Request loopback() {
    Request r;
    r.allow_private = true;
    return r;
}

Request get(std::string url) {
    Request r = loopback();
    r.url = std::move(url);
    return r;
}

// The largest number of requests the server was answering at once.
int max_concurrency(const std::vector<json>& log) {
    std::vector<std::pair<double, int>> events;
    for (const auto& entry : log) {
        events.emplace_back(entry["started"].get<double>(), +1);
        events.emplace_back(entry["finished"].get<double>(), -1);
    }
    std::sort(events.begin(), events.end());  // at a tie, an end (-1) sorts first
    int now = 0, most = 0;
    for (const auto& [when, delta] : events) {
        now += delta;
        most = std::max(most, now);
    }
    return most;
}

class FetcherTest : public ::testing::Test {
  protected:
    void SetUp() override {
        // A developer's http_proxy must not capture our loopback requests.
        ::setenv("no_proxy", "127.0.0.1,localhost", 1);
        ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);

        std::string tmpl = (fs::temp_directory_path() / "specwatch-fetcher-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        root_ = dir_ / "root";
        fs::create_directories(root_);
        write_file(root_ / "feed.xml", kFeed);
        start_server();
    }

    void TearDown() override {
        fetcher_.reset();
        stop_server();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    void start_server() {
        const std::string script = std::string(SPECWATCH_TEST_TOOLS) + "/feedserver.py";
        const std::string root = root_.string(), port_file = (dir_ / "port").string(),
                          log = (dir_ / "server.log").string();
        std::vector<std::string> args = {kPython, script,        "--root",  root,    "--port",
                                         "0",     "--port-file", port_file, "--log", log};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ASSERT_EQ(::posix_spawn(&server_pid_, kPython, nullptr, nullptr, argv.data(), environ), 0);

        const auto deadline = SteadyClock::now() + 10s;
        while (SteadyClock::now() < deadline) {
            if (fs::exists(port_file)) {
                port_ = std::stoi(read_file(port_file));
                return;
            }
            int status = 0;
            ASSERT_EQ(::waitpid(server_pid_, &status, WNOHANG), 0) << "feedserver.py exited";
            std::this_thread::sleep_for(20ms);
        }
        FAIL() << "feedserver.py did not write its port within 10 s";
    }

    void stop_server() {
        if (server_pid_ <= 0) return;
        ::kill(server_pid_, SIGTERM);
        const auto deadline = SteadyClock::now() + 5s;
        int status = 0;
        while (::waitpid(server_pid_, &status, WNOHANG) == 0) {
            if (SteadyClock::now() > deadline) {
                ADD_FAILURE() << "feedserver.py ignored SIGTERM";
                ::kill(server_pid_, SIGKILL);
                ::waitpid(server_pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(10ms);
        }
        server_pid_ = -1;
    }

    [[nodiscard]] std::string url(std::string_view path) const {
        return fmt::format("http://127.0.0.1:{}{}", port_, path);
    }

    Fetcher& make(Limits limits = {}) {
        fetcher_ = make_curl_fetcher(io_, limits);
        return *fetcher_;
    }

    // Runs the loop until `done` holds; false at the deadline, or when the loop
    // ran out of work first (then nothing could ever make `done` true).
    template <class Pred>
    bool run_until(Pred done, std::chrono::milliseconds limit = 20s) {
        const auto deadline = SteadyClock::now() + limit;
        io_.restart();
        while (!done()) {
            const auto now = SteadyClock::now();
            if (now >= deadline) return false;
            if (io_.run_one_for(deadline - now) == 0 && io_.stopped()) return done();
        }
        return true;
    }

    void run_for(std::chrono::milliseconds d) {
        io_.restart();
        io_.run_for(d);
    }

    Response fetch(Request request, std::chrono::milliseconds limit = 20s) {
        if (!fetcher_) make();
        std::optional<Response> out;
        fetcher_->fetch(std::move(request), [&out](Response r) { out = std::move(r); });
        EXPECT_TRUE(run_until([&] { return out.has_value(); }, limit)) << "no callback in time";
        return out.value_or(Response{});
    }

    Response fetch(std::string_view path) {
        Request r = loopback();
        r.url = url(path);
        return fetch(std::move(r));
    }

    // The server logs a request after its response has gone out, so a line may
    // lag the client's callback by a moment.
    std::vector<json> server_log(std::size_t at_least = 1) {
        std::vector<json> entries;
        const auto deadline = SteadyClock::now() + 5s;
        do {
            entries.clear();
            std::istringstream lines(read_file(dir_ / "server.log"));
            for (std::string line; std::getline(lines, line);) {
                if (!line.empty()) entries.push_back(json::parse(line));
            }
            if (entries.size() >= at_least) break;
            std::this_thread::sleep_for(20ms);
        } while (SteadyClock::now() < deadline);
        return entries;
    }

    static constexpr std::string_view kFeed =
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>t</title></channel></rss>\n";

    boost::asio::io_context io_;
    std::unique_ptr<Fetcher> fetcher_;
    fs::path dir_, root_;
    pid_t server_pid_ = -1;
    int port_ = 0;
};

TEST_F(FetcherTest, FetchesAFileWithStatus200BodyAndValidators) {
    const Response r = fetch("/feed.xml");
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, kFeed);
    EXPECT_FALSE(r.etag.empty());
    EXPECT_FALSE(r.last_modified.empty());
    EXPECT_EQ(r.content_type, "application/rss+xml; charset=utf-8");
    EXPECT_EQ(r.effective_url, url("/feed.xml"));
    EXPECT_EQ(fetcher_->in_flight(), 0u);
}

TEST_F(FetcherTest, ASecondFetchWithTheValidatorsGets304) {
    const Response first = fetch("/feed.xml");
    ASSERT_TRUE(first.ok()) << first.error;

    Request by_etag = loopback();
    by_etag.url = url("/feed.xml");
    by_etag.etag = first.etag;
    const Response second = fetch(by_etag);
    EXPECT_TRUE(second.not_modified()) << second.status << " " << second.error;
    EXPECT_FALSE(second.ok());
    EXPECT_TRUE(second.body.empty());

    Request by_date = loopback();
    by_date.url = url("/feed.xml");
    by_date.last_modified = first.last_modified;
    EXPECT_TRUE(fetch(by_date).not_modified());

    const auto log = server_log(3);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[1]["if_none_match"], first.etag);
    EXPECT_EQ(log[1]["status"], 304);
    EXPECT_EQ(log[2]["if_modified_since"], first.last_modified);
    EXPECT_EQ(log[2]["status"], 304);
}

TEST_F(FetcherTest, AChangedDocumentIsSentAgainDespiteTheOldEtag) {
    const Response first = fetch("/feed.xml");
    ASSERT_TRUE(first.ok()) << first.error;
    write_file(root_ / "feed.xml", "<rss>changed</rss>");

    Request again = loopback();
    again.url = url("/feed.xml");
    again.etag = first.etag;
    const Response second = fetch(again);
    EXPECT_TRUE(second.ok()) << second.error;
    EXPECT_EQ(second.body, "<rss>changed</rss>");
    EXPECT_NE(second.etag, first.etag);
}

TEST_F(FetcherTest, GzipIsAskedForAndDecoded) {
    std::string big;
    for (int i = 0; i < 5000; ++i) big += fmt::format("<item><title>Item {}</title></item>\n", i);
    write_file(root_ / "big.xml", big);

    const Response r = fetch("/big.xml");
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.body, big);

    const auto log = server_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_NE(log[0]["accept_encoding"].get<std::string>().find("gzip"), std::string::npos);
    EXPECT_EQ(log[0]["content_encoding"], "gzip");
}

TEST_F(FetcherTest, SendsTheUserAgent) {
    Request request = loopback();
    request.url = url("/headers");
    request.user_agent = "specwatch-test/1.0 (+https://example.org)";
    const Response r = fetch(request);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(json::parse(r.body)["User-Agent"], request.user_agent);
    EXPECT_EQ(server_log()[0]["user_agent"], request.user_agent);
}

TEST_F(FetcherTest, ANon2xxStatusIsAStatusNotAnError) {
    const Response r = fetch("/status?code=404");
    EXPECT_EQ(r.status, 404);
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(fetch("/status?code=503").status, 503);
}

TEST_F(FetcherTest, MaxBodyStopsAnEndlessBodyQuickly) {
    Request request = loopback();
    request.url = url("/endless");
    request.max_body = 1024 * 1024;
    const auto start = SteadyClock::now();
    const Response r = fetch(request);
    EXPECT_EQ(r.error, "response body exceeds max_body (1048576 bytes)");
    EXPECT_FALSE(r.ok());
    EXPECT_LE(r.body.size(), request.max_body);
    EXPECT_LT(SteadyClock::now() - start, 5s);
}

TEST_F(FetcherTest, MaxBodyCountsDecodedBytesAndStopsAGzipBomb) {
    Request request = loopback();
    request.url = url("/bomb?mb=64");
    request.max_body = 1024 * 1024;
    const auto start = SteadyClock::now();
    const Response r = fetch(request);
    EXPECT_EQ(r.error, "response body exceeds max_body (1048576 bytes)");
    EXPECT_EQ(r.status, 200);
    EXPECT_LE(r.body.size(), request.max_body);
    EXPECT_LT(SteadyClock::now() - start, 10s);
}

TEST_F(FetcherTest, TimeoutStopsATricklingServer) {
    Request request = loopback();
    request.url = url("/trickle");
    request.timeout = 2s;
    const auto start = SteadyClock::now();
    const Response r = fetch(request);
    EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
    EXPECT_GE(r.elapsed, 1500ms);
    EXPECT_LT(SteadyClock::now() - start, 6s);
}

TEST_F(FetcherTest, TimeoutStopsASlowServer) {
    Request request = loopback();
    request.url = url("/slow?seconds=10");
    request.timeout = 1s;
    const auto start = SteadyClock::now();
    const Response r = fetch(request);
    EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
    EXPECT_EQ(r.status, 0);
    EXPECT_LT(SteadyClock::now() - start, 4s);
}

TEST_F(FetcherTest, FollowsRedirectsAndReportsTheEffectiveUrl) {
    const Response r = fetch("/redirect?to=/feed.xml&code=301");
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.body, kFeed);
    EXPECT_EQ(r.effective_url, url("/feed.xml"));
    EXPECT_NE(r.etag, "\"redirect\"");
    EXPECT_FALSE(r.etag.empty());

    const Response twice = fetch("/redirect?to=" + url("/redirect?to=/feed.xml"));
    EXPECT_TRUE(twice.ok()) << twice.error;
    EXPECT_EQ(twice.effective_url, url("/feed.xml"));
}

TEST_F(FetcherTest, ValidatorsComeFromTheFinalResponseNotTheRedirect) {
    // The redirect carries an ETag and a Last-Modified; the final answer has none.
    const Response r = fetch("/redirect?to=/status%3Fcode%3D200");
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.effective_url, url("/status?code=200"));
    EXPECT_EQ(r.etag, "");
    EXPECT_EQ(r.last_modified, "");
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
}

TEST_F(FetcherTest, ARedirectLoopEndsWithAnError) {
    const Response r = fetch("/loop");
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.error.find("redirect"), std::string::npos) << r.error;
    // The first request plus five redirects, then libcurl stops.
    EXPECT_EQ(server_log(6).size(), 6u);
}

TEST_F(FetcherTest, ResolvesHostNamesWithoutBlockingTheLoop) {
    Request request = loopback();
    request.url = fmt::format("http://localhost:{}/feed.xml", port_);
    const Response r = fetch(request);
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.body, kFeed);

    request.url = "http://name-that-does-not-exist.invalid/feed.xml";
    const Response unknown = fetch(request);
    EXPECT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error.find("name-that-does-not-exist.invalid"), std::string::npos)
        << unknown.error;
}

TEST_F(FetcherTest, ConnectionRefusedGivesAnErrorNamingTheAddress) {
    const int port = closed_port();
    Request request = loopback();
    request.url = fmt::format("http://127.0.0.1:{}/feed.xml", port);
    const Response r = fetch(request);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error.find("127.0.0.1"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(std::to_string(port)), std::string::npos) << r.error;
}

TEST_F(FetcherTest, ARedirectToFileIsRefusedEvenWhenFileUrlsAreAllowed) {
    const fs::path secret = dir_ / "secret.txt";
    write_file(secret, "do not leak");
    Request request = loopback();
    request.url = url("/redirect?to=file://" + secret.string());
    request.allow_file = true;
    const Response r = fetch(request);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.error.find("file"), std::string::npos) << r.error;
    EXPECT_EQ(r.body.find("do not leak"), std::string::npos);
}

TEST_F(FetcherTest, FileUrlsAreFetchedOnlyWithAllowFile) {
    Request request = loopback();
    request.url = "file://" + (root_ / "feed.xml").string();
    const Response refused = fetch(request);
    EXPECT_FALSE(refused.ok());
    EXPECT_NE(refused.error.find("file"), std::string::npos) << refused.error;

    request.allow_file = true;
    const Response allowed = fetch(request);
    EXPECT_TRUE(allowed.ok()) << allowed.error;
    EXPECT_EQ(allowed.status, 0);
    EXPECT_EQ(allowed.body, kFeed);

    request.url = "file://" + (root_ / "missing.xml").string();
    const Response missing = fetch(request);
    EXPECT_FALSE(missing.ok());
    EXPECT_FALSE(missing.error.empty());
}

TEST_F(FetcherTest, UsesTheConfiguredProxy) {
    Request request = loopback();
    request.url = "http://feeds.invalid/feed.xml";
    request.proxy = url("");
    const Response r = fetch(request);
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.body, kFeed);
    EXPECT_EQ(server_log()[0]["path"], "http://feeds.invalid/feed.xml");
}

TEST_F(FetcherTest, NeverRunsMoreThanMaxParallelTransfersAtOnce) {
    auto& fetcher = make({.max_parallel = 2, .max_per_host = 8});
    int done = 0;
    const auto start = SteadyClock::now();
    for (int i = 0; i < 4; ++i) {
        fetcher.fetch(get(url(fmt::format("/slow?seconds=1&n={}", i))), [&](Response r) {
            EXPECT_TRUE(r.ok()) << r.error;
            ++done;
        });
    }
    EXPECT_EQ(fetcher.in_flight(), 4u);
    ASSERT_TRUE(run_until([&] { return done == 4; }));
    EXPECT_GE(SteadyClock::now() - start, 1900ms);
    EXPECT_EQ(max_concurrency(server_log(4)), 2);
}

TEST_F(FetcherTest, NeverOpensMoreThanMaxPerHostConnectionsToOneHost) {
    auto& fetcher = make({.max_parallel = 8, .max_per_host = 2});
    int done = 0;
    for (int i = 0; i < 4; ++i) {
        fetcher.fetch(get(url(fmt::format("/slow?seconds=1&n={}", i))), [&](Response) { ++done; });
    }
    ASSERT_TRUE(run_until([&] { return done == 4; }));
    EXPECT_EQ(max_concurrency(server_log(4)), 2);
}

TEST_F(FetcherTest, ASlowHostHoldsOnlyItsOwnSlotsAndOtherHostsAreFetchedOnTime) {
    // Four slots, one per host: the slow host's three sources queue behind
    // each other, not in front of the other host's source.
    auto& fetcher = make({.max_parallel = 4, .max_per_host = 1});
    int slow_done = 0;
    std::optional<SteadyClock::duration> other_took;
    const auto start = SteadyClock::now();
    for (int i = 0; i < 3; ++i)
        fetcher.fetch(get(url(fmt::format("/slow?seconds=1&n={}", i))),
                      [&](Response) { ++slow_done; });
    fetcher.fetch(get(fmt::format("http://localhost:{}/feed.xml", port_)), [&](Response r) {
        EXPECT_TRUE(r.ok()) << r.error;
        other_took = SteadyClock::now() - start;
    });
    ASSERT_TRUE(run_until([&] { return slow_done == 3 && other_took.has_value(); }));
    EXPECT_LT(*other_took, 900ms) << "the other host waited for the slow one";
    EXPECT_GE(SteadyClock::now() - start, 3s) << "the slow host got more than one slot";
}

TEST_F(FetcherTest, QueuedTransfersStartInTheOrderAsked) {
    auto& fetcher = make({.max_parallel = 1, .max_per_host = 1});
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) {
        fetcher.fetch(get(url(fmt::format("/status?code=200&n={}", i))),
                      [&order, i](Response) { order.push_back(i); });
    }
    EXPECT_EQ(fetcher.in_flight(), 5u);
    ASSERT_TRUE(run_until([&] { return order.size() == 5; }));
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(fetcher.in_flight(), 0u);
}

TEST_F(FetcherTest, CancelAllWithTransfersInFlightRunsNoCallbacks) {
    auto& fetcher = make({.max_parallel = 2, .max_per_host = 2});
    int calls = 0;
    for (int i = 0; i < 4; ++i) {
        fetcher.fetch(get(url("/slow?seconds=1")), [&](Response) { ++calls; });
    }
    run_for(300ms);
    fetcher.cancel_all();
    EXPECT_EQ(fetcher.in_flight(), 0u);
    run_for(2000ms);  // past the moment the server answers
    EXPECT_EQ(calls, 0);

    // The fetcher is still usable afterwards.
    const Response r = fetch("/feed.xml");
    EXPECT_TRUE(r.ok()) << r.error;
}

TEST_F(FetcherTest, DestroyingTheFetcherMidTransferIsClean) {
    // A first fetcher warms up libcurl's global state, so the descriptor
    // count below compares like with like.
    EXPECT_TRUE(fetch("/feed.xml").ok());
    fetcher_.reset();
    const std::size_t fds_before = open_fds();
    auto& fetcher = make();
    int calls = 0;
    fetcher.fetch(get(url("/slow?seconds=1")), [&](Response) { ++calls; });
    fetcher.fetch(get(url("/trickle")), [&](Response) { ++calls; });
    // Waits for a connection: max_per_host is 2.
    fetcher.fetch(get(url("/feed.xml")), [&](Response) { ++calls; });
    run_for(200ms);
    fetcher_.reset();

    // Nothing is left for the loop: it returns at once, and no callback ran.
    const auto start = SteadyClock::now();
    io_.restart();
    io_.run_for(5s);
    EXPECT_LT(SteadyClock::now() - start, 1s);
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(open_fds(), fds_before) << "a socket was leaked";
}

TEST_F(FetcherTest, DestroyingTheFetcherWhileIdleDoesNotHang) {
    make();
    fetcher_.reset();
    const auto start = SteadyClock::now();
    io_.restart();
    io_.run_for(5s);
    EXPECT_LT(SteadyClock::now() - start, 1s);
}

TEST_F(FetcherTest, ACallbackMayDestroyTheFetcher) {
    auto& fetcher = make();
    int calls = 0;
    fetcher.fetch(get(url("/feed.xml")), [&](Response r) {
        EXPECT_TRUE(r.ok()) << r.error;
        ++calls;
        fetcher_.reset();
    });
    fetcher.fetch(get(url("/slow?seconds=1")), [&](Response) { ++calls; });
    run_until([&] { return calls > 0; });
    run_for(1500ms);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(fetcher_, nullptr);
}

TEST_F(FetcherTest, ACallbackMayFetchAgainAndCancel) {
    auto& fetcher = make();
    std::vector<std::string> bodies;
    std::function<void(Response)> next = [&](Response r) {
        bodies.push_back(r.body);
        if (bodies.size() < 3) fetcher.fetch(get(url("/feed.xml")), next);
    };
    fetcher.fetch(get(url("/feed.xml")), next);
    ASSERT_TRUE(run_until([&] { return bodies.size() == 3; }));
    EXPECT_EQ(bodies, (std::vector<std::string>(3, std::string(kFeed))));

    int cancelled_calls = 0;
    bool first = false;
    fetcher.fetch(get(url("/feed.xml")), [&](Response) {
        first = true;
        fetcher.cancel_all();
    });
    fetcher.fetch(get(url("/slow?seconds=1")), [&](Response) { ++cancelled_calls; });
    ASSERT_TRUE(run_until([&] { return first; }));
    EXPECT_EQ(fetcher.in_flight(), 0u);
    run_for(1500ms);
    EXPECT_EQ(cancelled_calls, 0);
}

TEST_F(FetcherTest, FiftyConcurrentFetchesAllComplete) {
    for (int i = 0; i < 50; ++i) {
        write_file(root_ / fmt::format("feed{}.xml", i), fmt::format("<rss>{}</rss>", i));
    }
    auto& fetcher = make();
    int ok = 0, failed = 0;
    for (int i = 0; i < 50; ++i) {
        fetcher.fetch(get(url(fmt::format("/feed{}.xml", i))), [&, i](Response r) {
            if (r.ok() && r.body == fmt::format("<rss>{}</rss>", i)) {
                ++ok;
            } else {
                ++failed;
                ADD_FAILURE() << i << ": " << r.status << " " << r.error;
            }
        });
    }
    EXPECT_EQ(fetcher.in_flight(), 50u);
    ASSERT_TRUE(run_until([&] { return ok + failed == 50; }, 30s));
    EXPECT_EQ(ok, 50);
    EXPECT_EQ(fetcher.in_flight(), 0u);
}

TEST_F(FetcherTest, LimitsBelowOneAreRefused) {
    EXPECT_THROW((void)make_curl_fetcher(io_, {.max_parallel = 0, .max_per_host = 2}),
                 std::invalid_argument);
    EXPECT_THROW((void)make_curl_fetcher(io_, {.max_parallel = 2, .max_per_host = 0}),
                 std::invalid_argument);
}

// ---- the SSRF guard

TEST(AddressGuard, RefusesEveryNonPublicRangeAndNamesIt) {
    const std::pair<const char*, std::string_view> cases[] = {
        {"127.0.0.1", "loopback"},
        {"127.255.255.254", "loopback"},
        {"10.1.2.3", "private"},
        {"172.16.0.1", "private"},
        {"172.31.255.255", "private"},
        {"192.168.1.1", "private"},
        {"100.64.0.1", "shared/CGNAT"},
        {"100.127.255.255", "shared/CGNAT"},
        {"169.254.169.254", "link-local"},
        {"0.0.0.0", "unspecified"},
        {"224.0.0.1", "multicast"},
        {"255.255.255.255", "reserved"},
        {"::", "unspecified"},
        {"::1", "loopback"},
        {"fc00::1", "private"},
        {"fd12:3456::1", "private"},
        {"fe80::1", "link-local"},
        {"ff02::1", "multicast"},
        {"::ffff:127.0.0.1", "loopback"},
        {"::ffff:169.254.169.254", "link-local"},
        {"::ffff:10.0.0.1", "private"},
        {"::127.0.0.1", "loopback"},
        {"64:ff9b::a00:1", "private"},    // NAT64 of 10.0.0.1
        {"2002:7f00:1::", "loopback"},    // 6to4 of 127.0.0.1
        {"2002:c0a8:101::1", "private"},  // 6to4 of 192.168.1.1
    };
    for (const auto& [address, kind] : cases)
        EXPECT_EQ(blocked_address_kind(std::string_view(address)), kind) << address;
}

TEST(AddressGuard, LetsPublicAddressesThrough) {
    for (const char* address :
         {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "169.255.0.1",
          "2606:2800:220:1:248:1893:25c8:1946", "::ffff:8.8.8.8", "2002:808:808::1", "2001:db9::1"})
        EXPECT_EQ(blocked_address_kind(std::string_view(address)), "") << address;
}

TEST_F(FetcherTest, RefusesLoopbackUnlessAllowedWithAClearError) {
    ::unsetenv("http_proxy");
    ::unsetenv("all_proxy");
    ::unsetenv("ALL_PROXY");
    Request request;
    request.url = url("/feed.xml");
    const Response refused = fetch(request);
    EXPECT_FALSE(refused.ok());
    EXPECT_EQ(refused.error,
              "refusing to connect to 127.0.0.1 (loopback): set allow_private = true for this "
              "source if that is intended");

    request.allow_private = true;
    const Response allowed = fetch(request);
    EXPECT_TRUE(allowed.ok()) << allowed.error;
    EXPECT_EQ(server_log().size(), 1u) << "the refused request never reached the server";
}

TEST_F(FetcherTest, AConnectionKeptForAnAllowedSourceDoesNotServeAGuardedOne) {
    ::unsetenv("http_proxy");
    ::unsetenv("all_proxy");
    ::unsetenv("ALL_PROXY");
    auto& fetcher = make({.max_parallel = 4, .max_per_host = 4});
    for (bool allow : {true, false}) {
        Request request;
        request.url = url("/feed.xml");
        request.allow_private = allow;
        std::optional<Response> out;
        fetcher.fetch(request, [&](Response r) { out = std::move(r); });
        ASSERT_TRUE(run_until([&] { return out.has_value(); }));
        if (allow) {
            EXPECT_TRUE(out->ok()) << out->error;
        } else {
            EXPECT_FALSE(out->ok());
            EXPECT_NE(out->error.find("refusing to connect to 127.0.0.1"), std::string::npos)
                << out->error;
        }
    }
    EXPECT_EQ(server_log().size(), 1u);
}

TEST_F(FetcherTest, TheGuardJudgesTheAddressNotTheName) {
    ::unsetenv("http_proxy");
    ::unsetenv("all_proxy");
    ::unsetenv("ALL_PROXY");
    // "localhost" is a name; what it resolves to is what counts.
    for (const std::string host : {"localhost", "0.0.0.0", "[::ffff:127.0.0.1]", "[::1]"}) {
        Request request;
        request.url = fmt::format("http://{}:{}/feed.xml", host, port_);
        const Response r = fetch(request);
        EXPECT_FALSE(r.ok()) << host;
        EXPECT_NE(r.error.find("refusing to connect to"), std::string::npos)
            << host << ": " << r.error;
    }
}

// ---- what the fetcher reports about the server

TEST_F(FetcherTest, ReportsWhereAPermanentRedirectLeads) {
    const std::string inner = "/redirect%3Fcode%3D308%26to%3D%2Ffeed.xml";
    const Response r = fetch("/redirect?code=301&to=" + inner);
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.permanent_redirect, url("/feed.xml"));
}

TEST_F(FetcherTest, ATemporaryRedirectFirstIsNotAMove) {
    const std::string inner = "/redirect%3Fcode%3D301%26to%3D%2Ffeed.xml";
    const Response r = fetch("/redirect?code=302&to=" + inner);
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.permanent_redirect, "");
    EXPECT_EQ(fetch("/feed.xml").permanent_redirect, "");
}

TEST_F(FetcherTest, ReadsRetryAfter) {
    const Response r = fetch("/status?code=503&retry_after=120");
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.status, 503);
    ASSERT_TRUE(r.retry_after.has_value());
    EXPECT_EQ(*r.retry_after, 120s);
    EXPECT_FALSE(fetch("/status?code=503").retry_after.has_value());
}

TEST_F(FetcherTest, AConnectionResetIsAnError) {
    const Response r = fetch("/reset");
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.error.empty());
}

TEST_F(FetcherTest, ATruncatedBodyIsAnErrorNotAShortDocument) {
    write_file(root_ / "big.xml", std::string(50000, 'x'));
    const Response r = fetch("/truncated?file=big.xml");
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.error.find("ransfer closed"), std::string::npos) << r.error;
}

TEST_F(FetcherTest, AnEnormousHeaderIsAnError) {
    const Response r = fetch("/bighead?kb=2048");
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.error.empty());
}

TEST_F(FetcherTest, AServerThatNeverAnswersIsCutOffByTheTimeout) {
    Request request = loopback();
    request.url = url("/hang?seconds=30");
    request.timeout = 2s;
    const auto start = SteadyClock::now();
    const Response r = fetch(request);
    EXPECT_FALSE(r.ok());
    EXPECT_LT(SteadyClock::now() - start, 10s);
    EXPECT_NE(r.error.find("imed out"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace specwatch::fetch
