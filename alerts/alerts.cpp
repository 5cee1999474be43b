#include "alerts/alerts.h"

#include "alerts/message.h"
#include "common/text.h"
#include "storage/sqlite.h"

#include <algorithm>
#include <ctime>
#include <limits>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace specwatch::alerts {

namespace {

using storage::sql::Query;

// A rule's FTS5 query over one rowid range of the batch: FTS5 takes the
// range as a bound on each doclist, so the query runs once and reads only the
// range. (An IN on rowid would run the whole query once per value: 1,000 rules
// x 10,000 items took hours that way.) A poll's new items have consecutive
// rowids, so a batch is one range or a few (DESIGN.md invariant 5). The
// snippet marks matched words with control characters that feed text cannot
// carry once sanitized (message.h).
constexpr std::string_view kMatch = R"(
SELECT rowid, snippet(items_fts, -1, char(2), char(3), '…', 16) FROM items_fts
WHERE items_fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3)";
// The same without the snippet, for a rule whose alerts no message shows:
// snippet() reads and tokenizes each matched document again.
constexpr std::string_view kMatchKeys = R"(
SELECT rowid, '' FROM items_fts WHERE items_fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3)";

// Keys further apart than this start a new range (rows between two keys of a
// range are read and dropped).
constexpr std::int64_t kRangeGap = 16;

// The longest wait between two attempts (an MTA's usual queue interval) and
// the first one: 1 min doubling to 1 h.
constexpr std::chrono::seconds kFirstRetry{60};
constexpr std::chrono::seconds kMaxRetry{3600};

Result<void> run_sql(StatementCache& st, std::string_view sql,
                     const std::function<void(Query&)>& bind) {
    auto q = st.get(sql);
    if (!q) return q.error();
    bind(*q);
    return q->run();
}

bool glob_any(const std::vector<std::string>& patterns, const std::string& name) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& p) { return glob_match(p, name); });
}

bool contains_icase(const std::vector<std::string>& list, const std::string& value) {
    const std::string v = to_lower_ascii(value);
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& e) { return to_lower_ascii(e) == v; });
}

bool mail_enabled(const config::Config& cfg) {
    return cfg.mail.transport != config::Transport::none;
}

// A rule without `to` is a watch list: its alerts are recorded, never mailed.
bool mails(const config::Config& cfg, const config::Rule& rule) {
    return mail_enabled(cfg) && !rule.to.empty();
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

Result<std::int64_t> enqueue(StatementCache& st, const config::Config& cfg, std::string_view kind,
                             const std::string& rule, const std::vector<std::string>& to,
                             const std::string& subject, const Rendered& msg, SysTime now) {
    std::vector<std::string> recipients;
    for (const auto& a : to)
        if (auto clean = address_of(a); !clean.empty()) recipients.push_back(clean);
    auto q = st.get(R"(
INSERT INTO outbox (message_id, kind, rule, subject, sender, recipients, message, created,
                    expires, next_attempt)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8) RETURNING id)");
    if (!q) return q.error();
    const std::int64_t t = to_unix(now);
    q->bind(1, msg.message_id)
        .bind(2, kind)
        .bind(3, rule)
        .bind(4, header_safe(subject))
        .bind(5, address_of(cfg.mail.from))
        .bind(6, nlohmann::json(recipients).dump())
        .bind(7, msg.data)
        .bind(8, t)
        .bind(9, t + cfg.mail.retry_for.count());
    auto row = q->step();
    if (!row) return row.error();
    if (!*row) return make_error("the outbox returned no id");
    return q->int64(0);
}

struct AlertForMail {
    MessageItem item;
    std::int64_t item_key = 0;
    int change = 0;
};

// The message for a rule's alerts `ids` (immediate: one poll batch; digest:
// everything since the last digest), queued; the alerts point at it.
Result<void> mail_alerts(StatementCache& st, const config::Config& cfg, const config::Rule& rule,
                         const std::vector<std::int64_t>& ids, bool digest, SysTime now) {
    if (ids.empty()) return {};
    if (!mails(cfg, rule)) {
        for (auto id : ids)
            if (auto r = run_sql(st, "UPDATE alerts SET state = 'nomail' WHERE id = ?1",
                                 [&](Query& q) { q.bind(1, id); });
                !r)
                return r.error();
        return {};
    }
    MessageSpec spec;
    spec.from = cfg.mail.from;
    spec.to = rule.to;
    spec.rule = rule.name;
    spec.date = now;
    std::set<std::string> bodies;
    std::size_t new_count = 0, changed_count = 0;
    for (auto id : ids) {
        AlertForMail a;
        std::string link_key;
        std::int64_t hash = 0;
        {
            auto q = st.get(R"(
SELECT a.item_key, a.change, a.link_key, a.snippet, COALESCE(i.title, ''), COALESCE(i.link, ''),
       COALESCE(i.start, i.published, i.updated, ''), s.name, s.body, s.grp,
       COALESCE(i.location, ''), a.link_hash
FROM alerts a JOIN items i ON i.key = a.item_key JOIN sources s ON s.id = i.source_id
WHERE a.id = ?1)");
            if (!q) return q.error();
            q->bind(1, id);
            auto row = q->step();
            if (!row) return row.error();
            if (!*row) continue;
            a.item_key = q->int64(0);
            a.change = static_cast<int>(q->int64(1));
            link_key = q->text(2);
            a.item.snippet = q->text(3);
            a.item.title = q->text(4);
            a.item.link = q->text(5);
            a.item.date = q->text(6);
            a.item.sources.push_back(q->text(7));
            a.item.body = q->text(8);
            a.item.group = q->text(9);
            // A meeting's place: a changed meeting may have moved.
            a.item.location = q->text(10);
            hash = q->int64(11);
            a.item.changed = a.change > 0;
        }
        if (!link_key.empty()) {
            // The rule's alerts with the link: through the items with its
            // hash (link_items) and the rule's alerts of each (the unique
            // key), then by its text.
            auto q = st.get(R"(
SELECT DISTINCT s.name FROM link_items l CROSS JOIN alerts a JOIN items i ON i.key = a.item_key
JOIN sources s ON s.id = i.source_id
WHERE l.link_hash = ?3 AND a.rule = ?1 AND a.item_key = l.item_key AND a.link_key = ?2
ORDER BY s.name)");
            if (!q) return q.error();
            q->bind(1, rule.name).bind(2, link_key).bind(3, hash);
            std::vector<std::string> names;
            for (;;) {
                auto row = q->step();
                if (!row) return row.error();
                if (!*row) break;
                names.push_back(q->text(0));
            }
            if (names.size() > 1) a.item.sources = std::move(names);
        }
        if (a.change > 0) {
            // Threading: a change refers to the first mail about the item.
            auto q = st.get(R"(
SELECT o.message_id FROM alerts a JOIN outbox o ON o.id = a.message
WHERE a.rule = ?1 AND a.item_key = ?2 AND a.change < ?3 ORDER BY a.change, a.id LIMIT 1)");
            if (!q) return q.error();
            q->bind(1, rule.name).bind(2, a.item_key).bind(3, a.change);
            auto row = q->step();
            if (!row) return row.error();
            if (*row) {
                std::string ref = q->text(0);
                if (std::find(spec.references.begin(), spec.references.end(), ref) ==
                    spec.references.end())
                    spec.references.push_back(std::move(ref));
            }
            ++changed_count;
        } else {
            ++new_count;
        }
        if (!a.item.body.empty()) bodies.insert(a.item.body);
        spec.items.push_back(std::move(a.item));
    }
    if (spec.items.empty()) return {};
    std::string counts;
    if (new_count) counts = plural(new_count, "new item", "new items");
    if (changed_count)
        counts +=
            (counts.empty() ? "" : ", ") + plural(changed_count, "changed item", "changed items");
    std::string body_list;
    for (const auto& b : bodies) body_list += (body_list.empty() ? "" : ", ") + b;
    spec.subject = fmt::format("[specwatch] {}{}: {}{}", rule.name, digest ? " digest" : "", counts,
                               body_list.empty() ? "" : " \u2014 " + body_list);
    spec.intro =
        digest ? fmt::format("Rule \"{}\" matched {} since the last digest.", rule.name, counts)
               : fmt::format("Rule \"{}\" matched {}.", rule.name, counts);
    const Rendered msg = render(spec);
    auto out = enqueue(st, cfg, digest ? "digest" : "immediate", rule.name, rule.to, spec.subject,
                       msg, now);
    if (!out) return out.error();
    for (auto id : ids)
        if (auto r = run_sql(st, "UPDATE alerts SET message = ?2, state = 'mailed' WHERE id = ?1",
                             [&](Query& q) { q.bind(1, id).bind(2, *out); });
            !r)
            return r.error();
    return {};
}

