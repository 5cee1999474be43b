// `specwatch participation`: who contributes, counted from items.organizations
// (a JSON array per item) with json_each, so no table or index is added for it.
#include "common/clock.h"
#include "storage/sqlite.h"
#include "storage/store.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace specwatch::storage {

namespace {

Error context(std::string_view what, const Error& e) {
    return make_error(fmt::format("{}: {}", what, e.message));
}

// An item's own date as ISO text, comparable with format_iso_utc(): dates are
// stored normalized ("2026-03-16T09:00:00Z", or "2026-03-16" for all-day
// events, which sorts before that day's moments as it should).
constexpr const char* kItemDate =
    "COALESCE(i.published, i.updated, i.start, "
    "strftime('%Y-%m-%dT%H:%M:%SZ', i.first_seen, 'unixepoch'))";

void sort_counts(std::vector<OrgCount>& v) {
    std::sort(v.begin(), v.end(), [](const OrgCount& a, const OrgCount& b) {
        if (a.count != b.count) return a.count > b.count;
        if (a.previous != b.previous) return a.previous > b.previous;
        return a.name < b.name;
    });
}

}  // namespace

Result<Participation> Store::participation(const ParticipationQuery& q, const OrgTable& orgs) {
    const std::int64_t length = std::max<std::int64_t>(q.to - q.from, 0);
    const std::string prev_from = format_iso_utc(q.from - length);
    const std::string from = format_iso_utc(q.from);
    const std::string to = format_iso_utc(q.to);
    std::string where = "d >= ?1 AND d <= ?3";
    if (!q.body.empty()) where += " AND body = ?4 COLLATE NOCASE";
    if (!q.group.empty()) where += " AND grp = ?5 COLLATE NOCASE";
    const std::string fts = q.query.empty()
                                ? std::string{}
                                : " AND i.key IN (SELECT rowid FROM items_fts WHERE items_fts "
                                  "MATCH ?6)";
    // Items of both periods with their organizations, one row per (item,
    // organization); the few thousand a year of a working group are summed here.
    const std::string sql = fmt::format(
        "WITH scoped AS (SELECT i.key, i.organizations, s.body, s.grp, {} AS d FROM items i "
        "JOIN sources s ON s.id = i.source_id WHERE i.organizations <> '[]'{}) "
        "SELECT scoped.key, d >= ?2, o.value FROM scoped, json_each(scoped.organizations) o "
        "WHERE o.type = 'text' AND {}",
        kItemDate, fts, where);
    auto r = [&]() -> Result<Participation> {
        auto stmt = statements_->get(sql);
        if (!stmt) return stmt.error();
        stmt->bind(1, prev_from).bind(2, from).bind(3, to);
        if (!q.body.empty()) stmt->bind(4, q.body);
        if (!q.group.empty()) stmt->bind(5, q.group);
        if (!q.query.empty()) stmt->bind(6, q.query);
        std::map<std::string, OrgCount> by_org;
        std::map<std::string, OrgCount> by_country;
        std::set<std::int64_t> items, previous_items;
        std::set<std::pair<std::int64_t, std::string>> item_countries, item_orgs;
        for (;;) {
            auto row = stmt->step();
            if (!row) {
                if (stmt->result_code() == SQLITE_ERROR && !q.query.empty())
                    return context(fmt::format("invalid query '{}'", q.query), row.error());
                return row.error();
            }
            if (!*row) break;
            const std::int64_t key = stmt->int64(0);
            const bool current = stmt->int64(1) != 0;
            const std::string name = orgs.normalize(stmt->text(2));
            if (name.empty()) continue;
            // Two spellings of one organization on one item count once.
            if (!item_orgs.emplace(key, name).second) continue;
            (current ? items : previous_items).insert(key);
            auto& o = by_org[name];
            o.name = name;
            o.country = orgs.country(name);
            ++(current ? o.count : o.previous);
            if (!o.country.empty() && item_countries.emplace(key, o.country).second) {
                auto& c = by_country[o.country];
                c.name = o.country;
                ++(current ? c.count : c.previous);
            }
        }
        Participation p;
        p.items = static_cast<std::int64_t>(items.size());
        p.previous_items = static_cast<std::int64_t>(previous_items.size());
        for (auto& [_, o] : by_org) p.organizations.push_back(std::move(o));
        for (auto& [_, c] : by_country) p.countries.push_back(std::move(c));
        sort_counts(p.organizations);
        sort_counts(p.countries);
        return p;
    }();
    if (!r) return context("cannot count participation", r.error());
    return r;
}

}  // namespace specwatch::storage
