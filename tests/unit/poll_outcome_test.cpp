// The poll policy (daemon/poll_outcome.h) with fixed times: what each kind of
// answer stores, shows and when the source is polled next. No sleeps, no
// network: responses are built by hand, as the fetcher would deliver them.
#include "daemon/poll_outcome.h"

#include <gtest/gtest.h>

using namespace specwatch;
using namespace specwatch::daemon;
using namespace std::chrono_literals;

namespace {

const char* kFeed = R"(<?xml version="1.0"?>
<rss version="2.0"><channel><title>News</title><link>https://example.org/</link>
<item><guid>a</guid><title>5G core network</title></item>
</channel></rss>)";

// 2026-03-16T09:00:00Z
const SysTime kNow = from_unix(1773651600);

class PollOutcomeTest : public ::testing::Test {
  protected:
    PollOutcomeTest() {
        config::Source s;
        s.name = "news";
        s.url = "https://example.org/feed";
        s.interval = 1h;
        config_.sources.push_back(s);
    }

    PollOutcome decide_now(const fetch::Response& r, const storage::SourceState& previous = {},
                           SysTime now = kNow) {
        return decide(config_, "news", r, previous, now);
    }

    static fetch::Response status(int code) {
        fetch::Response r;
        r.status = code;
        r.body = "status\n";
        return r;
    }

    // Seconds from kNow to the outcome's next poll.
    static std::int64_t wait(const PollOutcome& p, SysTime now = kNow) {
        return p.outcome.next_poll - to_unix(now);
    }

    config::Config config_;
};

// Jitter adds at most a tenth of the wait, and never more than five minutes.
void expect_about(std::int64_t actual, Seconds base) {
    EXPECT_GE(actual, base.count() - 300) << "expected about " << base.count();
    EXPECT_LE(actual, base.count() + std::min<std::int64_t>(base.count() / 10, 300))
        << "expected about " << base.count();
}

}  // namespace

TEST_F(PollOutcomeTest, AFeedIsStoredAndPolledAgainAfterTheIntervalWithJitter) {
    fetch::Response r = status(200);
    r.body = kFeed;
    r.etag = "\"v1\"";
    storage::SourceState previous;
    previous.failures = 3;
    previous.failing_since = to_unix(kNow) - 7200;
    previous.gone = true;
    const PollOutcome p = decide_now(r, previous);
    EXPECT_TRUE(p.outcome.error.empty()) << p.outcome.error;
    EXPECT_TRUE(p.has_items);
    ASSERT_EQ(p.items.size(), 1u);
    EXPECT_EQ(p.outcome.etag, "\"v1\"");
    EXPECT_EQ(p.outcome.failing_since, 0);
    EXPECT_FALSE(p.outcome.gone);
    EXPECT_GE(wait(p), 3600);
    EXPECT_LE(wait(p), 3600 + 300);
}

TEST_F(PollOutcomeTest, NotModifiedKeepsThePaceAndResetsTheFailures) {
    storage::SourceState previous;
    previous.failures = 5;
    previous.failing_since = to_unix(kNow) - 86400;
    const PollOutcome p = decide_now(status(304), previous);
    EXPECT_TRUE(p.outcome.not_modified);
    EXPECT_TRUE(p.outcome.error.empty());
    EXPECT_FALSE(p.has_items);
    EXPECT_EQ(p.outcome.failing_since, 0);
    expect_about(wait(p), 1h);
}

TEST_F(PollOutcomeTest, ServerErrorsBackOffExponentiallyUpToADay) {
    storage::SourceState previous;
    const Seconds expected[] = {1h, 2h, 4h, 8h, 16h, 24h, 24h, 24h};
    for (int failures = 0; failures < 8; ++failures) {
        previous.failures = failures;
        const PollOutcome p = decide_now(status(500), previous);
        EXPECT_EQ(p.outcome.error, "HTTP 500 Internal Server Error");
        EXPECT_EQ(p.error_kind, ErrorKind::http_5xx);
        expect_about(wait(p), expected[failures]);
        EXPECT_LE(wait(p), 24 * 3600) << "never beyond a day";
    }
}