struct SourceInfo {
    std::string body, group;
};

}  // namespace

namespace {

// A batch's keys, sorted and split into the rowid ranges the FTS5 query is
// bounded by (`dense`: every rowid of the range is one of the keys).
struct KeyRanges {
    std::vector<std::int64_t> sorted;
    struct Range {
        std::size_t begin, end;
        bool dense;
    };
    std::vector<Range> ranges;

    explicit KeyRanges(std::vector<std::int64_t> keys) : sorted(std::move(keys)) {
        std::sort(sorted.begin(), sorted.end());
        sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
        for (std::size_t i = 0; i < sorted.size();) {
            std::size_t j = i + 1;
            while (j < sorted.size() && sorted[j] - sorted[j - 1] <= kRangeGap) ++j;
            ranges.push_back(
                {i, j, sorted[j - 1] - sorted[i] + 1 == static_cast<std::int64_t>(j - i)});
            i = j;
        }
    }
};

// The keys of `ranges` the rule's query matches, in key order, each with a
// snippet when `snippets` (else an empty string).
Result<std::vector<std::pair<std::int64_t, std::string>>> match_ranges(StatementCache& st,
                                                                       const config::Rule& rule,
                                                                       const KeyRanges& ranges,
                                                                       bool snippets) {
    std::vector<std::pair<std::int64_t, std::string>> hits;
    for (const auto& r : ranges.sorted.empty() ? std::vector<KeyRanges::Range>{} : ranges.ranges) {
        const std::int64_t lo = ranges.sorted[r.begin], hi = ranges.sorted[r.end - 1];
        auto q = st.get(snippets ? kMatch : kMatchKeys);  // one use per range
        if (!q) return q.error();
        q->bind(1, rule.query).bind(2, lo).bind(3, hi);
        for (;;) {
            auto row = q->step();
            if (!row)
                return make_error(fmt::format("rule '{}': {}", rule.name, row.error().message));
            if (!*row) break;
            const std::int64_t key = q->int64(0);
            if (r.dense ||
                std::binary_search(ranges.sorted.begin() + static_cast<std::ptrdiff_t>(r.begin),
                                   ranges.sorted.begin() + static_cast<std::ptrdiff_t>(r.end), key))
                hits.emplace_back(key, snippets ? q->text(1) : std::string());
        }
    }
    return hits;
}

}  // namespace

Result<std::vector<std::pair<std::int64_t, std::string>>> match_keys(
    StatementCache& st, const config::Rule& rule, const std::vector<std::int64_t>& keys) {
    if (keys.empty()) return std::vector<std::pair<std::int64_t, std::string>>{};
    return match_ranges(st, rule, KeyRanges(keys), true);
}

Result<std::vector<std::int64_t>> match_all(StatementCache& st, const config::Rule& rule) {
    std::vector<std::int64_t> keys;
    auto q = st.get("SELECT rowid FROM items_fts WHERE items_fts MATCH ?1");
    if (!q) return q.error();
    q->bind(1, rule.query);
    for (;;) {
        auto row = q->step();
        if (!row) return make_error(fmt::format("rule '{}': {}", rule.name, row.error().message));
        if (!*row) break;
        keys.push_back(q->int64(0));
    }
    return keys;
}

bool rule_filters_accept(const config::Rule& rule, const std::string& source,
                         const std::string& body, const std::vector<std::string>& organizations) {
    if (!rule.sources.empty() && !glob_any(rule.sources, source)) return false;
    if (!rule.bodies.empty() && !contains_icase(rule.bodies, body)) return false;
    return rule.organizations.empty() ||
           std::any_of(organizations.begin(), organizations.end(),
                       [&](const std::string& o) { return contains_icase(rule.organizations, o); });
}

// ---- matching ----

std::string normalize_link(std::string_view link) {
    std::string s = trim(link);
    if (s.empty()) return {};
    std::string rest = s;
    const auto scheme_end = s.find("://");
    if (scheme_end != std::string::npos) {
        const std::string scheme = to_lower_ascii(s.substr(0, scheme_end));
        rest = s.substr(scheme_end + 3);
        if (scheme != "http" && scheme != "https") return scheme + "://" + rest;
    }
    if (const auto hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
    const auto path_start = rest.find_first_of("/?");
    std::string host = to_lower_ascii(rest.substr(0, path_start));
    std::string tail = path_start == std::string::npos ? "" : rest.substr(path_start);
    if (host.starts_with("www.")) host.erase(0, 4);
    for (std::string_view port : {":80", ":443"})
        if (host.ends_with(port)) host.resize(host.size() - port.size());
    std::string path = tail, query;
    if (const auto q = tail.find('?'); q != std::string::npos) {
        path = tail.substr(0, q);
        std::string kept;
        std::string_view params = std::string_view(tail).substr(q + 1);
        while (!params.empty()) {
            const auto amp = params.find('&');
            const std::string_view p = params.substr(0, amp);
            if (!p.empty() && !to_lower_ascii(p).starts_with("utm_"))
                kept += (kept.empty() ? "" : "&") + std::string(p);
            params = amp == std::string_view::npos ? std::string_view{} : params.substr(amp + 1);
        }
        if (!kept.empty()) query = "?" + kept;
    }
    while (!path.empty() && path.back() == '/') path.pop_back();
    return host + path + query;
}

namespace {

// The batch being matched, in a temporary table (of this connection only,
// never in the database file) so that a rule's alerts are recorded by one
// INSERT … SELECT joining the rule's FTS5 matches to it, instead of a
// statement per alert: sqlite's cost per statement (bind, step, reset, a
// changes() query) was most of an alert's cost (docs/performance.md,
// "Matching, third round"). `changed`: 1 for a changed item, whose alert
// carries its change number `change`; 0 for a new one (change 0).
// `link_hash`: link_hash(link_key) (common/text.h), copied into each alert.
constexpr std::string_view kBatchTable = R"(
CREATE TEMP TABLE IF NOT EXISTS match_batch (
    key       INTEGER PRIMARY KEY,
    link_key  TEXT NOT NULL,
    change    INTEGER NOT NULL,
    changed   INTEGER NOT NULL,
    link_hash INTEGER NOT NULL
))";
// The batch items' organizations, lower-cased, for rules that filter on them.
constexpr std::string_view kOrgsTable = R"(
CREATE TEMP TABLE IF NOT EXISTS match_orgs (
    key INTEGER NOT NULL,
    org TEXT NOT NULL,
    PRIMARY KEY (key, org)
) WITHOUT ROWID)";

