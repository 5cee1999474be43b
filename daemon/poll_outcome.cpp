#include "daemon/poll_outcome.h"

#include "parsers/parse.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>

namespace specwatch::daemon {

using namespace std::chrono_literals;

const char* to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::none:
            return "";
        case ErrorKind::network:
            return "network";
        case ErrorKind::refused:
            return "refused";
        case ErrorKind::http_4xx:
            return "http_4xx";
        case ErrorKind::http_5xx:
            return "http_5xx";
        case ErrorKind::parse:
            return "parse";
    }
    return "";
}

Seconds jitter(Seconds interval) {
    thread_local std::mt19937 rng{std::random_device{}()};
    const auto max = std::min<Seconds::rep>(interval.count() / 10, 300);
    if (max <= 0) return 0s;
    return Seconds{std::uniform_int_distribution<Seconds::rep>{0, max}(rng)};
}

Seconds backoff(Seconds interval, int failures) {
    const Seconds cap = std::max(kMaxBackoff, interval);
    Seconds d = interval;
    for (int i = 1; i < failures && d < cap; ++i) d *= 2;
    return std::min(d, cap);
}

std::string status_text(int status) {
    const char* reason = "";
    switch (status) {
        case 400:
            reason = "Bad Request";
            break;
        case 401:
            reason = "Unauthorized";
            break;
        case 403:
            reason = "Forbidden";
            break;
        case 404:
            reason = "Not Found";
            break;
        case 405:
            reason = "Method Not Allowed";
            break;
        case 406:
            reason = "Not Acceptable";
            break;
        case 408:
            reason = "Request Timeout";
            break;
        case 410:
            reason = "Gone";
            break;
        case 429:
            reason = "Too Many Requests";
            break;
        case 451:
            reason = "Unavailable For Legal Reasons";
            break;
        case 500:
            reason = "Internal Server Error";
            break;
        case 501:
            reason = "Not Implemented";
            break;
        case 502:
            reason = "Bad Gateway";
            break;
        case 503:
            reason = "Service Unavailable";
            break;
        case 504:
            reason = "Gateway Timeout";
            break;
        default:
            break;
    }
    return *reason ? fmt::format("HTTP {} {}", status, reason) : fmt::format("HTTP {}", status);
}

namespace {

// Waits of a failing source, with jitter that never goes past the cap: at the
// cap the jitter is taken off instead, so sources failing together still
// spread out.
Seconds with_jitter(Seconds d, Seconds cap) {
    const Seconds j = jitter(d);
    return d + j <= cap ? d + j : d - j;
}

}  // namespace

PollOutcome decide(const config::Config& config, const std::string& name, const fetch::Response& r,
                   const storage::SourceState& previous, SysTime now) {
    const config::Source* source = config.find_source(name);
    PollOutcome p;
    p.source = name;
    p.bytes = r.body.size();
    auto& o = p.outcome;
    o.when = to_unix(now);
    o.http_status = r.status;
    const Seconds interval = source ? source->interval : config.daemon.default_interval;
    const int failures = previous.failures + 1;  // if this poll fails
    const Seconds cap = std::max(kMaxBackoff, interval);
    Seconds wait = interval + jitter(interval);

    // What the server said about the URL holds whatever else happened; a
    // transfer that got no answer says nothing new.
    const bool answered = r.status != 0 || r.error.empty();
    o.moved_to = answered ? r.permanent_redirect : previous.moved_to;
    o.gone = answered ? false : previous.gone;

    if (!r.error.empty()) {
        o.error = r.error;
        p.error_kind =
            r.error.starts_with("refusing to connect") ? ErrorKind::refused : ErrorKind::network;
        wait = with_jitter(backoff(interval, failures), cap);
    } else if (r.status == 304) {
        o.not_modified = true;
    } else if (r.status == 404) {
        o.error = status_text(r.status);
        p.error_kind = ErrorKind::http_4xx;
        const std::int64_t since =
            previous.failing_since > 0 ? previous.failing_since : to_unix(now);
        if (to_unix(now) - since >= kNotFoundGrace.count()) {
            o.error += ": missing for a day or more, polled daily until it is back";
            const Seconds slow = std::max(kSlowPoll, interval);
            wait = with_jitter(slow, slow + 300s);
        }
    } else if (r.status == 410) {
        o.error = status_text(r.status) +
                  ": the server says this feed was removed; polled daily (update or remove "
                  "the source)";
        p.error_kind = ErrorKind::http_4xx;
        o.gone = true;
        const Seconds slow = std::max(kSlowPoll, interval);
        wait = with_jitter(slow, slow + 300s);
    } else if ((r.status == 429 || r.status == 503) && r.retry_after) {
        o.error = status_text(r.status) + " (the server asked to retry later)";
        p.error_kind = r.status == 429 ? ErrorKind::http_4xx : ErrorKind::http_5xx;
        // Never before the server's time; never sooner than our own backoff
        // either, so a server answering "Retry-After: 1" is not polled in a loop.
        const Seconds asked = std::min<Seconds>(*r.retry_after, kMaxRetryAfter);
        const Seconds ours = backoff(interval, failures);
        wait = std::max(asked, ours) + jitter(ours);
    } else if (r.status != 200 && r.status != 0) {
        o.error = status_text(r.status);
        p.error_kind = r.status >= 500 ? ErrorKind::http_5xx : ErrorKind::http_4xx;
        wait = with_jitter(backoff(interval, failures), cap);
    } else {
        parse::Options opts;
        opts.format = source ? source->format : "auto";
        opts.base_url = r.effective_url.empty() ? (source ? source->url : "") : r.effective_url;
        opts.content_type = r.content_type;
        opts.source = source;
        opts.now = std::chrono::floor<std::chrono::seconds>(now);
        auto feed = parse::parse(r.body, opts);
        if (!feed) {
            // The validators of a document we could not read are not kept:
            // the next poll must fetch it again, not get a 304. The items
            // stored from earlier polls stay (nothing is stored).
            o.error = fmt::format("cannot parse the document: {}", feed.error().message);
            p.error_kind = ErrorKind::parse;
            wait = with_jitter(backoff(interval, failures), cap);
        } else {
            p.items = std::move(feed->items);
            p.next = std::move(feed->next);
            p.has_items = true;
            o.etag = r.etag;
            o.last_modified = r.last_modified;
            o.feed_format = feed->format;
        }
    }
    o.failing_since = o.error.empty()              ? 0
                      : previous.failing_since > 0 ? previous.failing_since
                                                   : to_unix(now);
    o.next_poll = to_unix(now + wait);
    return p;
}

}  // namespace specwatch::daemon