TEST_F(PollOutcomeTest, TheFirstFailureStartsFailingSinceAndLaterOnesKeepIt) {
    const PollOutcome first = decide_now(status(502));
    EXPECT_EQ(first.outcome.failing_since, to_unix(kNow));
    storage::SourceState previous;
    previous.failures = 1;
    previous.failing_since = to_unix(kNow) - 600;
    const PollOutcome second = decide_now(status(502), previous);
    EXPECT_EQ(second.outcome.failing_since, to_unix(kNow) - 600);
}

TEST_F(PollOutcomeTest, NetworkErrorsBackOffLikeServerErrors) {
    fetch::Response r;
    r.error = "Couldn't connect to server";
    storage::SourceState previous;
    previous.failures = 2;
    const PollOutcome p = decide_now(r, previous);
    EXPECT_EQ(p.outcome.error, r.error);
    EXPECT_EQ(p.error_kind, ErrorKind::network);
    expect_about(wait(p), 4h);
}

TEST_F(PollOutcomeTest, ARefusedAddressIsItsOwnKindOfError) {
    fetch::Response r;
    r.error = "refusing to connect to 127.0.0.1 (loopback): set allow_private = true";
    const PollOutcome p = decide_now(r);
    EXPECT_EQ(p.error_kind, ErrorKind::refused);
    expect_about(wait(p), 1h);
}

TEST_F(PollOutcomeTest, NotFoundKeepsTheNormalPaceForADayThenSlowsToDaily) {
    storage::SourceState previous;
    previous.failures = 6;  // no exponential backoff for a 404
    previous.failing_since = to_unix(kNow) - 3600 * 23;
    const PollOutcome early = decide_now(status(404), previous);
    EXPECT_EQ(early.outcome.error, "HTTP 404 Not Found");
    expect_about(wait(early), 1h);

    previous.failing_since = to_unix(kNow) - 3600 * 25;
    const PollOutcome late = decide_now(status(404), previous);
    EXPECT_NE(late.outcome.error.find("HTTP 404"), std::string::npos);
    EXPECT_NE(late.outcome.error.find("daily"), std::string::npos);
    expect_about(wait(late), 24h);
}

TEST_F(PollOutcomeTest, GoneMarksTheSourceAndPollsDaily) {
    const PollOutcome p = decide_now(status(410));
    EXPECT_TRUE(p.outcome.gone);
    EXPECT_NE(p.outcome.error.find("HTTP 410 Gone"), std::string::npos);
    expect_about(wait(p), 24h);
}

TEST_F(PollOutcomeTest, GoneIsClearedWhenTheFeedComesBack) {
    storage::SourceState previous;
    previous.gone = true;
    previous.failures = 4;
    EXPECT_FALSE(decide_now(status(304), previous).outcome.gone);
}

TEST_F(PollOutcomeTest, ANetworkErrorKeepsWhatTheServerLastSaid) {
    storage::SourceState previous;
    previous.gone = true;
    previous.moved_to = "https://example.org/new";
    fetch::Response r;
    r.error = "Timeout was reached";
    const PollOutcome p = decide_now(r, previous);
    EXPECT_TRUE(p.outcome.gone);
    EXPECT_EQ(p.outcome.moved_to, "https://example.org/new");
}

TEST_F(PollOutcomeTest, TooManyRequestsWaitsForRetryAfter) {
    fetch::Response r = status(429);
    r.retry_after = 5h;
    const PollOutcome p = decide_now(r);
    EXPECT_NE(p.outcome.error.find("HTTP 429 Too Many Requests"), std::string::npos);
    EXPECT_GE(wait(p), 5 * 3600) << "never before the server's time";
    EXPECT_LE(wait(p), 5 * 3600 + 300);
}

TEST_F(PollOutcomeTest, ServiceUnavailableWaitsForRetryAfter) {
    fetch::Response r = status(503);
    r.retry_after = 90min;
    storage::SourceState previous;
    const PollOutcome p = decide_now(r, previous);
    EXPECT_EQ(p.error_kind, ErrorKind::http_5xx);
    EXPECT_GE(wait(p), 90 * 60);
    EXPECT_LE(wait(p), 90 * 60 + 300);
}