// One rule's alerts over one rowid range of the batch, in key order (so alert
// ids follow item keys, as the listing and the duplicate rule expect). The FTS5
// table drives the join (CROSS JOIN keeps sqlite from reordering it): FTS5
// takes the range as a bound on each doclist, and each match is looked up in
// the batch by key. ?6/?7: whether the rule takes new / changed items.
// `{snippet}`: snippet() only for a rule whose messages show it, since it
// reads and tokenizes each matched document again; `{orgs}`: the rule's
// organizations filter, when it has one (?8: their JSON array, lower-cased).
// No unique key can be hit by a fresh batch (new keys, new change numbers),
// but a (rule, item, change) is recorded at most once whatever happens: OR
// IGNORE keeps the first. OR IGNORE rather than ON CONFLICT DO NOTHING: a
// statement that writes many rows and may stop half-way (a NOT NULL column or
// an immediate foreign key under the default ABORT) runs with a statement
// journal, a copy of each page before it changes, and with it nothing here
// can stop (the foreign keys are deferred, schema 11; every value is NOT
// NULL by construction, the snippet too through its COALESCE).
constexpr std::string_view kRecord = R"(
INSERT OR IGNORE INTO alerts (rule, item_key, change, link_key, link_hash, snippet, created, state)
SELECT ?1, f.rowid, b.change, b.link_key, b.link_hash, {snippet}, ?4, ?5
FROM items_fts f CROSS JOIN temp.match_batch b
WHERE items_fts MATCH ?2 AND f.rowid BETWEEN ?3 AND ?9 AND b.key = f.rowid
  AND (b.changed = 0 AND ?6 OR b.changed = 1 AND ?7){orgs}
ORDER BY f.rowid)";
constexpr std::string_view kSnippet =
    "COALESCE(snippet(items_fts, -1, char(2), char(3), '…', 16), '')";
constexpr std::string_view kOrgsFilter = R"(
  AND EXISTS (SELECT 1 FROM temp.match_orgs o WHERE o.key = b.key
              AND o.org IN (SELECT value FROM json_each(?8))))";

const std::string& record_sql(bool snippets, bool orgs) {
    static const std::string variants[4] = {
        fmt::format(kRecord, fmt::arg("snippet", "''"), fmt::arg("orgs", "")),
        fmt::format(kRecord, fmt::arg("snippet", "''"), fmt::arg("orgs", kOrgsFilter)),
        fmt::format(kRecord, fmt::arg("snippet", kSnippet), fmt::arg("orgs", "")),
        fmt::format(kRecord, fmt::arg("snippet", kSnippet), fmt::arg("orgs", kOrgsFilter)),
    };
    return variants[(snippets ? 2 : 0) + (orgs ? 1 : 0)];
}

// The links of the batch's new items that may be duplicates: a link two new
// items of the batch share, or one an earlier item matched against the rules
// had (link_items, by the link's hash: a hash two links share only makes
// kMarkDuplicates run, and it compares the text).
constexpr std::string_view kDuplicateLinks = R"(
CREATE TEMP TABLE IF NOT EXISTS match_duplicate_links (
    link_key  TEXT PRIMARY KEY,
    link_hash INTEGER NOT NULL
) WITHOUT ROWID)";
constexpr std::string_view kPriorLinks = R"(
INSERT OR IGNORE INTO temp.match_duplicate_links
SELECT b.link_key, b.link_hash FROM temp.match_batch b
WHERE b.changed = 0 AND b.link_hash <> 0 AND EXISTS (
    SELECT 1 FROM link_items l WHERE l.link_hash = b.link_hash))";
// The batch's items by their links' hashes, once the earlier ones were asked
// (schema 11): every alert's (link, item) is there, which is what the lookups
// of alerts by link go through (kMarkDuplicates, mail_alerts).
constexpr std::string_view kLinkItems = R"(
INSERT OR IGNORE INTO link_items (link_hash, item_key)
SELECT link_hash, key FROM temp.match_batch WHERE link_hash <> 0)";

// A new item with the link of an earlier alert of the rule is the same
// document through another source: recorded as a duplicate of the rule's first
// alert for that link (listed with it, not mailed again). Run on the rule's
// alerts just recorded (ids above ?2) whose link is one of the batch's
// possible duplicates (in the common batch, none: then it is not run), after
// the INSERT, not inside it: an INSERT … SELECT that reads alerts goes
// through a temporary table, and would not see the batch's own earlier alerts
// (two items of one batch with the same link). The first alert of a link is
// never a duplicate, so the lowest id is the one to point at. The rule's
// alerts of a link are found through the items with the link's hash
// (link_items) and the rule's alert of each item (the unique key), and
// compared by the link's text: a hash two links share makes no duplicate.
// The alerts to mark are read by id (`+rule`: not through the unique key,
// which holds all the rule's alerts).
constexpr std::string_view kMarkDuplicates = R"(
UPDATE alerts SET state = 'duplicate', duplicate_of = (
    SELECT MIN(d.id) FROM link_items l CROSS JOIN alerts d
    WHERE l.link_hash = alerts.link_hash AND d.rule = ?1 AND d.item_key = l.item_key
      AND d.change = 0 AND d.link_key = alerts.link_key AND d.state <> 'duplicate')
WHERE id > ?2 AND +rule = ?1 AND change = 0
  AND link_key IN (SELECT link_key FROM temp.match_duplicate_links) AND EXISTS (
    SELECT 1 FROM link_items l CROSS JOIN alerts d
    WHERE l.link_hash = alerts.link_hash AND d.rule = ?1 AND d.item_key = l.item_key
      AND d.change = 0 AND d.link_key = alerts.link_key AND d.state <> 'duplicate'
      AND d.id < alerts.id))";

// The page cache while a batch is matched: with sqlite's default (2 MiB) a
// large batch's alerts, their indexes and the items they point at do not fit,
// and every page read again or spilled is a pread or pwrite (BM_Match/1000:
// 431,504 preads and 206,166 pwrites a run with the default, 11,350 and 32,387
// with this; 16 and 32 MiB still read 245,188 and 189,833). It only grows
// with the pages a batch touches (a poll of 50 items, a few), and goes back
// to the connection's size when matching ends; the daemon hands freed pages
// back after its polls (docs/design.md, "One poll", step 6).
constexpr int kMatchCacheKiB = 65536;

