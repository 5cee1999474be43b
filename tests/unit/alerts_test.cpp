#include "alerts/alerts.h"
#include "alerts/message.h"
#include "alerts/transport.h"

#include "common/clock.h"
#include "common/log.h"
#include "storage/sqlite.h"
#include "storage/store.h"

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

using namespace specwatch;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

SysTime at(const char* iso) {
    return parse_iso(iso).value();
}

Item make_item(std::string id, std::string title, std::string link = "") {
    Item it;
    it.id = id;
    it.title = std::move(title);
    it.link = link.empty() ? "https://example.org/" + id : link;
    return it;
}

config::Source make_source(std::string name, std::string body) {
    config::Source s;
    s.name = std::move(name);
    s.body = std::move(body);
    s.url = "https://example.org/" + s.name;
    return s;
}

config::Rule make_rule(std::string name, std::string query) {
    config::Rule r;
    r.name = std::move(name);
    r.query = std::move(query);
    r.to = {"analyst@example.org"};
    return r;
}

storage::FetchOutcome ok(SysTime when) {
    storage::FetchOutcome o;
    o.when = to_unix(when);
    o.http_status = 200;
    o.next_poll = o.when + 3600;
    return o;
}

// A store with sources, the config's rules, and a poll that matches them the
// way the daemon does: inside store_poll's transaction.
class AlertsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("specwatch-alerts-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        cfg_.mail.transport = config::Transport::smtp;
        cfg_.mail.from = "specwatch <specwatch@example.org>";
        cfg_.sources = {make_source("itu-a", "ITU"), make_source("itu-b", "ITU"),
                        make_source("3gpp", "3GPP")};
    }
    void TearDown() override {
        db_.reset();
        fs::remove_all(dir_);
    }

    storage::Store& db() {
        if (!db_) {
            db_ = storage::Store::open((dir_ / "db").string(), clock_).value();
            EXPECT_TRUE(db_->sync_sources(cfg_.sources));
        }
        return *db_;
    }

    storage::StoreResult poll(const std::string& source, const std::vector<Item>& items) {
        auto r = db().store_poll(
            source, items, ok(clock_.now()),
            [&](storage::sql::StatementCache& st, storage::StoreResult& batch) -> Result<void> {
                auto n = alerts::match_batch(st, cfg_, source, batch, clock_.now());
                if (!n) return n.error();
                batch.alerts = *n;
                return {};
            });
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        clock_.advance(60s);
        return r ? *r : storage::StoreResult{};
    }

    std::vector<alerts::Outgoing> outbox() {
        return alerts::due_messages(db().statements(), SysTime::max(), 100).value();
    }

    std::vector<alerts::AlertRow> alert_rows() {
        return alerts::list_alerts(db().statements(), "", std::nullopt, 100).value();
    }

    // Runs the digest step the way the mailer does, in one transaction;
    // returns how many digests it queued (-1 on failure).
    int run_digests() {
        int queued = -1;
        EXPECT_TRUE(db().transaction([&](storage::sql::StatementCache& st) -> Result<void> {
            auto n = alerts::run_digests(st, cfg_, clock_.now());
            if (!n) return n.error();
            queued = *n;
            return {};
        }));
        return queued;
    }

    fs::path dir_;
    ManualClock clock_{at("2026-03-16T09:00:00Z")};
    config::Config cfg_;
    std::unique_ptr<storage::Store> db_;
};

TEST_F(AlertsTest, aFirstPollIsABaselineAndLaterNewItemsAlertOnce) {
    cfg_.rules = {make_rule("5g", "5G")};
    EXPECT_EQ(poll("itu-a", {make_item("1", "5G plans")}).alerts, 0);
    EXPECT_TRUE(outbox().empty());
    auto second = poll("itu-a", {make_item("1", "5G plans"), make_item("2", "More 5G"),
                                 make_item("3", "25G and 5GHz")});
    EXPECT_EQ(second.alerts, 1);
    ASSERT_EQ(outbox().size(), 1u);
    EXPECT_NE(outbox()[0].data.find("Subject: =?UTF-8?B?"), std::string::npos);
    EXPECT_EQ(outbox()[0].recipients, std::vector<std::string>{"analyst@example.org"});
    EXPECT_EQ(outbox()[0].sender, "specwatch@example.org");
    // The same document again: nothing new.
    EXPECT_EQ(poll("itu-a", {make_item("2", "More 5G")}).alerts, 0);
    EXPECT_EQ(outbox().size(), 1u);
}

TEST_F(AlertsTest, firstPollAlertWhenConfigured) {
    cfg_.daemon.first_poll_alerts = true;
    cfg_.rules = {make_rule("5g", "5G")};
    EXPECT_EQ(poll("itu-a", {make_item("1", "5G plans")}).alerts, 1);
}

