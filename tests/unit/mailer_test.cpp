// The mailer on a real loop and writer thread, with a scripted transport and a
// ManualClock: retry timing, 5xx, and digests without sleeping for them.
#include "daemon/mailer.h"

#include "alerts/alerts.h"
#include "alerts/transport.h"
#include "common/clock.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <deque>
#include <filesystem>
#include <future>
#include <mutex>

#include <gtest/gtest.h>

using namespace specwatch;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// Answers from a script; records what it was asked to send.
struct Script {
    std::mutex mu;
    std::deque<alerts::SendResult> answers;
    std::vector<std::string> sent_ids;
};

class FakeTransport final : public alerts::Transport {
  public:
    explicit FakeTransport(std::shared_ptr<Script> s) : s_(std::move(s)) {}
    alerts::SendResult send(const alerts::Outgoing& m) override {
        std::lock_guard lock(s_->mu);
        s_->sent_ids.push_back(m.message_id);
        if (s_->answers.empty()) return {alerts::SendStatus::sent, 250, ""};
        auto a = s_->answers.front();
        s_->answers.pop_front();
        return a;
    }

  private:
    std::shared_ptr<Script> s_;
};

class MailerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("specwatch-mailer-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        auto cfg = std::make_shared<config::Config>();
        cfg->mail.transport = config::Transport::smtp;
        cfg->mail.from = "specwatch <specwatch@example.org>";
        config::Source src;
        src.name = "itu";
        src.body = "ITU";
        src.url = "https://example.org/feed";
        cfg->sources = {src};
        config::Rule rule;
        rule.name = "5g";
        rule.query = "5G";
        rule.to = {"analyst@example.org"};
        cfg->rules = {rule};
        cfg_ = cfg;
        store_ = storage::Store::open((dir_ / "db").string(), clock_).value();
        ASSERT_TRUE(store_->sync_sources(cfg_->sources));
        mailer_ = std::make_unique<daemon::Mailer>(
            io_, writer_, [this]() -> storage::Store& { return *store_; }, clock_,
            [this] { return cfg_; },
            [this](const config::MailSettings&) {
                return std::make_unique<FakeTransport>(script_);
            });
    }
    void TearDown() override {
        mailer_->stop();
        drain();
        writer_.join();
        mailer_.reset();
        store_.reset();
        fs::remove_all(dir_);
    }

    // Runs the loop until the round under way has posted back.
    void drain() {
        for (int i = 0; i < 50; ++i) {
            io_.restart();
            io_.run_for(20ms);
        }
    }

    void poll(std::vector<Item> items) {
        // On the writer thread, as the daemon does.
        std::promise<void> done;
        asio::post(writer_, [&] {
            storage::FetchOutcome o;
            o.when = to_unix(clock_.now());
            o.http_status = 200;
            auto r = store_->store_poll(
                "itu", items, o,
                [&](storage::sql::StatementCache& st, storage::StoreResult& b) -> Result<void> {
                    auto n = alerts::match_batch(st, *cfg_, "itu", b, clock_.now());
                    if (!n) return n.error();
                    return {};
                });
            EXPECT_TRUE(r);
            done.set_value();
        });
        done.get_future().wait();
    }

    alerts::MailCounts counts() {
        std::promise<alerts::MailCounts> p;
        asio::post(writer_,
                   [&] { p.set_value(alerts::mail_counts(store_->statements()).value()); });
        return p.get_future().get();
    }

    Item item(std::string id, std::string title) {
        Item it;
        it.id = std::move(id);
        it.title = std::move(title);
        return it;
    }

    fs::path dir_;
    ManualClock clock_{parse_iso("2026-03-16T09:00:00Z").value()};
    asio::io_context io_;
    asio::thread_pool writer_{1};
    std::shared_ptr<const config::Config> cfg_;
    std::unique_ptr<storage::Store> store_;
    std::shared_ptr<Script> script_ = std::make_shared<Script>();
    std::unique_ptr<daemon::Mailer> mailer_;
};

TEST_F(MailerTest, a451IsRetriedAfterAMinuteWithTheSameMessageAndThenSent) {
    poll({});
    poll({item("1", "5G news")});
    script_->answers = {{alerts::SendStatus::temporary, 451, "451 later"}};
    mailer_->kick();
    drain();
    EXPECT_EQ(counts().queued, 1);
    ASSERT_EQ(script_->sent_ids.size(), 1u);
    // 59 s later it is not due yet.
    clock_.advance(59s);
    mailer_->kick();
    drain();
    EXPECT_EQ(script_->sent_ids.size(), 1u);
    clock_.advance(1s);
    mailer_->kick();
    drain();
    ASSERT_EQ(script_->sent_ids.size(), 2u);
    EXPECT_EQ(script_->sent_ids[0], script_->sent_ids[1]);
    EXPECT_EQ(counts().sent, 1);
    EXPECT_EQ(counts().queued, 0);
}

TEST_F(MailerTest, a550FailsAtOnceAndIsNotRetried) {
    poll({});
    poll({item("1", "5G news")});
    script_->answers = {{alerts::SendStatus::permanent, 550, "550 no"}};
    mailer_->kick();
    drain();
    clock_.advance(2h);
    mailer_->kick();
    drain();
    EXPECT_EQ(script_->sent_ids.size(), 1u);
    EXPECT_EQ(counts().failed, 1);
}

TEST_F(MailerTest, startSendsEveryQueuedMessageAtOnce) {
    poll({});
    poll({item("1", "5G news")});
    script_->answers = {{alerts::SendStatus::temporary, 0, "connection refused"}};
    mailer_->kick();
    drain();
    EXPECT_EQ(counts().queued, 1);
    mailer_->start();  // a restart: the queue run does not wait for the backoff
    drain();
    EXPECT_EQ(counts().sent, 1);
}

}  // namespace