// Raises the connection's cache_size for its lifetime, then restores it.
class BiggerCache {
  public:
    explicit BiggerCache(StatementCache& st) : st_(st) {
        auto q = st_.get("PRAGMA cache_size");
        if (!q) return;
        auto row = q->step();
        if (!row || !*row) return;
        const std::int64_t size = q->int64(0);
        // Negative: KiB; positive: pages (of 4 KiB by default).
        const std::int64_t kib = size < 0 ? -size : size * 4;
        if (kib >= kMatchCacheKiB) return;
        old_ = size;
        restore_ = set(-kMatchCacheKiB);
    }
    ~BiggerCache() {
        if (restore_) (void)set(old_);
    }
    BiggerCache(const BiggerCache&) = delete;
    BiggerCache& operator=(const BiggerCache&) = delete;

  private:
    bool set(std::int64_t size) {
        auto q = st_.get(fmt::format("PRAGMA cache_size = {}", size));
        return q && q->run();
    }
    StatementCache& st_;
    std::int64_t old_ = 0;
    bool restore_ = false;
};

// The ids a batch recorded, [first, last], all made at `created`, as a run of
// alert_runs (schema 11), which `specwatch alerts` lists by: the newest run
// is extended when it has the same time and ends just before `first` (several
// batches of one writer transaction), else a run begins.
Result<void> record_run(StatementCache& st, std::int64_t first, std::int64_t last,
                        std::int64_t created) {
    auto q = st.get(R"(
UPDATE alert_runs SET last_id = ?2
WHERE first_id = (SELECT MAX(first_id) FROM alert_runs) AND last_id = ?1 - 1 AND created = ?3)");
    if (!q) return q.error();
    q->bind(1, first).bind(2, last).bind(3, created);
    if (auto r = q->run(); !r) return r.error();
    if (q->changes() > 0) return {};
    return run_sql(st, "INSERT INTO alert_runs (first_id, last_id, created) VALUES (?1, ?2, ?3)",
                   [&](Query& r) { r.bind(1, first).bind(2, last).bind(3, created); });
}

Result<std::int64_t> last_alert_id(StatementCache& st) {
    auto q = st.get("SELECT COALESCE(MAX(id), 0) FROM alerts");
    if (!q) return q.error();
    auto row = q->step();
    if (!row) return row.error();
    return *row ? q->int64(0) : 0;
}

struct LoadedBatch {
    bool any_orgs = false;        // an item has organizations
    bool any_duplicates = false;  // match_duplicate_links is not empty
};

// Fills the temporary tables with the batch: each item's normalized link,
// change number and organizations, read once for the batch (one range scan
// per range of keys), and the links that may make duplicates.
Result<LoadedBatch> load_batch(StatementCache& st, const KeyRanges& all,
                               const std::unordered_set<std::int64_t>& changed) {
    for (auto sql : {kBatchTable, kOrgsTable, kDuplicateLinks})
        if (auto r = run_sql(st, sql, [](Query&) {}); !r) return r.error();
    for (auto sql : {"DELETE FROM temp.match_batch", "DELETE FROM temp.match_orgs",
                     "DELETE FROM temp.match_duplicate_links"})
        if (auto r = run_sql(st, sql, [](Query&) {}); !r) return r.error();
    LoadedBatch out;
    std::unordered_set<std::string> new_links, repeated;
    for (const auto& r : all.ranges) {
        auto q = st.get(
            "SELECT key, COALESCE(link, ''), organizations, changes FROM items "
            "WHERE key BETWEEN ?1 AND ?2");
        if (!q) return q.error();
        q->bind(1, all.sorted[r.begin]).bind(2, all.sorted[r.end - 1]);
        for (;;) {
            auto row = q->step();
            if (!row) return row.error();
            if (!*row) break;
            const std::int64_t key = q->int64(0);
            if (!r.dense &&
                !std::binary_search(all.sorted.begin() + static_cast<std::ptrdiff_t>(r.begin),
                                    all.sorted.begin() + static_cast<std::ptrdiff_t>(r.end), key))
                continue;
            const bool is_changed = changed.contains(key);
            std::string link_key = normalize_link(q->text(1));
            auto ins = st.get("INSERT INTO temp.match_batch VALUES (?1, ?2, ?3, ?4, ?5)");
            if (!ins) return ins.error();
            ins->bind(1, key)
                .bind(2, link_key)
                .bind(3, is_changed ? q->int64(3) : 0)
                .bind(4, is_changed ? 1 : 0)
                .bind(5, link_hash(link_key));
            if (auto done = ins->run(); !done) return done.error();
            if (!is_changed && !link_key.empty() && !new_links.insert(link_key).second)
                repeated.insert(std::move(link_key));
            const std::string orgs = q->text(2);
            if (orgs.size() <= 2) continue;  // "[]" or "" for none
            const auto j = nlohmann::json::parse(orgs, nullptr, false);
            if (!j.is_array()) continue;
            for (const auto& e : j) {
                if (!e.is_string()) continue;
                auto org = st.get("INSERT OR IGNORE INTO temp.match_orgs VALUES (?1, ?2)");
                if (!org) return org.error();
                org->bind(1, key).bind(2, to_lower_ascii(e.get<std::string>()));
                if (auto done = org->run(); !done) return done.error();
                out.any_orgs = true;
            }
        }
    }
    for (const auto& link : repeated)
        if (auto r = run_sql(st, "INSERT OR IGNORE INTO temp.match_duplicate_links VALUES (?1, ?2)",
                             [&](Query& q) { q.bind(1, link).bind(2, link_hash(link)); });
            !r)
            return r.error();
    if (auto r = run_sql(st, kPriorLinks, [](Query&) {}); !r) return r.error();
    if (auto r = run_sql(st, kLinkItems, [](Query&) {}); !r) return r.error();
    auto any = st.get("SELECT EXISTS (SELECT 1 FROM temp.match_duplicate_links)");
    if (!any) return any.error();
    auto row = any->step();
    if (!row) return row.error();
    out.any_duplicates = *row && any->int64(0) != 0;
    return out;
}

}  // namespace