TEST_F(AlertsTest, bodiesSourcesAndOrganizationsFilter) {
    auto by_body = make_rule("body", "5G");
    by_body.bodies = {"3gpp"};
    auto by_source = make_rule("source", "5G");
    by_source.sources = {"itu-*"};
    auto by_org = make_rule("org", "5G");
    by_org.organizations = {"ericsson"};
    cfg_.rules = {by_body, by_source, by_org};
    poll("itu-a", {});
    poll("3gpp", {});
    Item contributed = make_item("c", "5G contribution");
    contributed.organizations = {"Ericsson", "Nokia"};
    poll("itu-a", {make_item("x", "5G news"), contributed});
    poll("3gpp", {make_item("y", "5G spec")});
    std::multiset<std::string> fired;
    for (const auto& a : alert_rows()) fired.insert(a.rule + ":" + a.title);
    EXPECT_EQ(fired, (std::multiset<std::string>{"body:5G spec", "source:5G news",
                                                 "source:5G contribution", "org:5G contribution"}));
}

TEST_F(AlertsTest, theSameLinkThroughTwoSourcesAlertsOnceListingBoth) {
    auto rule = make_rule("5g", "5G");
    rule.delivery = config::Delivery::digest;
    cfg_.rules = {rule};
    ASSERT_TRUE(db().transaction([&](storage::sql::StatementCache& st) -> Result<void> {
        return alerts::run_digests(st, cfg_, clock_.now()).has_value() ? Result<void>{}
                                                                       : make_error("digest");
    }));
    poll("itu-a", {});
    poll("itu-b", {});
    poll("itu-a", {make_item("a", "5G doc", "https://www.Example.org/doc/?utm_source=x#top")});
    poll("itu-b", {make_item("b", "5G doc", "http://example.org/doc")});
    auto rows = alert_rows();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].state, "duplicate");
    EXPECT_EQ(alerts::mail_counts(db().statements())->alerts, 1);
    clock_.advance(48h);
    ASSERT_TRUE(db().transaction([&](storage::sql::StatementCache& st) -> Result<void> {
        auto n = alerts::run_digests(st, cfg_, clock_.now());
        if (!n) return n.error();
        EXPECT_EQ(*n, 1);
        return {};
    }));
    ASSERT_EQ(outbox().size(), 1u);
    EXPECT_NE(outbox()[0].data.find("via itu-a, itu-b"), std::string::npos);
}

TEST_F(AlertsTest, TwoItemsOfOnePollWithOneLinkAlertOnceAndOnlyTheFirstIsMailed) {
    cfg_.rules = {make_rule("5g", "5G"), make_rule("6g", "6G")};
    poll("itu-a", {});
    poll("itu-b", {});
    // One document twice in a poll, another already alerted through itu-a:
    // each rule alerts once per document, the later items are duplicates of
    // that rule's first alert.
    poll("itu-a", {make_item("p", "5G prior", "https://example.org/prior")});
    auto third = poll("itu-b", {make_item("a", "5G doc", "https://example.org/doc"),
                                make_item("b", "5G and 6G doc", "https://www.example.org/doc/"),
                                make_item("c", "5G again", "https://example.org/prior"),
                                make_item("d", "6G only", "https://example.org/other")});
    EXPECT_EQ(third.alerts, 3);  // 5g: a; 6g: b, d
    std::multiset<std::string> states;
    for (const auto& a : alert_rows()) states.insert(a.rule + ":" + a.title + ":" + a.state);
    EXPECT_EQ(states,
              (std::multiset<std::string>{"5g:5G prior:mailed", "5g:5G doc:mailed",
                                          "5g:5G and 6G doc:duplicate", "5g:5G again:duplicate",
                                          "6g:5G and 6G doc:mailed", "6g:6G only:mailed"}));
    EXPECT_EQ(outbox().size(), 3u);  // 5g's first poll, then 5g's and 6g's
}

TEST_F(AlertsTest, aChangedItemAlertsPerChangeAndThreadsToTheFirstMail) {
    auto rule = make_rule("5g", "5G");
    rule.on_changed = true;
    cfg_.rules = {rule};
    poll("itu-a", {});
    poll("itu-a", {make_item("1", "5G meeting")});
    poll("itu-a", {make_item("1", "5G meeting moved")});
    poll("itu-a", {make_item("1", "5G meeting moved again")});
    auto mail = outbox();
    ASSERT_EQ(mail.size(), 3u);
    const std::string first = mail[0].message_id;
    for (std::size_t i = 1; i < mail.size(); ++i) {
        EXPECT_NE(mail[i].data.find("In-Reply-To: " + first + "\r\n"), std::string::npos);
        EXPECT_NE(mail[i].data.find("References: " + first), std::string::npos);
    }
    EXPECT_EQ(mail[0].data.find("In-Reply-To"), std::string::npos);
}

