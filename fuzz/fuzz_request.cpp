// The control protocol's request handler: request lines as a client sends
// them, checked as the control server checks them, then run through the
// daemon's command table against a real database (in a temporary folder),
// with a fetcher that answers every fetch at once with a small feed.
#include "daemon/service.h"
#include "fuzz/fuzz_common.h"

#include <boost/asio/post.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

namespace {

using namespace specwatch;
using namespace std::chrono_literals;
using protocol::Json;

const char* kFeed = R"(<?xml version="1.0"?>
<rss version="2.0"><channel><title>News</title><link>https://example.org/</link>
<item><guid>a</guid><title>5G core network</title><link>https://example.org/a</link>
<pubDate>Mon, 16 Mar 2026 09:00:00 GMT</pubDate></item>
<item><guid>b</guid><title>IMT-2030 workshop</title><link>https://example.org/b</link></item>
</channel></rss>)";

class InstantFetcher final : public fetch::Fetcher {
  public:
    explicit InstantFetcher(boost::asio::io_context& io) : io_(io) {}
    void fetch(fetch::Request, fetch::Callback done) override {
        fetch::Response r;
        r.status = 200;
        r.body = kFeed;
        r.effective_url = "https://example.org/feed";
        boost::asio::post(io_, [done = std::move(done), r = std::move(r)] { done(r); });
    }
    void cancel_all() override {}
    [[nodiscard]] std::size_t in_flight() const override { return 0; }

  private:
    boost::asio::io_context& io_;
};

struct World {
    std::filesystem::path dir;
    boost::asio::io_context io;
    ManualClock clock{from_unix(1'800'000'000)};
    std::unique_ptr<daemon::Service> service;

    World() {
        dir = std::filesystem::temp_directory_path() /
              ("specwatch-fuzz-request-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        const auto toml = fmt::format(R"([daemon]
database = "{}/specwatch.db"
[[source]]
name = "news"
body = "ITU"
url = "https://example.org/feed"
[[rule]]
name = "5g"
query = '5G OR "IMT-2030"'
to = ["analyst@example.org"]
)",
                                      dir.string());
        const auto path = (dir / "specwatch.toml").string();
        std::ofstream(path) << toml;
        auto c = config::load_file(path);
        if (!c) {
            for (const auto& p : c.error()) std::fprintf(stderr, "%s\n", p.to_string().c_str());
            std::abort();
        }
        service = std::make_unique<daemon::Service>(
            io, std::make_shared<const config::Config>(std::move(*c)), clock,
            [](boost::asio::io_context& loop, fetch::Limits) {
                return std::make_unique<InstantFetcher>(loop);
            });
        service->open();
    }
    ~World() {
        service.reset();
        std::filesystem::remove_all(dir);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static World world;
    protocol::LineBuffer lines(protocol::kMaxRequestBytes);
    lines.append(fuzz::bytes(data, size));
    lines.append("\n");
    int handled = 0;
    while (auto line = lines.next_line()) {
        if (++handled > 8) break;  // a few requests per input keep runs fast
        Json request = Json::parse(*line, nullptr, false);
        if (request.is_discarded() || !request.is_object() || !request.contains("cmd") ||
            !request["cmd"].is_string())
            continue;
        request.erase("_fd");  // only the control server sets it (a passed descriptor)
        std::optional<Json> reply;
        try {
            world.service->handle(request, [&](Json r) { reply = std::move(r); });
        } catch (const std::exception&) {
            continue;  // the control server answers these with "internal error"
        }
        for (int i = 0; i < 1000 && !reply; ++i) {
            world.io.restart();
            world.io.run_for(5ms);
        }
        // Every request gets exactly one well-formed reply, which encodes.
        if (!reply || !reply->is_object() || !reply->contains("ok")) std::abort();
        (void)protocol::encode(*reply);
    }
    return 0;
}