Result<int> match_batch(StatementCache& st, const config::Config& cfg, const std::string& source,
                        const storage::StoreResult& batch, SysTime now) {
    if (cfg.rules.empty() || (batch.new_keys.empty() && batch.changed_keys.empty())) return 0;
    // first_poll = "baseline": what a new source already holds is history.
    const bool new_ones = !(batch.first_success && !cfg.daemon.first_poll_alerts);
    SourceInfo info;
    {
        auto q = st.get("SELECT body, grp FROM sources WHERE name = ?1");
        if (!q) return q.error();
        q->bind(1, source);
        auto row = q->step();
        if (!row) return row.error();
        if (*row) info = {q->text(0), q->text(1)};
    }
    std::vector<std::int64_t> all_keys = batch.new_keys;
    all_keys.insert(all_keys.end(), batch.changed_keys.begin(), batch.changed_keys.end());
    const KeyRanges all(std::move(all_keys));
    std::optional<LoadedBatch> loaded;
    std::optional<BiggerCache> cache;

    const std::int64_t t = to_unix(now);
    int recorded = 0;
    // The alerts' highest id, asked once: one writer and nothing deleted, so
    // each rule's alerts take the next ids, one each.
    std::optional<std::int64_t> last_id;
    // The highest alert id before the batch's first, once a rule inserted
    // (the batch's ids then make one run of alert_runs).
    std::optional<std::int64_t> first_before;
    for (const auto& rule : cfg.rules) {
        if (!rule.sources.empty() && !glob_any(rule.sources, source)) continue;
        if (!rule.bodies.empty() && !contains_icase(rule.bodies, info.body)) continue;
        const bool with_new = rule.on_new && new_ones && !batch.new_keys.empty();
        const bool with_changed = rule.on_changed && !batch.changed_keys.empty();
        if (!with_new && !with_changed) continue;
        if (!loaded) {
            cache.emplace(st);
            const std::unordered_set<std::int64_t> changed(batch.changed_keys.begin(),
                                                           batch.changed_keys.end());
            auto l = load_batch(st, all, changed);
            if (!l) return l.error();
            loaded = *l;
        }
        // No item of the batch has an organization the rule asks for.
        if (!rule.organizations.empty() && !loaded->any_orgs) continue;
        const bool immediate = rule.delivery == config::Delivery::immediate;
        // Snippets are shown only in messages: an immediate rule that mails
        // none (a watch list, or mail off) needs none, and its alerts are
        // recorded as 'nomail' at once. A digest rule's alerts wait for a
        // digest, mailed or not by the configuration of that day.
        const bool mailed_now = immediate && mails(cfg, rule);
        const bool snippets = mailed_now || !immediate;
        std::string orgs_json;
        if (!rule.organizations.empty()) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& o : rule.organizations) list.push_back(to_lower_ascii(o));
            orgs_json = list.dump();
        }
        if (!last_id) {
            auto l = last_alert_id(st);
            if (!l) return l.error();
            last_id = *l;
        }
        const std::int64_t before = *last_id;
        std::int64_t inserted = 0;
        for (const auto& r : all.ranges) {
            auto q = st.get(record_sql(snippets, !rule.organizations.empty()));
            if (!q) return q.error();
            q->bind(1, rule.name)
                .bind(2, rule.query)
                .bind(3, all.sorted[r.begin])
                .bind(9, all.sorted[r.end - 1])
                .bind(4, t)
                .bind(5, immediate && !mailed_now ? "nomail" : "pending")
                .bind(6, with_new ? 1 : 0)
                .bind(7, with_changed ? 1 : 0);
            if (!orgs_json.empty()) q->bind(8, orgs_json);
            if (auto done = q->run(); !done)
                return make_error(fmt::format("rule '{}': {}", rule.name, done.error().message));
            inserted += q->changes();
        }
        if (inserted == 0) continue;
        if (!first_before) first_before = before;
        *last_id += inserted;
        std::int64_t duplicates = 0;
        if (loaded->any_duplicates) {
            auto q = st.get(kMarkDuplicates);
            if (!q) return q.error();
            q->bind(1, rule.name).bind(2, before);
            if (auto r = q->run(); !r) return r.error();
            duplicates = q->changes();
        }
        recorded += static_cast<int>(inserted - duplicates);
        if (!mailed_now || inserted == duplicates) continue;
        std::vector<std::int64_t> to_mail;
        {
            auto q =
                st.get("SELECT id FROM alerts WHERE id > ?1 AND state <> 'duplicate' ORDER BY id");
            if (!q) return q.error();
            q->bind(1, before);
            for (;;) {
                auto row = q->step();
                if (!row) return row.error();
                if (!*row) break;
                to_mail.push_back(q->int64(0));
            }
        }
        if (auto r = mail_alerts(st, cfg, rule, to_mail, false, now); !r) return r.error();
    }
    if (first_before)
        if (auto r = record_run(st, *first_before + 1, *last_id, t); !r) return r.error();
    return recorded;
}

// ---- the outbox ----

std::chrono::seconds backoff(int failed_attempts) {
    if (failed_attempts <= 1) return kFirstRetry;
    std::chrono::seconds wait = kFirstRetry;
    for (int i = 1; i < failed_attempts && wait < kMaxRetry; ++i) wait *= 2;
    return std::min(wait, kMaxRetry);
}

Result<std::vector<Outgoing>> due_messages(StatementCache& st, SysTime now, int limit) {
    auto q = st.get(R"(
SELECT id, message_id, sender, recipients, message, attempts, created, expires FROM outbox
WHERE state = 'queued' AND next_attempt <= ?1 ORDER BY next_attempt, id LIMIT ?2)");
    if (!q) return q.error();
    q->bind(1, to_unix(now)).bind(2, limit);
    std::vector<Outgoing> out;
    for (;;) {
        auto row = q->step();
        if (!row) return row.error();
        if (!*row) return out;
        Outgoing m;
        m.id = q->int64(0);
        m.message_id = q->text(1);
        m.sender = q->text(2);
        const auto j = nlohmann::json::parse(q->text(3), nullptr, false);
        if (j.is_array())
            for (const auto& e : j)
                if (e.is_string()) m.recipients.push_back(e.get<std::string>());
        m.data = q->text(4);
        m.attempts = static_cast<int>(q->int64(5));
        m.created = q->int64(6);
        m.expires = q->int64(7);
        out.push_back(std::move(m));
    }
}

Result<std::optional<std::int64_t>> next_attempt(StatementCache& st) {
    auto q = st.get("SELECT MIN(next_attempt) FROM outbox WHERE state = 'queued'");
    if (!q) return q.error();
    auto row = q->step();
    if (!row) return row.error();
    if (!*row || q->is_null(0)) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{q->int64(0)};
}

Result<void> record_attempt(StatementCache& st, const Outgoing& m, const SendResult& r,
                            SysTime now) {
    const std::int64_t t = to_unix(now);
    const std::string detail = header_safe(r.detail);
    switch (r.status) {
        case SendStatus::sent:
            return run_sql(st,
                           "UPDATE outbox SET state = 'sent', sent = ?2, attempts = attempts + 1, "
                           "last_error = '' WHERE id = ?1",
                           [&](Query& q) { q.bind(1, m.id).bind(2, t); });
        case SendStatus::permanent:
            return run_sql(st,
                           "UPDATE outbox SET state = 'failed', attempts = attempts + 1, "
                           "last_error = ?2 WHERE id = ?1",
                           [&](Query& q) { q.bind(1, m.id).bind(2, detail); });
        case SendStatus::temporary:
            break;
    }
    const int failed = m.attempts + 1;
    if (t >= m.expires)
        return run_sql(st,
                       "UPDATE outbox SET state = 'expired', attempts = ?2, last_error = ?3 "
                       "WHERE id = ?1",
                       [&](Query& q) { q.bind(1, m.id).bind(2, failed).bind(3, detail); });
    return run_sql(st,
                   "UPDATE outbox SET attempts = ?2, last_error = ?3, next_attempt = ?4 "
                   "WHERE id = ?1",
                   [&](Query& q) {
                       q.bind(1, m.id).bind(2, failed).bind(3, detail).bind(
                           4, t + backoff(failed).count());
                   });
}

Result<MailCounts> mail_counts(StatementCache& st) {
    auto q = st.get(R"(SELECT
        (SELECT COUNT(*) FROM alerts WHERE state <> 'duplicate'),
        (SELECT COUNT(*) FROM outbox WHERE state = 'queued'),
        (SELECT COUNT(*) FROM outbox WHERE state = 'sent'),
        (SELECT COUNT(*) FROM outbox WHERE state = 'failed'),
        (SELECT COUNT(*) FROM outbox WHERE state = 'expired'))");
    if (!q) return q.error();
    auto row = q->step();
    if (!row) return row.error();
    MailCounts c;
    if (*row) {
        c.alerts = q->int64(0);
        c.queued = q->int64(1);
        c.sent = q->int64(2);
        c.failed = q->int64(3);
        c.expired = q->int64(4);
    }
    return c;
}