TEST_F(AlertsTest, retriesBackOffFromAMinuteToAnHourThenExpire) {
    EXPECT_EQ(alerts::backoff(1), 60s);
    EXPECT_EQ(alerts::backoff(2), 120s);
    EXPECT_EQ(alerts::backoff(3), 240s);
    EXPECT_EQ(alerts::backoff(6), 1920s);
    EXPECT_EQ(alerts::backoff(7), 3600s);
    EXPECT_EQ(alerts::backoff(30), 3600s);

    cfg_.mail.retry_for = Seconds{3 * 3600};
    cfg_.rules = {make_rule("5g", "5G")};
    poll("itu-a", {});
    poll("itu-a", {make_item("1", "5G")});
    const std::string id = outbox().at(0).message_id;
    const alerts::SendResult busy{alerts::SendStatus::temporary, 451, "451 try later"};
    std::vector<std::int64_t> waits;
    for (int i = 0; i < 20; ++i) {
        auto due = alerts::due_messages(db().statements(), clock_.now(), 10).value();
        if (due.empty()) {
            auto next = alerts::next_attempt(db().statements()).value();
            if (!next) break;
            waits.push_back(*next - to_unix(clock_.now()));
            clock_.set(from_unix(*next));
            continue;
        }
        EXPECT_EQ(due[0].message_id, id);  // a retry sends the same message
        ASSERT_TRUE(db().transaction([&](storage::sql::StatementCache& st) {
            return alerts::record_attempt(st, due[0], busy, clock_.now());
        }));
    }
    EXPECT_EQ(waits, (std::vector<std::int64_t>{60, 120, 240, 480, 960, 1920, 3600, 3600}));
    auto counts = alerts::mail_counts(db().statements()).value();
    EXPECT_EQ(counts.expired, 1);
    EXPECT_EQ(counts.queued, 0);
}

TEST_F(AlertsTest, a5xxFailsAtOnceAndA250IsSent) {
    cfg_.rules = {make_rule("5g", "5G")};
    poll("itu-a", {});
    poll("itu-a", {make_item("1", "5G")});
    poll("itu-a", {make_item("2", "5G again")});
    auto due = outbox();
    ASSERT_EQ(due.size(), 2u);
    ASSERT_TRUE(db().transaction([&](storage::sql::StatementCache& st) -> Result<void> {
        if (auto r = alerts::record_attempt(
                st, due[0], {alerts::SendStatus::permanent, 550, "550 rejected"}, clock_.now());
            !r)
            return r;
        return alerts::record_attempt(st, due[1], {alerts::SendStatus::sent, 250, ""},
                                      clock_.now());
    }));
    auto c = alerts::mail_counts(db().statements()).value();
    EXPECT_EQ(c.failed, 1);
    EXPECT_EQ(c.sent, 1);
    EXPECT_TRUE(outbox().empty());
    auto rows = alert_rows();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1].mail_state, "failed");
    EXPECT_EQ(rows[1].mail_error, "550 rejected");
}

TEST_F(AlertsTest, aSourceFailingLongerThanHealthAfterIsReportedOnceAndOnRecovery) {
    cfg_.mail.health_to = {"admin@example.org"};
    cfg_.mail.health_after = Seconds{3600};
    const auto health = [&](bool is_ok) {
        bool queued = false;
        EXPECT_TRUE(db().transaction([&](storage::sql::StatementCache& st) -> Result<void> {
            auto r = alerts::record_health(st, cfg_, "itu-a", is_ok, "HTTP 500", clock_.now());
            if (!r) return r.error();
            queued = *r;
            return {};
        }));
        return queued;
    };
    EXPECT_FALSE(health(false));
    clock_.advance(1800s);
    EXPECT_FALSE(health(false));
    clock_.advance(1800s);
    EXPECT_TRUE(health(false));
    clock_.advance(3600s);
    EXPECT_FALSE(health(false));  // once
    EXPECT_TRUE(health(true));    // and the recovery
    EXPECT_FALSE(health(true));
    auto mail = outbox();
    ASSERT_EQ(mail.size(), 2u);
    EXPECT_EQ(mail[0].recipients, std::vector<std::string>{"admin@example.org"});
    EXPECT_NE(mail[0].data.find("failing since 2026-03-16T09:00:00Z"), std::string::npos);
    EXPECT_NE(mail[1].data.find("recovered"), std::string::npos);
}

class Tz {
  public:
    explicit Tz(const char* zone) {
        if (const char* old = std::getenv("TZ")) old_ = old;
        setenv("TZ", zone, 1);
        tzset();
    }
    ~Tz() {
        if (old_.empty())
            unsetenv("TZ");
        else
            setenv("TZ", old_.c_str(), 1);
        tzset();
    }

  private:
    std::string old_;
};

TEST(DigestSlot, isTheLocalTimeOfDayAcrossDstChanges) {
    Tz berlin("Europe/Berlin");
    const int eight = 8 * 60;
    // Before the spring change (UTC+1), the next day is UTC+2.
    EXPECT_EQ(format_iso_utc(alerts::next_digest_slot(at("2026-03-28T07:00:00Z"), eight)),
              "2026-03-29T06:00:00Z");
    // Before the autumn change (UTC+2), the next day is UTC+1.
    EXPECT_EQ(format_iso_utc(alerts::next_digest_slot(at("2026-10-24T06:00:00Z"), eight)),
              "2026-10-25T07:00:00Z");
    // Earlier the same day: today's slot.
    EXPECT_EQ(format_iso_utc(alerts::next_digest_slot(at("2026-03-16T05:00:00Z"), eight)),
              "2026-03-16T07:00:00Z");
    // 02:30 happens twice on the autumn night: one digest, the next on the next day.
    const int half_past_two = 2 * 60 + 30;
    const SysTime first = alerts::next_digest_slot(at("2026-10-24T22:00:00Z"), half_past_two);
    const SysTime second = alerts::next_digest_slot(first, half_past_two);
    EXPECT_GE(second - first, 23h);
    // 02:30 does not happen on the spring night: the slot still comes once.
    const SysTime spring = alerts::next_digest_slot(at("2026-03-28T22:00:00Z"), half_past_two);
    EXPECT_GT(spring, at("2026-03-28T22:00:00Z"));
    EXPECT_LT(spring, at("2026-03-29T03:00:00Z"));
    EXPECT_EQ(format_iso_utc(alerts::next_digest_slot(spring, half_past_two)),
              "2026-03-30T00:30:00Z");
}

