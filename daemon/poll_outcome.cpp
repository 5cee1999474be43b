#include "daemon/poll_outcome.h"

#include "parsers/parse.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>

namespace specwatch::daemon {

using namespace std::chrono_literals;

Seconds jitter(Seconds interval) {
    thread_local std::mt19937 rng{std::random_device{}()};
    const auto max = std::min<Seconds::rep>(interval.count() / 10, 300);
    if (max <= 0) return 0s;
    return Seconds{std::uniform_int_distribution<Seconds::rep>{0, max}(rng)};
}

Seconds backoff(Seconds interval, int failures) {
    constexpr Seconds kMax = 24h;
    Seconds d = interval;
    for (int i = 1; i < failures && d < kMax; ++i) d *= 2;
    return std::min(d, std::max(kMax, interval));
}

PollOutcome decide(const config::Config& config, const std::string& name, const fetch::Response& r,
                   const storage::SourceState& previous, SysTime now) {
    const config::Source* source = config.find_source(name);
    PollOutcome p;
    p.source = name;
    auto& o = p.outcome;
    o.when = to_unix(now);
    o.http_status = r.status;
    if (!r.error.empty()) {
        o.error = r.error;
    } else if (r.status == 304) {
        o.not_modified = true;
    } else if (r.status != 200 && r.status != 0) {
        o.error = fmt::format("HTTP {}", r.status);
    } else {
        parse::Options opts;
        opts.format = source ? source->format : "auto";
        opts.base_url = r.effective_url.empty() ? (source ? source->url : "") : r.effective_url;
        opts.content_type = r.content_type;
        opts.source = source;
        auto feed = parse::parse(r.body, opts);
        if (!feed) {
            // The validators of a document we could not read are not kept:
            // the next poll must fetch it again, not get a 304.
            o.error = fmt::format("cannot parse the document: {}", feed.error().message);
        } else {
            p.items = std::move(feed->items);
            p.has_items = true;
            o.etag = r.etag;
            o.last_modified = r.last_modified;
            o.feed_format = feed->format;
        }
    }
    const Seconds interval = source ? source->interval : config.daemon.default_interval;
    o.next_poll = to_unix(now + (o.error.empty() ? interval + jitter(interval)
                                                 : backoff(interval, previous.failures + 1)));
    return p;
}

}  // namespace specwatch::daemon
