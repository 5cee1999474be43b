#include "alerts/report.h"

#include "alerts/alerts.h"
#include "common/text.h"
#include "storage/sqlite.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace specwatch::alerts {

namespace {

// Items first seen in [?1, ?2] of sources of body ?3 ('' = any); the index on
// first_seen bounds the scan to the two periods.
constexpr std::string_view kFirstSeen = R"(
SELECT i.key, s.name, s.body, s.grp, i.first_seen, i.organizations
FROM items i JOIN sources s ON s.id = i.source_id
WHERE i.first_seen >= ?1 AND i.first_seen <= ?2 AND (?3 = '' OR s.body = ?3 COLLATE NOCASE))";

// Meetings starting in [?1, ?2], compared as text first (schema v1 stores
// ISO 8601 UTC, which sorts as time; ?1 is the day of the lower bound so an
// all-day start of that day is kept) and then exactly, as a time.
constexpr std::string_view kStarts = R"(
SELECT s.body, s.grp, i.start FROM items i JOIN sources s ON s.id = i.source_id
WHERE i.start IS NOT NULL AND i.start >= ?1 AND i.start <= ?2
  AND (?3 = '' OR s.body = ?3 COLLATE NOCASE))";

enum class Period { none, current, previous };

struct Seen {
    std::string source;
    std::string body, group;
    Period period = Period::none;
    std::vector<std::string> organizations;
};

Period period_of(SysTime t, const Report& r) {
    if (t >= r.from && t <= r.to) return Period::current;
    if (t >= r.previous_from && t < r.from) return Period::previous;
    return Period::none;
}

void count(Figure& f, Period p) {
    if (p == Period::current) ++f.current;
    if (p == Period::previous) ++f.previous;
}

std::vector<std::string> string_array(const std::string& text) {
    std::vector<std::string> out;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_array())
        for (const auto& e : j)
            if (e.is_string()) out.push_back(e.get<std::string>());
    return out;
}

nlohmann::json figure_json(const Figure& f) {
    const auto pct = f.percent();
    return nlohmann::json{{"current", f.current},
                          {"previous", f.previous},
                          {"change", f.change()},
                          {"percent", pct ? nlohmann::json(*pct) : nlohmann::json(nullptr)}};
}

}  // namespace

std::optional<std::int64_t> Figure::percent() const {
    if (previous == 0) return std::nullopt;
    return std::llround(static_cast<double>(change()) * 100.0 / static_cast<double>(previous));
}

Result<Report> activity_report(storage::sql::StatementCache& st, const config::Config& cfg,
                               SysTime from, SysTime to, const std::string& body) {
    if (from >= to) return make_error("the report's period is empty: its start is not in the past");
    Report r;
    r.from = from;
    r.to = to;
    r.previous_from = from - (to - from);
    // Unix time 0 as a floor: a far date (or one past what a time point
    // holds) must not wrap into a period that looks valid.
    if (r.previous_from < from_unix(0) || r.previous_from > from)
        return make_error(fmt::format(
            "the period from {} is too long: the previous period of the same length would start "
            "before 1970",
            format_iso_utc(from)));
    r.body = body;
    for (const auto& rule : cfg.rules) r.rules.push_back({rule.name, rule.query, {}});

    // Groups by (body, group), case and all, as the sources name them.
    std::map<std::pair<std::string, std::string>, GroupActivity> groups;
    const auto group = [&](const std::string& b, const std::string& g) -> GroupActivity& {
        auto [it, inserted] = groups.try_emplace({b, g});
        if (inserted) {
            it->second.body = b;
            it->second.group = g;
            it->second.hits.resize(r.rules.size());
        }
        return it->second;
    };

    std::unordered_map<std::int64_t, Seen> seen;
    {
        auto q = st.get(kFirstSeen);
        if (!q) return q.error();
        q->bind(1, to_unix(r.previous_from)).bind(2, to_unix(r.to)).bind(3, body);
        for (;;) {
            auto row = q->step();
            if (!row) return row.error();
            if (!*row) break;
            Seen s{q->text(1), q->text(2), q->text(3), period_of(from_unix(q->int64(4)), r),
                   string_array(q->text(5))};
            count(group(s.body, s.group).new_items, s.period);
            count(r.new_items, s.period);
            seen.emplace(q->int64(0), std::move(s));
        }
    }
    {
        auto q = st.get(kStarts);
        if (!q) return q.error();
        q->bind(1, format_iso_utc(r.previous_from).substr(0, 10))
            .bind(2, format_iso_utc(r.to))
            .bind(3, body);
        for (;;) {
            auto row = q->step();
            if (!row) return row.error();
            if (!*row) break;
            const auto start = parse_iso(q->text(2));
            if (!start) continue;  // not a date: not a meeting of either period
            const Period p = period_of(*start, r);
            if (p == Period::none) continue;
            count(group(q->text(0), q->text(1)).meetings, p);
            count(r.meetings, p);
        }
    }
    if (!seen.empty()) {
        for (std::size_t i = 0; i < cfg.rules.size(); ++i) {
            const auto& rule = cfg.rules[i];
            // The whole index in one pass, then the items of the two periods:
            // the same query, without a lookup per key (alerts.h).
            auto matched = match_all(st, rule);
            if (!matched) return matched.error();
            for (const auto key : *matched) {
                const auto it = seen.find(key);
                if (it == seen.end()) continue;
                const Seen& s = it->second;
                if (!rule_filters_accept(rule, s.source, s.body, s.organizations)) continue;
                count(group(s.body, s.group).hits[i], s.period);
                count(r.rules[i].hits, s.period);
            }
        }
    }
    for (auto& [k, g] : groups) {
        const bool any =
            !g.meetings.zero() || !g.new_items.zero() ||
            std::any_of(g.hits.begin(), g.hits.end(), [](const Figure& f) { return !f.zero(); });
        if (any) r.groups.push_back(std::move(g));
    }
    return r;
}

nlohmann::json report_to_json(const Report& r) {
    nlohmann::json groups = nlohmann::json::array();
    for (const auto& g : r.groups) {
        nlohmann::json hits = nlohmann::json::object();
        for (std::size_t i = 0; i < r.rules.size() && i < g.hits.size(); ++i)
            hits[r.rules[i].name] = figure_json(g.hits[i]);
        groups.push_back(nlohmann::json{{"body", g.body},
                                        {"group", g.group},
                                        {"meetings", figure_json(g.meetings)},
                                        {"new_items", figure_json(g.new_items)},
                                        {"hits", std::move(hits)}});
    }
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& rule : r.rules)
        rules.push_back(nlohmann::json{
            {"name", rule.name}, {"query", rule.query}, {"hits", figure_json(rule.hits)}});
    return nlohmann::json{
        {"from", format_iso_utc(r.from)},
        {"to", format_iso_utc(r.to)},
        {"seconds", std::chrono::duration_cast<std::chrono::seconds>(r.to - r.from).count()},
        {"previous", {{"from", format_iso_utc(r.previous_from)}, {"to", format_iso_utc(r.from)}}},
        {"body", r.body.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.body)},
        {"groups", std::move(groups)},
        {"rules", std::move(rules)},
        {"totals",
         {{"meetings", figure_json(r.meetings)}, {"new_items", figure_json(r.new_items)}}}};
}

}  // namespace specwatch::alerts