TEST_F(AlertsTest, aDigestDueWhileTheDaemonWasDownIsSentOnceWhenItIsBack) {
    Tz utc("UTC");
    auto rule = make_rule("daily", "5G");
    rule.delivery = config::Delivery::digest;
    rule.digest_minute = 8 * 60;
    cfg_.rules = {rule};
    const auto run = [&] { return run_digests(); };
    EXPECT_EQ(run(), 0);  // 09:00: the first digest is tomorrow at 08:00
    poll("itu-a", {});
    poll("itu-a", {make_item("1", "5G one"), make_item("2", "5G two")});
    EXPECT_TRUE(outbox().empty());
    EXPECT_EQ(format_iso_utc(
                  alerts::next_digest_due(db().statements(), cfg_, clock_.now()).value().value()),
              "2026-03-17T08:00:00Z");
    clock_.set(at("2026-03-20T12:00:00Z"));  // down for three slots
    EXPECT_EQ(run(), 1);
    EXPECT_EQ(run(), 0);
    auto mail = outbox();
    ASSERT_EQ(mail.size(), 1u);
    EXPECT_NE(mail[0].data.find("2 new items"), std::string::npos);
}

TEST_F(AlertsTest, aRuleChangedFromDigestToImmediateSendsWhatWaitedForItsDigest) {
    auto rule = make_rule("daily", "5G");
    rule.delivery = config::Delivery::digest;
    cfg_.rules = {rule};
    const auto run = [&] { return run_digests(); };
    EXPECT_EQ(run(), 0);
    poll("itu-a", {});
    poll("itu-a", {make_item("1", "5G one")});
    EXPECT_TRUE(outbox().empty());                         // waiting for tomorrow's digest
    cfg_.rules[0].delivery = config::Delivery::immediate;  // a reload changed the rule
    EXPECT_EQ(run(), 1);
    EXPECT_EQ(run(), 0);
    auto mail = outbox();
    ASSERT_EQ(mail.size(), 1u);
    EXPECT_NE(mail[0].data.find("5G one"), std::string::npos);
}

TEST_F(AlertsTest, theListingIsNewestFirstEvenWhenTheClockStepsBack) {
    cfg_.mail.transport = config::Transport::none;  // recorded, not mailed
    cfg_.rules = {make_rule("5g", "5G"), make_rule("6g", "6G")};
    const SysTime t = clock_.now();
    poll("itu-a", {});                                 // the baseline, at t
    poll("itu-a", {make_item("1", "5G and 6G one")});  // t+60: ids 1 (5g), 2 (6g)
    clock_.set(t - 180s);                              // the clock steps back
    poll("itu-a", {make_item("2", "5G two"), make_item("3", "6G three")});  // t-180: 3, 4
    poll("itu-a", {make_item("4", "5G four")});                             // t-120: 5
    poll("itu-a", {make_item("5", "6G five")});                             // t-60: 6
    poll("itu-a", {make_item("6", "5G six")});                              // t: 7
    clock_.set(t);
    poll("itu-a", {make_item("7", "6G seven")});  // t again: 8
    const auto ids = [&](const std::string& rule, std::optional<SysTime> since, int limit) {
        std::vector<std::int64_t> out;
        const auto s = since ? std::optional<std::int64_t>(to_unix(*since)) : std::nullopt;
        for (const auto& a : alerts::list_alerts(db().statements(), rule, s, limit).value())
            out.push_back(a.id);
        return out;
    };
    EXPECT_EQ(ids("", std::nullopt, 100), (std::vector<std::int64_t>{2, 1, 8, 7, 6, 5, 4, 3}));
    // The order of `ORDER BY created DESC, id DESC` over the table itself.
    {
        auto q = db().statements().get("SELECT id FROM alerts ORDER BY created DESC, id DESC");
        ASSERT_TRUE(q);
        std::vector<std::int64_t> expected;
        while (q->step().value()) expected.push_back(q->int64(0));
        EXPECT_EQ(ids("", std::nullopt, 100), expected);
    }
    EXPECT_EQ(ids("", std::nullopt, 3), (std::vector<std::int64_t>{2, 1, 8}));
    EXPECT_EQ(ids("", t - 120s, 100), (std::vector<std::int64_t>{2, 1, 8, 7, 6, 5}));
    EXPECT_EQ(ids("5g", std::nullopt, 100), (std::vector<std::int64_t>{1, 7, 5, 3}));
    EXPECT_EQ(ids("6g", t - 60s, 2), (std::vector<std::int64_t>{2, 8}));
    EXPECT_TRUE(ids("", std::nullopt, 0).empty());
    EXPECT_TRUE(ids("5g", t + 120s, 100).empty());
    // The batches at t-180, t-120, t-60, t+60 and t (twice: one run).
    auto runs = db().statements().get("SELECT COUNT(*) FROM alert_runs");
    ASSERT_TRUE(runs);
    ASSERT_TRUE(runs->step().value());
    EXPECT_EQ(runs->int64(0), 5);
}