// ---- digests ----

SysTime next_digest_slot(SysTime last, int minute) {
    const std::time_t t = static_cast<std::time_t>(to_unix(last));
    std::tm lt{};
    localtime_r(&t, &lt);
    // Today's slot counts only if the wall clock had not reached it yet: on
    // the night the clocks go back, 02:30 happens twice and must not send
    // two digests.
    const int first_day = lt.tm_hour * 60 + lt.tm_min < minute ? 0 : 1;
    for (int add = first_day; add < first_day + 3; ++add) {
        std::tm c{};
        c.tm_year = lt.tm_year;
        c.tm_mon = lt.tm_mon;
        c.tm_mday = lt.tm_mday + add;
        c.tm_hour = minute / 60;
        c.tm_min = minute % 60;
        c.tm_isdst = -1;  // whatever is in force that day; a time the clocks skip moves on
        const std::time_t s = mktime(&c);
        if (s > t) return from_unix(s);
    }
    return last + std::chrono::hours{24};
}

namespace {

Result<std::optional<std::int64_t>> last_digest(StatementCache& st, const std::string& rule) {
    auto q = st.get("SELECT last_sent FROM digests WHERE rule = ?1");
    if (!q) return q.error();
    q->bind(1, rule);
    auto row = q->step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{q->int64(0)};
}

}  // namespace

Result<int> run_digests(StatementCache& st, const config::Config& cfg, SysTime now) {
    int queued = 0;
    const std::int64_t t = to_unix(now);
    // The alerts of `rule` still waiting for a digest.
    const auto pending = [&](const std::string& rule) -> Result<std::vector<std::int64_t>> {
        std::vector<std::int64_t> ids;
        auto q = st.get(
            "SELECT id FROM alerts WHERE rule = ?1 AND message IS NULL AND "
            "state = 'pending' ORDER BY id");
        if (!q) return q.error();
        q->bind(1, rule);
        for (;;) {
            auto row = q->step();
            if (!row) return row.error();
            if (!*row) break;
            ids.push_back(q->int64(0));
        }
        return ids;
    };
    for (const auto& rule : cfg.rules) {
        if (rule.delivery != config::Delivery::digest) {
            // A rule changed from digest to immediate: what waited for its
            // digest is not lost, it goes now, as one last digest.
            auto ids = pending(rule.name);
            if (!ids) return ids.error();
            if (!ids->empty()) {
                if (auto r = mail_alerts(st, cfg, rule, *ids, true, now); !r) return r.error();
                if (mails(cfg, rule)) ++queued;
            }
            continue;
        }
        auto last = last_digest(st, rule.name);
        if (!last) return last.error();
        if (!*last) {
            // A new digest rule: its first digest is at the next digest_at.
            if (auto r = run_sql(st, "INSERT INTO digests (rule, last_sent) VALUES (?1, ?2)",
                                 [&](Query& q) { q.bind(1, rule.name).bind(2, t); });
                !r)
                return r.error();
            continue;
        }
        if (now < next_digest_slot(from_unix(**last), rule.digest_minute)) continue;
        auto found = pending(rule.name);
        if (!found) return found.error();
        const std::vector<std::int64_t>& ids = *found;
        if (!ids.empty()) {
            if (auto r = mail_alerts(st, cfg, rule, ids, true, now); !r) return r.error();
            if (mails(cfg, rule)) ++queued;
        }
        // However many slots passed while the daemon was down: one digest.
        if (auto r = run_sql(st, "UPDATE digests SET last_sent = ?2 WHERE rule = ?1",
                             [&](Query& q) { q.bind(1, rule.name).bind(2, t); });
            !r)
            return r.error();
    }
    return queued;
}

Result<std::optional<SysTime>> next_digest_due(StatementCache& st, const config::Config& cfg,
                                               SysTime now) {
    std::optional<SysTime> next;
    for (const auto& rule : cfg.rules) {
        if (rule.delivery != config::Delivery::digest) continue;
        auto last = last_digest(st, rule.name);
        if (!last) return last.error();
        // A rule without a row yet gets one at the next run: due now.
        const SysTime due = *last ? next_digest_slot(from_unix(**last), rule.digest_minute) : now;
        if (!next || due < *next) next = due;
    }
    return next;
}

// ---- meeting reminders ----

namespace {

// How far past a rule's longest offset next_reminder_due looks: the mailer's
// timer re-checks at least hourly, so a day is plenty.
constexpr std::chrono::hours kReminderLookahead{24};

struct Meeting {
    std::int64_t key = 0;
    std::string start;  // as stored: the reminder's identity
    SysTime start_at;
    std::string link_key;
    MessageItem item;
};

bool is_cancelled(const std::string& categories_json) {
    const auto j = nlohmann::json::parse(categories_json, nullptr, false);
    if (!j.is_array()) return false;
    return std::any_of(j.begin(), j.end(), [](const nlohmann::json& e) {
        return e.is_string() && to_lower_ascii(e.get<std::string>()) == "cancelled";
    });
}

// The "Agenda: URL" lines that HTML sources write into a meeting's content
// ([source.html] agenda, documents, invitation), in that order.
std::vector<std::pair<std::string, std::string>> related_links(std::string_view content) {
    static constexpr std::string_view kLabels[] = {"Agenda", "Documents", "Invitation"};
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto label : kLabels) {
        const std::string prefix = std::string(label) + ": ";
        std::size_t pos = 0;
        while (pos < content.size()) {
            const std::size_t eol = std::min(content.find('\n', pos), content.size());
            const std::string_view line = content.substr(pos, eol - pos);
            pos = eol + 1;
            if (!line.starts_with(prefix)) continue;
            const std::string url = trim(line.substr(prefix.size()));
            if (url.starts_with("http://") || url.starts_with("https://")) {
                out.emplace_back(label, url);
                break;
            }
        }
    }
    return out;
}

