#pragma once
// `specwatch report`: where the activity is, per body and group, in a period
// and in the period of the same length before it. Read-only, on the reading
// Store's connection; rule hits use the alert matching itself (the rule's
// FTS5 query, run by match_all, and rule_filters_accept) over the stored
// items, not the alert history, so a rule added today reports on the items it
// would have matched.
#include "common/clock.h"
#include "common/result.h"
#include "config/config.h"
#include "storage/store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace specwatch::alerts {

// One figure in the period and in the previous one.
struct Figure {
    std::int64_t current = 0, previous = 0;

    [[nodiscard]] std::int64_t change() const { return current - previous; }
    // The change in percent of the previous figure, rounded; none when the
    // previous figure is 0 (from nothing, any growth is "new").
    [[nodiscard]] std::optional<std::int64_t> percent() const;
    [[nodiscard]] bool zero() const { return current == 0 && previous == 0; }
};

struct GroupActivity {
    std::string body, group;   // the sources' (group may be empty)
    Figure meetings;           // items whose start falls in the period
    Figure new_items;          // items first seen in the period
    std::vector<Figure> hits;  // per rule, in the order of Report::rules
};

struct RuleActivity {
    std::string name, query;
    Figure hits;
};

struct Report {
    // The period: [from, to], `to` included so that what a poll stored in
    // the second the report is made counts.
    SysTime from, to;
    SysTime previous_from;              // the previous period: [previous_from, from)
    std::string body;                   // the body filter ("" = every body)
    std::vector<GroupActivity> groups;  // with any activity, by body then group
    std::vector<RuleActivity> rules;    // every configured rule
    Figure meetings, new_items;         // all groups together
};

// The report for [from, to] against the period of the same length before it,
// for sources of `body` (case-insensitive; "" for all). A meeting's start is
// compared as a time (an all-day start is midnight UTC). A rule whose query
// FTS5 rejects is an error naming the rule.
[[nodiscard]] Result<Report> activity_report(storage::sql::StatementCache& st,
                                             const config::Config& cfg, SysTime from, SysTime to,
                                             const std::string& body);

// The control protocol's form: period and previous period as ISO 8601 UTC,
// each figure as {current, previous, change, percent} (percent null when the
// previous figure is 0), hits per rule by rule name.
[[nodiscard]] nlohmann::json report_to_json(const Report& r);

}  // namespace specwatch::alerts