TEST_F(AlertsTest, twoLinksWithOneHashAreNoDuplicates) {
    cfg_.rules = {make_rule("5g", "5G")};
    poll("itu-a", {});
    poll("itu-b", {});
    poll("itu-a", {make_item("a", "5G doc", "https://example.org/a")});
    // As if example.org/a and example.org/b had the same hash.
    {
        auto q = db().statements().get(
            "INSERT INTO link_items SELECT link_hash('example.org/b'), item_key FROM alerts");
        ASSERT_TRUE(q);
        ASSERT_TRUE(q->run());
    }
    EXPECT_EQ(poll("itu-b", {make_item("b", "5G doc", "https://example.org/b")}).alerts, 1);
    for (const auto& a : alert_rows()) EXPECT_EQ(a.state, "mailed") << a.title;
    EXPECT_EQ(outbox().size(), 2u);
    // b's link again: a duplicate of b's alert (id 2), not of a's (id 1), which
    // has the lower id and the same hash.
    EXPECT_EQ(poll("itu-a", {make_item("c", "5G doc", "https://www.example.org/b/")}).alerts, 0);
    auto q = db().statements().get("SELECT id, duplicate_of FROM alerts WHERE state = 'duplicate'");
    ASSERT_TRUE(q);
    ASSERT_TRUE(q->step().value());
    EXPECT_EQ(q->int64(0), 3);
    EXPECT_EQ(q->int64(1), 2);
    EXPECT_FALSE(q->step().value());
}

TEST(Message, feedTextNeverAddsAHeaderAndTheHtmlIsEscaped) {
    alerts::MessageSpec spec;
    spec.from = "specwatch <specwatch@example.org>";
    spec.to = {"analyst@example.org"};
    spec.subject = "[specwatch] 5g: 1 new item \u2014 ITU";
    spec.intro = "Rule matched";
    spec.date = at("2026-03-16T09:00:00Z");
    alerts::MessageItem it;
    it.title =
        std::string("5G\r\nBcc: x@evil\r\n\r\nbody <script>alert(1)</script> r\xc3\xa9seau ") +
        std::string(1, '\0') + "\xc2\x85" + std::string(3000, 'x');
    it.link = "javascript:alert(1)";
    it.snippet =
        "a \x02"
        "5G\x03 <b>b</b>";
    spec.items = {it};
    const auto r = alerts::render(spec);
    const std::string& m = r.data;
    const auto end = m.find("\r\n\r\n");
    ASSERT_NE(end, std::string::npos);
    const std::string headers = m.substr(0, end + 2);
    EXPECT_EQ(headers.find("Bcc"), std::string::npos);
    EXPECT_EQ(m.find('\0'), std::string::npos);
    EXPECT_EQ(m.find("\nBcc"), std::string::npos);
    const std::string html = m.substr(m.find("Content-Type: text/html"));
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
    EXPECT_NE(m.find("Auto-Submitted: auto-generated\r\n"), std::string::npos);
    EXPECT_NE(m.find("Date: Mon, 16 Mar 2026 09:00:00 +0000\r\n"), std::string::npos);
    EXPECT_NE(m.find("Message-ID: " + r.message_id + "\r\n"), std::string::npos);
    EXPECT_EQ(m.find("href=\"javascript"), std::string::npos);
    std::size_t start = 0;
    while (start < m.size()) {
        const auto eol = m.find("\r\n", start);
        ASSERT_NE(eol, std::string::npos) << "every line ends with CRLF";
        EXPECT_LE(eol - start, 78u);
        const std::string line = m.substr(start, eol - start);
        EXPECT_EQ(line.find('\r'), std::string::npos);
        EXPECT_EQ(line.find('\n'), std::string::npos);
        start = eol + 2;
    }
    for (std::size_t p = m.find("=?UTF-8?B?"); p != std::string::npos;
         p = m.find("=?UTF-8?B?", p + 1))
        EXPECT_LE(m.find("?=", p + 10) + 2 - p, 75u);
}

TEST(Message, encodedWordsNeverSplitACharacter) {
    const std::string subject(40, 'x');
    const std::string encoded = alerts::encode_header_text(subject + "\u00e9\u00e9\u00e9\u00e9");
    EXPECT_EQ(encoded.find("=?UTF-8?B?"), 0u);
    EXPECT_NE(encoded.find("\r\n =?UTF-8?B?"), std::string::npos);
    EXPECT_EQ(alerts::encode_header_text("plain subject"), "plain subject");
    EXPECT_EQ(alerts::encode_header_text("a\r\nBcc: b"), "a Bcc: b");
}