// The stored meetings `rule` matches (its FTS5 query restricted to the
// meetings' rows, then its sources, bodies and organizations) whose start
// lies in (now, until], soonest first. A source disabled or removed from the
// config reminds nothing.
Result<std::vector<Meeting>> rule_meetings(StatementCache& st, const config::Rule& rule,
                                           SysTime now, SysTime until) {
    std::vector<std::int64_t> keys;
    {
        // Dates sort as strings (schema v1); from the day of `now`, so an
        // all-day start is kept here and compared exactly below.
        auto q =
            st.get("SELECT key FROM items WHERE start IS NOT NULL AND start >= ?1 AND start <= ?2");
        if (!q) return q.error();
        q->bind(1, format_iso_utc(now).substr(0, 10)).bind(2, format_iso_utc(until));
        for (;;) {
            auto row = q->step();
            if (!row) return row.error();
            if (!*row) break;
            keys.push_back(q->int64(0));
        }
    }
    std::vector<Meeting> out;
    if (keys.empty()) return out;
    auto matched = match_keys(st, rule, keys);
    if (!matched) return matched.error();
    auto& hits = *matched;
    for (auto& [key, snippet] : hits) {
        auto q = st.get(R"(
SELECT i.start, COALESCE(i."end", ''), COALESCE(i.location, ''), COALESCE(i.title, ''),
       COALESCE(i.link, ''), i.organizations, s.name, s.body, s.grp, i.categories,
       COALESCE(i.content, '')
FROM items i JOIN sources s ON s.id = i.source_id WHERE i.key = ?1 AND s.enabled)");
        if (!q) return q.error();
        q->bind(1, key);
        auto row = q->step();
        if (!row) return row.error();
        if (!*row) continue;
        Meeting m;
        m.key = key;
        m.start = q->text(0);
        auto start_at = parse_iso(m.start);
        if (!start_at || *start_at <= now || *start_at > until) continue;
        m.start_at = *start_at;
        const std::string source = q->text(6);
        m.item.body = q->text(7);
        if (!rule.sources.empty() && !glob_any(rule.sources, source)) continue;
        if (!rule.bodies.empty() && !contains_icase(rule.bodies, m.item.body)) continue;
        if (!rule.organizations.empty()) {
            bool any = false;
            const auto j = nlohmann::json::parse(q->text(5), nullptr, false);
            if (j.is_array())
                for (const auto& e : j)
                    if (e.is_string() && contains_icase(rule.organizations, e.get<std::string>()))
                        any = true;
            if (!any) continue;
        }
        // A cancelled meeting (a category "cancelled", as the iCalendar
        // parser writes for STATUS:CANCELLED and the ITU calendar's status
        // column reads) needs no preparing.
        if (is_cancelled(q->text(9))) continue;
        m.item.links = related_links(q->text(10));
        const std::string end = q->text(1);
        m.item.date = end.empty() || end == m.start ? m.start : m.start + " \u2013 " + end;
        m.item.location = q->text(2);
        m.item.title = q->text(3);
        m.item.link = q->text(4);
        m.item.group = q->text(8);
        m.item.sources.push_back(source);
        m.item.snippet = std::move(snippet);
        m.link_key = normalize_link(m.item.link);
        out.push_back(std::move(m));
    }
    std::sort(out.begin(), out.end(), [](const Meeting& a, const Meeting& b) {
        return std::tie(a.start_at, a.key) < std::tie(b.start_at, b.key);
    });
    return out;
}

// "7 days", "1 day", "12 hours", "90 minutes", "45 seconds".
std::string describe_offset(std::int64_t s) {
    if (s % 86400 == 0) return plural(static_cast<std::size_t>(s / 86400), "day", "days");
    if (s % 3600 == 0) return plural(static_cast<std::size_t>(s / 3600), "hour", "hours");
    if (s % 60 == 0) return plural(static_cast<std::size_t>(s / 60), "minute", "minutes");
    return plural(static_cast<std::size_t>(s), "second", "seconds");
}

}  // namespace

Result<int> run_reminders(StatementCache& st, const config::Config& cfg, SysTime now) {
    int queued = 0;
    const std::int64_t t = to_unix(now);
    for (const auto& rule : cfg.rules) {
        if (rule.remind_before.empty()) continue;
        const auto longest =
            *std::max_element(rule.remind_before.begin(), rule.remind_before.end());
        auto meetings = rule_meetings(st, rule, now, now + longest);
        if (!meetings) return meetings.error();
        struct Due {
            Meeting* meeting;
            std::int64_t offset;
        };
        std::vector<Due> due;
        for (auto& m : *meetings) {
            // The nearest reminder time that has come: the farther ones it
            // overtook (a meeting first seen late, a daemon that was down)
            // are never sent.
            std::optional<std::int64_t> offset;
            for (const auto off : rule.remind_before)
                if (m.start_at - off <= now && (!offset || off.count() < *offset))
                    offset = off.count();
            if (!offset) continue;
            // Reminded already for this start, at this offset or a nearer one?
            auto q = st.get(
                "SELECT 1 FROM reminders WHERE rule = ?1 AND item_key = ?2 AND start = ?3 "
                "AND offset_s <= ?4 LIMIT 1");
            if (!q) return q.error();
            q->bind(1, rule.name).bind(2, m.key).bind(3, m.start).bind(4, *offset);
            auto row = q->step();
            if (!row) return row.error();
            if (*row) continue;
            due.push_back(Due{&m, *offset});
        }
        if (due.empty()) continue;
        for (const auto& d : due)
            if (auto r = run_sql(st,
                                 "INSERT INTO reminders (rule, item_key, offset_s, start, created) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5)",
                                 [&](Query& q) {
                                     q.bind(1, rule.name).bind(2, d.meeting->key).bind(3, d.offset);
                                     q.bind(4, d.meeting->start).bind(5, t);
                                 });
                !r)
                return r.error();
        if (!mails(cfg, rule)) continue;

        MessageSpec spec;
        spec.from = cfg.mail.from;
        spec.to = rule.to;
        spec.rule = rule.name;
        spec.date = now;
        // The same meeting through two sources (the same normalized link and
        // start) is listed once, naming both.
        std::vector<std::pair<std::string, std::size_t>> listed;
        std::int64_t first_offset = due.front().offset, widest = 0;
        bool one_offset = true;
        for (const auto& d : due) {
            one_offset = one_offset && d.offset == first_offset;
            widest = std::max(widest, d.offset);
            const Meeting& m = *d.meeting;
            const std::string same = m.link_key.empty() ? "" : m.link_key + "\n" + m.start;
            auto it = std::find_if(listed.begin(), listed.end(),
                                   [&](const auto& l) { return !same.empty() && l.first == same; });
            if (it != listed.end()) {
                auto& sources = spec.items[it->second].sources;
                for (const auto& s : m.item.sources)
                    if (std::find(sources.begin(), sources.end(), s) == sources.end())
                        sources.push_back(s);
                std::sort(sources.begin(), sources.end());
                continue;
            }
            listed.emplace_back(same, spec.items.size());
            spec.items.push_back(m.item);
        }
        const std::string count = plural(spec.items.size(), "meeting", "meetings");
        const std::string when = one_offset ? "in " + describe_offset(first_offset)
                                            : "within " + describe_offset(widest);
        spec.subject = fmt::format("[specwatch] {}: reminder \u2014 {} {}", rule.name, count, when);
        spec.intro = fmt::format("Rule \"{}\": {} starting {}.", rule.name, count, when);
        const Rendered msg = render(spec);
        auto out = enqueue(st, cfg, "reminder", rule.name, rule.to, spec.subject, msg, now);
        if (!out) return out.error();
        for (const auto& d : due)
            if (auto r = run_sql(st,
                                 "UPDATE reminders SET message = ?5 WHERE rule = ?1 AND "
                                 "item_key = ?2 AND offset_s = ?3 AND start = ?4",
                                 [&](Query& q) {
                                     q.bind(1, rule.name).bind(2, d.meeting->key).bind(3, d.offset);
                                     q.bind(4, d.meeting->start).bind(5, *out);
                                 });
                !r)
                return r.error();
        ++queued;
    }
    return queued;
}

Result<std::optional<SysTime>> next_reminder_due(StatementCache& st, const config::Config& cfg,
                                                 SysTime now) {
    std::optional<SysTime> next;
    for (const auto& rule : cfg.rules) {
        if (rule.remind_before.empty()) continue;
        const auto longest =
            *std::max_element(rule.remind_before.begin(), rule.remind_before.end());
        auto meetings = rule_meetings(st, rule, now, now + longest + kReminderLookahead);
        if (!meetings) return meetings.error();
        for (const auto& m : *meetings)
            for (const auto off : rule.remind_before)
                if (const SysTime at = m.start_at - off; at > now && (!next || at < *next))
                    next = at;
    }
    return next;
}