TEST_F(PollOutcomeTest, AShortRetryAfterDoesNotPollFasterThanOurBackoff) {
    fetch::Response r = status(503);
    r.retry_after = 1s;
    storage::SourceState previous;
    previous.failures = 1;
    expect_about(wait(decide_now(r, previous)), 2h);
}

TEST_F(PollOutcomeTest, AnAbsurdRetryAfterIsCappedAtAWeek) {
    fetch::Response r = status(503);
    r.retry_after = std::chrono::seconds{365LL * 86400};
    const PollOutcome p = decide_now(r);
    EXPECT_GE(wait(p), 7 * 86400);
    EXPECT_LE(wait(p), 7 * 86400 + 300);
}

TEST_F(PollOutcomeTest, ServiceUnavailableWithoutRetryAfterBacksOff) {
    storage::SourceState previous;
    previous.failures = 1;
    expect_about(wait(decide_now(status(503), previous)), 2h);
}

TEST_F(PollOutcomeTest, AnHtmlPageInsteadOfTheFeedIsAParseErrorThatStoresNothing) {
    fetch::Response r = status(200);
    r.content_type = "text/html";
    r.body = "<!DOCTYPE html><html><body><h1>Down for maintenance</h1></body></html>";
    r.etag = "\"maint\"";
    const PollOutcome p = decide_now(r);
    EXPECT_FALSE(p.has_items) << "the stored items must stay";
    EXPECT_EQ(p.error_kind, ErrorKind::parse);
    EXPECT_NE(p.outcome.error.find("cannot parse"), std::string::npos) << p.outcome.error;
    EXPECT_TRUE(p.outcome.etag.empty()) << "the next poll must fetch it again";
    expect_about(wait(p), 1h);
}

TEST_F(PollOutcomeTest, APermanentRedirectIsRememberedAndForgottenWhenGone) {
    fetch::Response r = status(200);
    r.body = kFeed;
    r.permanent_redirect = "https://example.org/new-feed";
    EXPECT_EQ(decide_now(r).outcome.moved_to, "https://example.org/new-feed");

    storage::SourceState previous;
    previous.moved_to = "https://example.org/new-feed";
    r.permanent_redirect.clear();
    EXPECT_EQ(decide_now(r, previous).outcome.moved_to, "");
}

TEST_F(PollOutcomeTest, BackoffStartsAtTheIntervalAndDoublesToADay) {
    EXPECT_EQ(backoff(1h, 1), 1h);
    EXPECT_EQ(backoff(1h, 2), 2h);
    EXPECT_EQ(backoff(1h, 5), 16h);
    EXPECT_EQ(backoff(1h, 6), 24h);
    EXPECT_EQ(backoff(1h, 1000), 24h);
    EXPECT_EQ(backoff(48h, 3), 48h) << "an interval beyond a day is its own cap";
}

TEST(RetryAfter, ReadsSecondsAndHttpDates) {
    // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
    EXPECT_EQ(fetch::parse_retry_after("120", 0), 120s);
    EXPECT_EQ(fetch::parse_retry_after(" 0 ", 0), 0s);
    EXPECT_EQ(fetch::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 600), 600s);
    EXPECT_EQ(fetch::parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", 784111777 - 60), 60s);
    EXPECT_EQ(fetch::parse_retry_after("Sun Nov  6 08:49:37 1994", 784111777 - 1), 1s);
    EXPECT_EQ(fetch::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 600), 0s)
        << "a date in the past means now";
    EXPECT_FALSE(fetch::parse_retry_after("soon", 0).has_value());
    EXPECT_FALSE(fetch::parse_retry_after("", 0).has_value());
    EXPECT_FALSE(fetch::parse_retry_after("-5", 0).has_value());
    EXPECT_EQ(fetch::parse_retry_after("99999999999999999999", 0),
              std::chrono::seconds{366LL * 86400});
}