TEST(Links, normalizeForTheSameDocumentThroughTwoSources) {
    EXPECT_EQ(alerts::normalize_link("https://www.Example.org:443/a/?utm_source=x&id=3#top"),
              "example.org/a?id=3");
    EXPECT_EQ(alerts::normalize_link("http://example.org/a?id=3"), "example.org/a?id=3");
    EXPECT_EQ(alerts::normalize_link(""), "");
}

// The sendmail transport through a fake sendmail: a script that saves its
// standard input and arguments, and one that exits with EX_TEMPFAIL.
TEST(Sendmail, pipesTheMessageWithLfLineEndsAndReadsTheExitStatus) {
    const fs::path dir =
        fs::temp_directory_path() / ("specwatch-sendmail-" + std::to_string(getpid()));
    fs::create_directories(dir);
    const fs::path script = dir / "sendmail";
    {
        std::FILE* f = std::fopen(script.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fprintf(f, "#!/bin/sh\necho \"$@\" > %s/args\ncat > %s/in\nexit ${EXIT:-0}\n",
                     dir.c_str(), dir.c_str());
        std::fclose(f);
        fs::permissions(script, fs::perms::owner_all);
    }
    alerts::Outgoing m;
    m.data = "To: a@example.org\r\nSubject: x\r\n\r\nbody\r\n";
    auto t = alerts::make_sendmail_transport(script.string());
    auto r = t->send(m);
    EXPECT_EQ(r.status, alerts::SendStatus::sent) << r.detail;
    std::FILE* in = std::fopen((dir / "in").c_str(), "r");
    ASSERT_NE(in, nullptr);
    char buf[256] = {};
    const auto n = std::fread(buf, 1, sizeof buf - 1, in);
    std::fclose(in);
    EXPECT_EQ(std::string(buf, n), "To: a@example.org\nSubject: x\n\nbody\n");
    setenv("EXIT", "75", 1);
    EXPECT_EQ(t->send(m).status, alerts::SendStatus::temporary);
    setenv("EXIT", "67", 1);
    EXPECT_EQ(t->send(m).status, alerts::SendStatus::permanent);
    unsetenv("EXIT");
    fs::remove_all(dir);
}

}  // namespace

// ---- meeting reminders ----

Item make_meeting(std::string id, std::string title, std::string start,
                  std::string location = "Geneva") {
    Item it = make_item(std::move(id), std::move(title));
    it.start = std::move(start);
    it.location = std::move(location);
    return it;
}

class RemindersTest : public AlertsTest {
  protected:
    int remind() {
        int queued = -1;
        EXPECT_TRUE(db().transaction([&](storage::sql::StatementCache& st) -> Result<void> {
            auto n = alerts::run_reminders(st, cfg_, clock_.now());
            if (!n) return n.error();
            queued = *n;
            return {};
        }));
        return queued;
    }
    std::string next_due() {
        auto d = alerts::next_reminder_due(db().statements(), cfg_, clock_.now());
        EXPECT_TRUE(d);
        return d && *d ? format_iso_utc(**d) : "none";
    }
};

TEST_F(RemindersTest, aReminderIsSentOnceWhenItsTimeHasCome) {
    auto rule = make_rule("5g", "5G");
    rule.remind_before = {7 * 24h};
    cfg_.rules = {rule};
    // A source's first poll is a baseline for alerts, not for reminders.
    poll("itu-a", {make_meeting("m1", "5G workshop", "2026-04-01T10:00:00Z")});
    EXPECT_EQ(remind(), 0);
    // Looked for a day ahead (the mailer re-checks hourly anyway).
    EXPECT_EQ(next_due(), "none");
    clock_.set(at("2026-03-24T12:00:00Z"));
    EXPECT_EQ(next_due(), "2026-03-25T10:00:00Z");
    clock_.set(at("2026-03-25T09:59:59Z"));
    EXPECT_EQ(remind(), 0);
    clock_.set(at("2026-03-25T10:00:00Z"));
    EXPECT_EQ(remind(), 1);
    EXPECT_EQ(remind(), 0);
    clock_.advance(24h);
    EXPECT_EQ(remind(), 0);
    auto mail = outbox();
    ASSERT_EQ(mail.size(), 1u);
    const std::string& m = mail[0].data;
    EXPECT_NE(m.find("Subject: =?UTF-8?B?"), std::string::npos);
    EXPECT_NE(m.find("1 meeting starting in 7 days"), std::string::npos) << m;
    EXPECT_NE(m.find("5G workshop"), std::string::npos);
    EXPECT_NE(m.find("2026-04-01T10:00:00Z"), std::string::npos);
    EXPECT_NE(m.find("Geneva"), std::string::npos);
    EXPECT_NE(m.find("https://example.org/m1"), std::string::npos);
    EXPECT_EQ(mail[0].recipients, std::vector<std::string>{"analyst@example.org"});
}

