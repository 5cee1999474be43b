#pragma once
// The daemon's counters, rendered in the Prometheus text format (version
// 0.0.4) for node_exporter's textfile collector: `specwatch metrics >
// /var/lib/node_exporter/textfile/specwatch.prom`. Counters live in the
// daemon since its start; gauges (sources, items, mail) are read from the
// database when asked. Used from the loop's thread only.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace specwatch::daemon {

struct Metrics {
    // Poll durations (fetch to commit), in seconds: a feed is fetched in well
    // under a second when all is well; the tail shows slow hosts and timeouts.
    static constexpr std::array<double, 10> kBuckets = {0.05, 0.1, 0.25, 0.5, 1,
                                                        2.5,  5,   10,   30,  60};

    std::uint64_t polls_ok = 0, polls_not_modified = 0, polls_failed = 0;
    std::map<std::string, std::uint64_t> errors;  // by kind (poll_outcome.h ErrorKind, "store")
    std::uint64_t bytes = 0;                      // decoded response bodies
    std::uint64_t items_new = 0, items_changed = 0, alerts = 0;
    std::array<std::uint64_t, kBuckets.size()> duration_buckets{};  // not cumulative
    std::uint64_t duration_count = 0;
    double duration_sum = 0;

    void record_poll(bool ok, bool not_modified, std::string_view error_kind, std::uint64_t body,
                     double seconds, int new_items, int changed, int new_alerts) {
        if (!ok)
            ++polls_failed, ++errors[error_kind.empty() ? "store" : std::string(error_kind)];
        else if (not_modified)
            ++polls_not_modified;
        else
            ++polls_ok;
        bytes += body;
        items_new += static_cast<std::uint64_t>(std::max(0, new_items));
        items_changed += static_cast<std::uint64_t>(std::max(0, changed));
        alerts += static_cast<std::uint64_t>(std::max(0, new_alerts));
        for (std::size_t i = 0; i < kBuckets.size(); ++i)
            if (seconds <= kBuckets[i]) {
                ++duration_buckets[i];
                break;
            }
        ++duration_count;
        duration_sum += seconds;
    }
};

// Values read when the metrics are asked for.
struct Gauges {
    std::int64_t uptime = 0;
    std::int64_t sources = 0, sources_ok = 0, sources_failing = 0, sources_gone = 0;
    std::int64_t sources_polling = 0;
    std::int64_t items = 0;
    bool mail_known = false;  // the outbox counts below were read
    std::int64_t mail_queued = 0, mail_sent = 0, mail_failed = 0, mail_expired = 0;
};

[[nodiscard]] inline std::string render_metrics(const Metrics& m, const Gauges& g,
                                                std::string_view version) {
    std::string out;
    auto metric = [&out](std::string_view name, std::string_view type, std::string_view help) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    };
    metric("specwatch_info", "gauge", "Version of the running specwatchd.");
    out += fmt::format("specwatch_info{{version=\"{}\"}} 1\n", version);
    metric("specwatch_uptime_seconds", "gauge", "Seconds since specwatchd started.");
    out += fmt::format("specwatch_uptime_seconds {}\n", g.uptime);

    metric("specwatch_polls_total", "counter", "Polls finished, by result.");
    out += fmt::format("specwatch_polls_total{{result=\"ok\"}} {}\n", m.polls_ok);
    out +=
        fmt::format("specwatch_polls_total{{result=\"not_modified\"}} {}\n", m.polls_not_modified);
    out += fmt::format("specwatch_polls_total{{result=\"error\"}} {}\n", m.polls_failed);
    metric("specwatch_poll_errors_total", "counter", "Failed polls, by kind of error.");
    for (const char* kind : {"network", "refused", "http_4xx", "http_5xx", "parse", "store"}) {
        const auto it = m.errors.find(kind);
        out += fmt::format("specwatch_poll_errors_total{{kind=\"{}\"}} {}\n", kind,
                           it == m.errors.end() ? 0 : it->second);
    }
    metric("specwatch_fetched_bytes_total", "counter", "Bytes of response bodies, decoded.");
    out += fmt::format("specwatch_fetched_bytes_total {}\n", m.bytes);
    metric("specwatch_items_stored_total", "counter", "Items stored by polls, new or changed.");
    out += fmt::format("specwatch_items_stored_total{{change=\"new\"}} {}\n", m.items_new);
    out += fmt::format("specwatch_items_stored_total{{change=\"changed\"}} {}\n", m.items_changed);
    metric("specwatch_alerts_total", "counter", "Alerts recorded by polls.");
    out += fmt::format("specwatch_alerts_total {}\n", m.alerts);

    metric("specwatch_poll_duration_seconds", "histogram", "Time from fetch start to commit.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < Metrics::kBuckets.size(); ++i) {
        cumulative += m.duration_buckets[i];
        out += fmt::format("specwatch_poll_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                           Metrics::kBuckets[i], cumulative);
    }
    out +=
        fmt::format("specwatch_poll_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", m.duration_count);
    out += fmt::format("specwatch_poll_duration_seconds_sum {}\n", m.duration_sum);
    out += fmt::format("specwatch_poll_duration_seconds_count {}\n", m.duration_count);

    metric("specwatch_sources", "gauge", "Configured sources, by health.");
    out += fmt::format("specwatch_sources{{state=\"ok\"}} {}\n", g.sources_ok);
    out += fmt::format("specwatch_sources{{state=\"failing\"}} {}\n", g.sources_failing);
    out += fmt::format("specwatch_sources{{state=\"gone\"}} {}\n", g.sources_gone);
    out += fmt::format("specwatch_sources{{state=\"polling\"}} {}\n", g.sources_polling);
    metric("specwatch_items", "gauge", "Items in the database.");
    out += fmt::format("specwatch_items {}\n", g.items);
    if (g.mail_known) {
        metric("specwatch_mail_messages", "gauge", "Messages in the outbox, by state.");
        out += fmt::format("specwatch_mail_messages{{state=\"queued\"}} {}\n", g.mail_queued);
        out += fmt::format("specwatch_mail_messages{{state=\"sent\"}} {}\n", g.mail_sent);
        out += fmt::format("specwatch_mail_messages{{state=\"failed\"}} {}\n", g.mail_failed);
        out += fmt::format("specwatch_mail_messages{{state=\"expired\"}} {}\n", g.mail_expired);
    }
    return out;
}

}  // namespace specwatch::daemon