// ---- source health ----

Result<bool> record_health(StatementCache& st, const config::Config& cfg, const std::string& source,
                           bool ok, const std::string& error, SysTime now) {
    std::optional<std::pair<std::int64_t, bool>> row_value;
    {
        auto q = st.get("SELECT failing_since, reported FROM source_health WHERE source = ?1");
        if (!q) return q.error();
        q->bind(1, source);
        auto row = q->step();
        if (!row) return row.error();
        if (*row) row_value = std::make_pair(q->int64(0), q->int64(1) != 0);
    }
    const bool can_mail = mail_enabled(cfg) && !cfg.mail.health_to.empty();
    const std::int64_t t = to_unix(now);
    const auto mail = [&](std::string subject, std::vector<std::string> lines) -> Result<void> {
        MessageSpec spec;
        spec.from = cfg.mail.from;
        spec.to = cfg.mail.health_to;
        spec.subject = std::move(subject);
        spec.intro = spec.subject;
        spec.lines = std::move(lines);
        spec.date = now;
        const Rendered msg = render(spec);
        auto id = enqueue(st, cfg, "health", "", cfg.mail.health_to, spec.subject, msg, now);
        if (!id) return id.error();
        return {};
    };
    if (ok) {
        if (!row_value) return false;
        bool queued = false;
        if (row_value->second && can_mail) {
            if (auto r = mail(
                    fmt::format("[specwatch] source {} recovered", source),
                    {fmt::format("Source \"{}\" was failing from {} and works again "
                                 "since {}.",
                                 source, format_iso_utc(row_value->first), format_iso_utc(t))});
                !r)
                return r.error();
            queued = true;
        }
        if (auto r = run_sql(st, "DELETE FROM source_health WHERE source = ?1",
                             [&](Query& q) { q.bind(1, source); });
            !r)
            return r.error();
        return queued;
    }
    if (!row_value) {
        if (auto r =
                run_sql(st, "INSERT INTO source_health (source, failing_since) VALUES (?1, ?2)",
                        [&](Query& q) { q.bind(1, source).bind(2, t); });
            !r)
            return r.error();
        row_value = std::make_pair(t, false);
    }
    if (row_value->second || !can_mail || t - row_value->first < cfg.mail.health_after.count())
        return false;
    if (auto r = mail(fmt::format("[specwatch] source {} failing since {}", source,
                                  format_iso_utc(row_value->first)),
                      {fmt::format("Source \"{}\" has been failing since {}.", source,
                                   format_iso_utc(row_value->first)),
                       fmt::format("Last error: {}", error), "Check it with: specwatch sources"});
        !r)
        return r.error();
    if (auto r = run_sql(st, "UPDATE source_health SET reported = 1 WHERE source = ?1",
                         [&](Query& q) { q.bind(1, source); });
        !r)
        return r.error();
    return true;
}

// ---- listings ----

namespace {

// The alerts of ids [first, last] (one run: one `created`), of `rule` unless
// it is empty, newest first, at most `limit`, appended to `out`.
Result<void> list_run(StatementCache& st, std::int64_t first, std::int64_t last,
                      const std::string& rule, int limit, std::vector<AlertRow>& out) {
    auto q = st.get(R"(
SELECT a.id, a.rule, a.item_key, a.change, a.created, a.state, COALESCE(i.title, ''), s.name,
       COALESCE(i.link, ''), COALESCE(o.state, ''), COALESCE(o.last_error, ''),
       COALESCE(o.message_id, ''), COALESCE(o.attempts, 0)
FROM alerts a JOIN items i ON i.key = a.item_key JOIN sources s ON s.id = i.source_id
LEFT JOIN outbox o ON o.id = COALESCE(a.message,
                                      (SELECT d.message FROM alerts d WHERE d.id = a.duplicate_of))
WHERE a.id BETWEEN ?1 AND ?2 AND (?3 = '' OR a.rule = ?3)
ORDER BY a.id DESC LIMIT ?4)");
    if (!q) return q.error();
    q->bind(1, first).bind(2, last).bind(3, rule).bind(4, limit);
    for (;;) {
        auto row = q->step();
        if (!row) return row.error();
        if (!*row) return {};
        AlertRow a;
        a.id = q->int64(0);
        a.rule = q->text(1);
        a.item_key = q->int64(2);
        a.change = static_cast<int>(q->int64(3));
        a.created = q->int64(4);
        a.state = q->text(5);
        a.title = q->text(6);
        a.source = q->text(7);
        a.link = q->text(8);
        a.mail_state = q->text(9);
        a.mail_error = q->text(10);
        a.message_id = q->text(11);
        a.attempts = static_cast<int>(q->int64(12));
        out.push_back(std::move(a));
    }
}

}  // namespace

// Newest first: created DESC, id DESC. Every alert of a run of alert_runs has
// the run's `created` (schema 11), so that order is the runs by created DESC,
// first_id DESC (alert_runs_by_created, read backwards), each run's alerts by
// id DESC: exact even where the clock stepped back between two runs. The
// outer statement stays open while each run is read, so the whole listing
// reads one snapshot of the database.
Result<std::vector<AlertRow>> list_alerts(StatementCache& st, const std::string& rule,
                                          std::optional<std::int64_t> since, int limit) {
    const int wanted = std::clamp(limit, 0, 10000);
    std::vector<AlertRow> out;
    if (wanted == 0) return out;
    auto runs = st.get(R"(
SELECT first_id, last_id FROM alert_runs WHERE created >= ?1
ORDER BY created DESC, first_id DESC)");
    if (!runs) return runs.error();
    runs->bind(1, since.value_or(std::numeric_limits<std::int64_t>::min()));
    for (;;) {
        auto run = runs->step();
        if (!run) return run.error();
        if (!*run) return out;
        if (auto r = list_run(st, runs->int64(0), runs->int64(1), rule,
                              wanted - static_cast<int>(out.size()), out);
            !r)
            return r.error();
        if (static_cast<int>(out.size()) >= wanted) return out;
    }
}

Result<RuleCount> rule_count(StatementCache& st, const std::string& rule) {
    auto q = st.get(
        "SELECT COUNT(*), COALESCE(MAX(created), 0) FROM alerts WHERE rule = ?1 AND "
        "state <> 'duplicate'");
    if (!q) return q.error();
    q->bind(1, rule);
    auto row = q->step();
    if (!row) return row.error();
    RuleCount c;
    if (*row) {
        c.alerts = q->int64(0);
        c.last = q->int64(1);
    }
    return c;
}

Result<std::vector<storage::StoredItem>> test_query(storage::Store& db, const std::string& query,
                                                    std::optional<std::int64_t> since, int limit) {
    // search() ranks the whole index; `since` then keeps the recent ones.
    auto found = db.search(query, since ? 10000 : limit);
    if (!found) return found.error();
    std::vector<storage::StoredItem> out;
    for (auto& s : *found) {
        if (since && s.first_seen < *since) continue;
        out.push_back(std::move(s));
        if (static_cast<int>(out.size()) >= limit) break;
    }
    return out;
}

}  // namespace specwatch::alerts