TEST_F(RemindersTest, twoOffsetsSendTwoRemindersAndALateMeetingOnlyTheNearest) {
    auto rule = make_rule("5g", "5G");
    rule.remind_before = {30 * 24h, 7 * 24h};
    cfg_.rules = {rule};
    poll("itu-a", {make_meeting("m1", "5G plenary", "2026-05-01T08:00:00Z")});
    clock_.set(at("2026-03-31T12:00:00Z"));
    EXPECT_EQ(next_due(), "2026-04-01T08:00:00Z");
    clock_.set(at("2026-04-01T08:00:00Z"));
    EXPECT_EQ(remind(), 1);
    clock_.set(at("2026-04-23T12:00:00Z"));
    EXPECT_EQ(remind(), 0);
    EXPECT_EQ(next_due(), "2026-04-24T08:00:00Z");
    clock_.set(at("2026-04-24T08:00:00Z"));
    EXPECT_EQ(remind(), 1);
    EXPECT_EQ(remind(), 0);
    auto mail = outbox();
    ASSERT_EQ(mail.size(), 2u);
    EXPECT_NE(mail[0].data.find("in 30 days"), std::string::npos);
    EXPECT_NE(mail[1].data.find("in 7 days"), std::string::npos);

    // First seen three days before it starts: both reminder times have
    // passed; the 7-day one is sent at once, once, and the 30-day one never
    // (the poll's own mail is the alert about a new item).
    poll("itu-a", {make_meeting("m1", "5G plenary", "2026-05-01T08:00:00Z"),
                   make_meeting("m2", "5G rapporteurs", "2026-04-27T08:00:00Z")});
    EXPECT_EQ(remind(), 1);
    EXPECT_EQ(remind(), 0);
    clock_.advance(48h);
    EXPECT_EQ(remind(), 0);
    mail = outbox();
    ASSERT_EQ(mail.size(), 4u);
    EXPECT_NE(mail[2].data.find("1 new item"), std::string::npos);
    EXPECT_NE(mail[3].data.find("1 meeting starting in 7 days"), std::string::npos);
    EXPECT_NE(mail[3].data.find("5G rapporteurs"), std::string::npos);
    EXPECT_EQ(mail[3].data.find("5G plenary"), std::string::npos);
}

TEST_F(RemindersTest, aMeetingThatMovesGetsANewReminder) {
    auto rule = make_rule("5g", "5G");
    rule.remind_before = {7 * 24h};
    cfg_.rules = {rule};
    poll("itu-a", {make_meeting("m1", "5G workshop", "2026-04-01T10:00:00Z")});
    clock_.set(at("2026-03-25T10:00:00Z"));
    EXPECT_EQ(remind(), 1);
    // Moved two days later: reminded again seven days before the new start.
    poll("itu-a", {make_meeting("m1", "5G workshop", "2026-04-03T10:00:00Z")});
    EXPECT_EQ(remind(), 0);
    clock_.set(at("2026-03-26T12:00:00Z"));
    EXPECT_EQ(remind(), 0);
    EXPECT_EQ(next_due(), "2026-03-27T10:00:00Z");
    clock_.set(at("2026-03-27T10:00:00Z"));
    EXPECT_EQ(remind(), 1);
    EXPECT_EQ(remind(), 0);
    // Moved earlier, inside the window: a new reminder at once.
    poll("itu-a", {make_meeting("m1", "5G workshop", "2026-03-30")});
    EXPECT_EQ(remind(), 1);
    auto mail = outbox();
    ASSERT_EQ(mail.size(), 3u);
    EXPECT_NE(mail[1].data.find("2026-04-03T10:00:00Z"), std::string::npos);
    EXPECT_NE(mail[2].data.find("2026-03-30"), std::string::npos);
}

// The message's text with quoted-printable soft breaks and escapes undone,
// and LF line ends.
std::string decoded(const std::string& message) {
    std::string out;
    for (std::size_t i = 0; i < message.size(); ++i) {
        if (message[i] == '\r' && i + 1 < message.size() && message[i + 1] == '\n') continue;
        if (message[i] == '=' && i + 2 < message.size()) {
            if (message[i + 1] == '\r' && message[i + 2] == '\n') {
                i += 2;
                continue;
            }
            const auto hex = message.substr(i + 1, 2);
            if (std::isxdigit(static_cast<unsigned char>(hex[0])) &&
                std::isxdigit(static_cast<unsigned char>(hex[1]))) {
                out += static_cast<char>(std::stoi(hex, nullptr, 16));
                i += 2;
                continue;
            }
        }
        out += message[i];
    }
    return out;
}

TEST_F(RemindersTest, aReminderListsDatesPlaceAndTheAgendaDocumentsAndInvitationLinks) {
    auto rule = make_rule("ran1", "3GPPRAN1");
    rule.remind_before = {30 * 24h};
    cfg_.rules = {rule};
    // As the 3GPP calendar's [source.html] agenda/documents/invitation rules
    // write them into the item's content.
    Item m = make_meeting("r1-124", "3GPPRAN1#124", "2026-04-13", "Gothenburg");
    m.end = "2026-04-17";
    m.content =
        "Agenda: https://www.3gpp.org/ftp/tsg_ran/WG1_RL1/TSGR1_124/Agenda/\n"
        "Documents: https://portal.3gpp.org/ngppapp/TdocList.aspx?meetingId=60951\n"
        "Invitation: https://www.3gpp.org/ftp/tsg_ran/WG1_RL1/TSGR1_124/Invitation/";
    // No links known yet: the reminder lists none.
    Item bis = make_meeting("r1-124-bis", "3GPPRAN1#124-bis", "2026-04-14", "Malta");
    // Cancelled (the ITU calendar's status, the iCalendar STATUS): no reminder.
    Item gone = make_meeting("r1-124-ter", "3GPPRAN1#124-ter", "2026-04-12", "Nowhere");
    gone.categories = {"ITU-R", "CANCELLED"};
    poll("3gpp", {m, bis, gone});
    clock_.set(at("2026-03-16T00:00:00Z"));
    EXPECT_EQ(remind(), 1);
    auto mail = outbox();
    ASSERT_EQ(mail.size(), 1u);
    const std::string text = decoded(mail[0].data);
    EXPECT_NE(text.find("2 meetings starting in 30 days"), std::string::npos) << text;
    EXPECT_NE(text.find("3GPP \u00b7 2026-04-13 \u2013 2026-04-17 \u00b7 Gothenburg"),
              std::string::npos)
        << text;
    for (const char* line :
         {"   Agenda: https://www.3gpp.org/ftp/tsg_ran/WG1_RL1/TSGR1_124/Agenda/\n",
          "   Documents: https://portal.3gpp.org/ngppapp/TdocList.aspx?meetingId=60951\n",
          "   Invitation: https://www.3gpp.org/ftp/tsg_ran/WG1_RL1/TSGR1_124/Invitation/\n"})
        EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
    // The HTML part links them.
    EXPECT_NE(text.find("<a href=\"https://portal.3gpp.org/ngppapp/TdocList.aspx?meetingId=60951\">"
                        "Documents</a>"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("2026-04-14 \u00b7 Malta"), std::string::npos);
    EXPECT_EQ(text.find("Nowhere"), std::string::npos);
    // Each agenda line belongs to its meeting: Malta's entry has none.
    const auto malta = text.find("Malta");
    const auto next = text.find("\n\n", malta);
    EXPECT_EQ(text.substr(malta, next - malta).find("Agenda:"), std::string::npos);
}

TEST_F(RemindersTest, aRuleWithoutRecipientsRecordsItsAlertsAndMailsNothing) {
    auto rule = make_rule("topic-quantum", "quantum");
    rule.to.clear();
    rule.remind_before = {7 * 24h};
    cfg_.rules = {rule};
    poll("itu-a", {make_item("a", "Spectrum news")});
    poll("itu-a", {make_item("a", "Spectrum news"), make_item("b", "Quantum key distribution"),
                   make_meeting("m", "Quantum workshop", "2026-03-20T09:00:00Z")});
    auto rows = alert_rows();
    ASSERT_EQ(rows.size(), 2u);
    for (const auto& r : rows) EXPECT_EQ(r.state, "nomail");
    EXPECT_EQ(remind(), 0);
    EXPECT_TRUE(outbox().empty());
}

TEST_F(RemindersTest, nonMatchingFilteredAndPastMeetingsAreIgnored) {
    auto rule = make_rule("5g", "5G");
    rule.remind_before = {7 * 24h};
    rule.bodies = {"ITU"};
    auto quiet = make_rule("quiet", "5G");  // no remind_before: no reminders
    cfg_.rules = {rule, quiet};
    poll("itu-a", {make_meeting("a", "5G workshop", "2026-03-18T10:00:00Z"),
                   make_meeting("b", "LTE workshop", "2026-03-18T10:00:00Z"),
                   make_meeting("c", "5G yesterday", "2026-03-15T10:00:00Z"),
                   make_meeting("d", "5G earlier today", "2026-03-16T08:00:00Z"),
                   make_meeting("e", "5G next month", "2026-04-20T10:00:00Z"),
                   make_meeting("f", "5G all day", "2026-03-20", ""), make_item("g", "5G news")});
    poll("3gpp", {make_meeting("h", "5G other body", "2026-03-18T10:00:00Z")});
    EXPECT_EQ(remind(), 1);
    EXPECT_EQ(remind(), 0);
    auto mail = outbox();
    ASSERT_EQ(mail.size(), 1u);
    const std::string& m = mail[0].data;
    EXPECT_NE(m.find("2 meetings starting in 7 days"), std::string::npos) << m;
    EXPECT_NE(m.find("5G workshop"), std::string::npos);
    EXPECT_NE(m.find("5G all day"), std::string::npos);
    for (const char* absent :
         {"LTE", "5G yesterday", "5G earlier today", "5G next month", "5G news", "other body"})
        EXPECT_EQ(m.find(absent), std::string::npos) << absent;
    // Past the start: nothing more; next month's meeting comes into view a
    // day before its reminder time (the mailer re-checks hourly).
    clock_.set(at("2026-03-21T00:00:00Z"));
    EXPECT_EQ(remind(), 0);
    EXPECT_EQ(next_due(), "none");
    clock_.set(at("2026-04-12T12:00:00Z"));
    EXPECT_EQ(next_due(), "2026-04-13T10:00:00Z");
}
