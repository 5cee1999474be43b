#include "cli/cli.h"

#include "cli/meetings.h"
#include "cli/table.h"
#include "common/clock.h"
#include "common/meeting.h"
#include "common/text.h"
#include "common/units.h"
#include "common/version.h"
#include "protocol/protocol.h"
// SPECWATCH_CLI_LOCAL: this build runs `parse` and `import opml` itself (the
// specwatch-local program and the unit tests); without it they run in
// specwatch-local (see run_locally).
#if SPECWATCH_CLI_LOCAL
#include "config/config.h"
#include "config/opml.h"
#include "parsers/parse.h"
#endif

#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

namespace specwatch::cli {

namespace {

using protocol::Json;
using namespace std::chrono_literals;

// Every command but poll is a lookup in the daemon's database: 30 s is far
// beyond any healthy answer and short enough that a hung daemon is noticed.
constexpr std::chrono::milliseconds kTimeout = 30s;
// A poll waits for every source's fetch (each bounded by [daemon] timeout,
// 60 s by default, queued max_parallel at a time): generous, but not forever.
constexpr std::chrono::milliseconds kPollTimeout = 30min;
// A backup copies the whole database; a large one on a slow disk takes a while.
constexpr std::chrono::milliseconds kBackupTimeout = 2h;
// Without a terminal to measure (a pipe, a file), titles are cut here so a
// runaway title cannot make a line of kilobytes.
constexpr std::size_t kTitleWidthNoTerminal = 80;
// Paragraphs in `show` wrap at the terminal's width, never wider than this.
constexpr std::size_t kMaxWrap = 100;
// A sanity bound on --limit: a typo (an extra zero or three) should be a usage
// error, not a reply of gigabytes.
constexpr int kMaxLimit = 1000000;
// Short columns that should never push the title off the screen.
constexpr std::size_t kSourceWidth = 24;
constexpr std::size_t kResultWidth = 40;

constexpr int kExitOk = static_cast<int>(protocol::Exit::ok);
constexpr int kExitFailure = static_cast<int>(protocol::Exit::failure);
constexpr int kExitUsage = static_cast<int>(protocol::Exit::usage);

// --- reading reply fields defensively: a reply is data, not a promise ----------

std::string text(const Json& j, const char* key) {
    if (!j.is_object()) return {};
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_boolean()) return it->get<bool>() ? "true" : "false";
    if (it->is_number()) return it->dump();
    return {};
}

std::optional<std::int64_t> number(const Json& j, const char* key) {
    if (!j.is_object()) return std::nullopt;
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    if (it->is_number_float()) return static_cast<std::int64_t>(it->get<double>());
    if (it->is_number_unsigned()) return static_cast<std::int64_t>(it->get<std::uint64_t>());
    return it->get<std::int64_t>();
}

std::string count(const Json& j, const char* key) {
    const auto n = number(j, key);
    return n ? std::to_string(*n) : "-";
}

std::string joined(const Json& j, const char* key) {
    if (!j.is_object()) return {};
    const auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return text(j, key);
    std::string out;
    for (const auto& v : *it) {
        if (!v.is_string()) continue;
        if (!out.empty()) out += ", ";
        out += v.get<std::string>();
    }
    return out;
}

const Json& member(const Json& j, const char* key) {
    static const Json kNull;
    if (!j.is_object()) return kNull;
    const auto it = j.find(key);
    return it == j.end() ? kNull : *it;
}

// --- times ------------------------------------------------------------------------

bool is_date_only(std::string_view iso) {
    return iso.size() == 10;
}

std::optional<std::tm> local(std::string_view iso) {
    const auto t = parse_iso(iso);
    if (!t) return std::nullopt;
    const std::time_t secs = static_cast<std::time_t>(to_unix(*t));
    std::tm tm{};
    if (!::localtime_r(&secs, &tm)) return std::nullopt;
    return tm;
}

std::string strftime_local(std::string_view iso, const char* format) {
    if (iso.empty()) return {};
    if (is_date_only(iso)) return sanitize_line(iso);  // an all-day date has no zone
    const auto tm = local(iso);
    if (!tm) return sanitize_line(iso);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, format, &*tm);
    return std::string(buf, n);
}

// "2026-03-16 10:00" in the local zone; dates stay dates.
std::string local_time(std::string_view iso) {
    return strftime_local(iso, "%Y-%m-%d %H:%M");
}
std::string local_date(std::string_view iso) {
    return strftime_local(iso, "%Y-%m-%d");
}

// "in 12m", "3h ago" (or `past` for any time gone by: a poll that is due);
// empty when the time cannot be read.
std::string relative(std::string_view iso, const char* past = nullptr) {
    const auto t = parse_iso(iso);
    if (!t) return {};
    const auto now = std::chrono::system_clock::now();
    const auto d = std::chrono::duration_cast<Seconds>(*t - now);
    if (past && d.count() < 0) return past;
    if (d.count() >= 0 && d < 60s) return d.count() == 0 ? "now" : "in <1m";
    if (d.count() < 0 && -d < 60s) return "just now";
    // Minutes are precise enough for a poll schedule; seconds would be noise.
    const auto rounded = [](Seconds s) { return Seconds{s.count() / 60 * 60}; };
    return d.count() > 0 ? "in " + format_duration(rounded(d))
                         : format_duration(rounded(-d)) + " ago";
}

std::string local_and_relative(std::string_view iso, const char* past = nullptr) {
    if (iso.empty()) return {};
    const std::string rel = relative(iso, past);
    return rel.empty() ? local_time(iso) : fmt::format("{} ({})", local_time(iso), rel);
}

// The date an item is listed under: when it was published, else updated, else
// the meeting's start, else when specwatch first saw it.
std::string item_date(const Json& item) {
    for (const char* key : {"published", "updated", "start", "first_seen"}) {
        const std::string v = text(item, key);
        if (!v.empty()) return v;
    }
    return {};
}

// --- human output -------------------------------------------------------------------

struct Printer {
    const Io& io;

    [[nodiscard]] std::size_t title_width() const {
        return io.terminal_width > 0 ? 0 : kTitleWidthNoTerminal;
    }

    void table(const Table& t) const { io.out << t.render(io.terminal_width); }

    void key_values(const std::vector<std::pair<std::string, std::string>>& lines) const {
        std::size_t w = 0;
        for (const auto& [k, v] : lines)
            if (!v.empty()) w = std::max(w, display_width(k));
        for (const auto& [k, v] : lines) {
            if (v.empty()) continue;
            io.out << k << ':' << std::string(w - display_width(k) + 1, ' ') << sanitize_line(v)
                   << '\n';
        }
    }

    void status(const Json& r) const {
        const Json& sources = member(r, "sources");
        std::string src = fmt::format("{} (ok {}, failing {}", count(sources, "total"),
                                      count(sources, "ok"), count(sources, "failing"));
        if (number(sources, "polling").value_or(0) > 0)
            src += fmt::format(", polling {}", count(sources, "polling"));
        if (number(sources, "gone").value_or(0) > 0)
            src += fmt::format(", gone {}", count(sources, "gone"));
        src += ')';
        // The failing sources by name, with how long: what to look at first.
        std::string failing;
        for (const auto& f : member(r, "failing")) {
            if (!failing.empty()) failing += ", ";
            failing += fmt::format("{} ({} in a row)", text(f, "name"), count(f, "failures"));
        }
        const Json& mail = member(r, "mail");
        std::string uptime;
        if (const auto s = number(r, "uptime")) uptime = format_duration(Seconds{*s});
        if (const std::string started = text(r, "started"); !started.empty())
            uptime += fmt::format(" (since {})", local_time(started));
        const std::string next = text(r, "next_poll");
        key_values({
            {"version", text(r, "version")},
            {"uptime", uptime},
            {"sources", src},
            {"failing", failing},
            {"items", count(r, "items")},
            {"alerts", count(r, "alerts")},
            {"mail",
             fmt::format(
                 "{} queued, {} failed{}", count(mail, "queued"), count(mail, "failed"),
                 number(mail, "expired").value_or(0) > 0
                     ? fmt::format(", {} expired (retry_for ran out)", count(mail, "expired"))
                     : "")},
            {"next poll", next.empty() ? "none scheduled" : local_and_relative(next, "due")},
            {"config", text(r, "config")},
        });
    }

    void sources(const Json& r) const {
        Table t{{{"NAME", Align::left, kSourceWidth},
                 {"BODY", Align::left, kSourceWidth},
                 {"FORMAT"},
                 {"LAST POLL"},
                 {"LAST OK"},
                 {"FAILS", Align::right},
                 {"RESULT", Align::left, kResultWidth},
                 {"ITEMS", Align::right},
                 {"NEXT POLL"}}};
        if (r.is_array()) {
            for (const auto& s : r) {
                // What was configured, or what "auto" found the feed to be.
                std::string format = text(s, "format");
                if (const std::string found = text(s, "feed_format");
                    !found.empty() && (format.empty() || format == "auto"))
                    format = found;
                const Json& enabled = member(s, "enabled");
                const std::string next_iso = text(s, "next_poll");
                std::string next = "-";
                if (enabled.is_boolean() && !enabled.get<bool>()) {
                    next = "disabled";
                } else if (!next_iso.empty()) {
                    next = relative(next_iso, "due");
                    if (next.empty()) next = local_time(next_iso);
                }
                const std::string last = text(s, "last_poll");
                const std::string last_ok = text(s, "last_success");
                std::string result = text(s, "result");
                const Json& gone = member(s, "gone");
                if (gone.is_boolean() && gone.get<bool>()) result = "GONE: " + result;
                t.add_row({text(s, "name"), text(s, "body"), format,
                           last.empty() ? "never" : local_time(last),
                           last_ok.empty() ? "never" : local_time(last_ok), count(s, "failures"),
                           result, count(s, "items"), next});
                // A permanent redirect: the config should name the new URL.
                if (const std::string moved = text(s, "moved_to"); !moved.empty())
                    t.add_detail("moved permanently to " + moved + " (update url in the config)");
            }
        }
        table(t);
    }

    void items(const Json& r, bool snippets) const {
        Table t{{{"KEY", Align::right},
                 {"SOURCE", Align::left, kSourceWidth},
                 {"DATE"},
                 {"TITLE", Align::left, title_width()}}};
        if (r.is_array()) {
            for (const auto& item : r) {
                t.add_row({count(item, "key"), text(item, "source"), local_date(item_date(item)),
                           text(item, "title")});
                if (snippets) t.add_detail(text(item, "snippet"));
            }
        }
        table(t);
    }

    void rules(const Json& r) const {
        Table t{{{"RULE", Align::left, kSourceWidth},
                 {"QUERY", Align::left, title_width()},
                 {"DELIVERY"},
                 {"ALERTS", Align::right},
                 {"LAST ALERT"}}};
        if (r.is_array()) {
            for (const auto& rule : r) {
                std::string delivery = text(rule, "delivery");
                if (delivery == "digest") delivery += " " + text(rule, "digest_at");
                const std::string last = text(rule, "last_alert");
                t.add_row({text(rule, "name"), text(rule, "query"), delivery, count(rule, "alerts"),
                           last.empty() ? "never" : local_time(last)});
                std::string filters;
                for (const char* key : {"bodies", "sources", "organizations", "on", "to"})
                    if (const std::string v = joined(rule, key); !v.empty())
                        filters += fmt::format("{}{}: {}", filters.empty() ? "" : "; ", key, v);
                if (!filters.empty()) t.add_detail(filters);
            }
        }
        table(t);
    }

    void alerts(const Json& r) const {
        Table t{{{"WHEN"},
                 {"RULE", Align::left, kSourceWidth},
                 {"KEY", Align::right},
                 {"SOURCE", Align::left, kSourceWidth},
                 {"MAIL"},
                 {"TITLE", Align::left, title_width()}}};
        if (r.is_array()) {
            for (const auto& a : r) {
                std::string title = text(a, "title");
                if (number(a, "change").value_or(0) > 0) title = "(changed) " + title;
                t.add_row({local_time(text(a, "when")), text(a, "rule"), count(a, "key"),
                           text(a, "source"), text(a, "mail"), title});
                // Why a message is not delivered yet, or never will be.
                if (const std::string error = text(a, "error"); !error.empty())
                    t.add_detail(fmt::format("{} attempt(s): {}", count(a, "attempts"), error));
            }
        }
        table(t);
    }

    // A bar of Unicode blocks, `value` of `max` over `width` columns, in eighths.
    static std::string bar(std::int64_t value, std::int64_t max, std::size_t width) {
        static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
        if (max <= 0 || value <= 0) return {};
        const std::int64_t eighths =
            std::max<std::int64_t>(1, value * static_cast<std::int64_t>(width) * 8 / max);
        std::string out;
        for (std::int64_t i = 0; i < eighths / 8; ++i) out += "█";
        out += kEighths[eighths % 8];
        return out;
    }

    static std::string count_change(const Json& row) {
        const auto now = number(row, "count").value_or(0);
        const auto before = number(row, "previous").value_or(0);
        if (before == 0) return now > 0 ? "new" : "0";
        return now == before ? "0" : fmt::format("{:+}", now - before);
    }

    void participation(const Json& r) const {
        std::string what =
            fmt::format("{} to {}", local_date(text(r, "from")), local_date(text(r, "to")));
        for (const char* key : {"body", "group"})
            if (const std::string v = text(r, key); !v.empty())
                what += ", " + std::string(key) + " " + v;
        if (const std::string q = text(r, "query"); !q.empty()) what += ", matching " + q;
        io.out << sanitize_line(
                      fmt::format("{} contributions by {} organizations ({}); previous period: {}",
                                  count(r, "items"), count(r, "organizations_total"), what,
                                  count(r, "previous_items")))
               << "\n\n";
        constexpr std::size_t kBarWidth = 24;
        std::int64_t max = 0;
        for (const auto& o : member(r, "organizations"))
            max = std::max(max, number(o, "count").value_or(0));
        Table t{{{"ORGANIZATION", Align::left, 32},
                 {"COUNTRY"},
                 {"ITEMS", Align::right},
                 {"PREVIOUS", Align::right},
                 {"CHANGE", Align::right},
                 {"", Align::left}}};
        for (const auto& o : member(r, "organizations"))
            t.add_row({text(o, "name"), text(o, "country"), count(o, "count"), count(o, "previous"),
                       count_change(o), bar(number(o, "count").value_or(0), max, kBarWidth)});
        table(t);
        const Json& countries = member(r, "countries");
        if (!countries.is_array() || countries.empty()) return;
        io.out << '\n';
        max = 0;
        for (const auto& c : countries) max = std::max(max, number(c, "count").value_or(0));
        Table c{{{"COUNTRY"},
                 {"ITEMS", Align::right},
                 {"PREVIOUS", Align::right},
                 {"CHANGE", Align::right},
                 {"", Align::left}}};
        for (const auto& row : countries)
            c.add_row({text(row, "country"), count(row, "count"), count(row, "previous"),
                       count_change(row), bar(number(row, "count").value_or(0), max, kBarWidth)});
        table(c);
    }

    void show(const Json& r) const {
        std::string source = text(r, "source");
        std::string where = text(r, "body");
        if (const std::string group = text(r, "group"); !group.empty())
            where += where.empty() ? group : ", " + group;
        if (!where.empty()) source += fmt::format(" ({})", where);
        std::vector<std::pair<std::string, std::string>> fields{
            {"Title", text(r, "title")},
            {"Key", count(r, "key") == "-" ? "" : count(r, "key")},
            {"Source", source},
            {"Link", text(r, "link")},
            {"ID", text(r, "id")},
            {"Author", text(r, "author")},
            {"Published", local_time(text(r, "published"))},
            {"Updated", local_time(text(r, "updated"))},
            {"Start", local_time(text(r, "start"))},
            {"End", local_time(text(r, "end"))},
            {"Location", text(r, "location")},
            {"Categories", joined(r, "categories")},
            {"Organizations", joined(r, "organizations")},
            {"First seen", local_time(text(r, "first_seen"))},
            {"Last seen", local_time(text(r, "last_seen"))},
        };
        // Fields this CLI does not know yet (a newer daemon) are still shown.
        static const std::vector<std::string> kKnown = {
            "title",      "key",       "source",   "body",       "group",
            "link",       "id",        "author",   "published",  "updated",
            "start",      "end",       "location", "categories", "organizations",
            "first_seen", "last_seen", "summary",  "content",    "snippet"};
        if (r.is_object()) {
            for (const auto& [k, v] : r.items()) {
                if (std::find(kKnown.begin(), kKnown.end(), k) != kKnown.end()) continue;
                if (v.is_string() || v.is_number() || v.is_boolean())
                    fields.emplace_back(sanitize_line(k), text(r, k.c_str()));
                else if (v.is_array())
                    fields.emplace_back(sanitize_line(k), joined(r, k.c_str()));
            }
        }
        key_values(fields);
        const std::size_t width =
            io.terminal_width > 0 ? std::min(io.terminal_width, kMaxWrap) : kMaxWrap;
        const std::string summary = text(r, "summary");
        const std::string content = text(r, "content");
        if (!summary.empty()) io.out << '\n' << wrap_paragraphs(summary, width);
        if (!content.empty() && content != summary)
            io.out << "\nContent:\n" << wrap_paragraphs(content, width);
    }

    void poll(const Json& r) const {
        Table t{{{"SOURCE", Align::left, kSourceWidth},
                 {"NEW", Align::right},
                 {"CHANGED", Align::right},
                 {"ITEMS", Align::right},
                 {"RESULT", Align::left, title_width()}}};
        for (const auto& s : member(r, "results")) {
            const bool ok = member(s, "ok").is_boolean() && s["ok"].get<bool>();
            std::string result;
            if (ok) {
                result = number(s, "status").value_or(0) > 0 ? count(s, "status") : "ok";
            } else {
                const std::string error = text(s, "error");
                result = error.empty() ? "failed" : "failed: " + error;
            }
            t.add_row({text(s, "source"), count(s, "new"), count(s, "changed"), count(s, "items"),
                       result});
        }
        table(t);
        io.out << fmt::format("polled {}, failed {}\n", count(r, "polled"), count(r, "failed"));
    }

    // Already the exposition format: printed as it is (it holds no feed text).
    void metrics(const Json& r) const {
        const Json& body = member(r, "text");
        if (body.is_string()) io.out << body.get<std::string>();
    }

    void backup(const Json& r) const {
        const double mib = static_cast<double>(number(r, "bytes").value_or(0)) / (1024.0 * 1024.0);
        io.out << fmt::format("backup of {} items ({:.1f} MiB) written to {} in {} s\n",
                              count(r, "items"), mib, sanitize_line(text(r, "path")),
                              text(r, "seconds"));
    }

    void reload(const Json& r) const {
        io.out << fmt::format("config reloaded: {} sources, {} rules", count(r, "sources"),
                              count(r, "rules"));
        if (const std::string path = text(r, "config"); !path.empty())
            io.out << " (" << sanitize_line(path) << ')';
        io.out << '\n';
    }

    // The period, then one row per body and group and one per rule, each
    // figure beside the previous period's and the change.
    void report(const Json& r) const {
        const std::string from = text(r, "from"), to = text(r, "to");
        const Json& prev = member(r, "previous");
        std::string length;
        if (const auto s = number(r, "seconds")) length = " (" + format_duration(Seconds{*s}) + ")";
        key_values({{"period", fmt::format("{} to {}{}", local_time(from), local_time(to), length)},
                    {"against", fmt::format("{} to {}", local_time(text(prev, "from")),
                                            local_time(text(prev, "to")))},
                    {"body", text(r, "body")}});
        io.out << '\n';
        Table groups{{{"BODY", Align::left, kSourceWidth},
                      {"GROUP", Align::left, kSourceWidth},
                      {"MEETINGS", Align::right},
                      {"PREV", Align::right},
                      {"CHANGE", Align::right},
                      {"NEW ITEMS", Align::right},
                      {"PREV", Align::right},
                      {"CHANGE", Align::right}}};
        const auto row = [&](std::string body, std::string group, const Json& g) {
            const Json& m = member(g, "meetings");
            const Json& n = member(g, "new_items");
            groups.add_row({std::move(body), std::move(group), count(m, "current"),
                            count(m, "previous"), change(m), count(n, "current"),
                            count(n, "previous"), change(n)});
        };
        for (const auto& g : member(r, "groups")) {
            const std::string group = text(g, "group");
            row(text(g, "body"), group.empty() ? "-" : group, g);
        }
        row("all", "", member(r, "totals"));
        table(groups);
        if (member(r, "rules").empty()) return;
        io.out << '\n';
        Table rules{{{"RULE", Align::left, kSourceWidth},
                     {"HITS", Align::right},
                     {"PREV", Align::right},
                     {"CHANGE", Align::right},
                     {"QUERY", Align::left, title_width()}}};
        for (const auto& rule : member(r, "rules")) {
            const std::string name = text(rule, "name");
            const Json& hits = member(rule, "hits");
            rules.add_row({name, count(hits, "current"), count(hits, "previous"), change(hits),
                           text(rule, "query")});
            // Where the hits are: each group's share, most first.
            std::vector<std::pair<std::int64_t, std::string>> where;
            for (const auto& g : member(r, "groups")) {
                const Json& h = member(member(g, "hits"), name.c_str());
                const auto cur = number(h, "current").value_or(0);
                if (cur == 0 && number(h, "previous").value_or(0) == 0) continue;
                std::string label = text(g, "body");
                if (const std::string group = text(g, "group"); !group.empty())
                    label += "/" + group;
                where.emplace_back(cur,
                                   fmt::format("{} {} ({})", label, cur,
                                               signed_number(number(h, "change").value_or(0))));
            }
            std::stable_sort(where.begin(), where.end(),
                             [](const auto& a, const auto& b) { return a.first > b.first; });
            std::string detail;
            for (const auto& [n, w] : where) detail += (detail.empty() ? "" : ", ") + w;
            if (!detail.empty()) rules.add_detail(detail);
        }
        table(rules);
    }

    // "+2", "\u22123" (a true minus sign), "0".
    static std::string signed_number(std::int64_t n) {
        if (n == 0) return "0";
        return fmt::format("{}{}", n > 0 ? "+" : "\u2212", n > 0 ? n : -n);
    }

    // "+2 (+100%)", "\u22123 (\u221220%)", "+4 (new)", "0".
    static std::string change(const Json& figure) {
        const auto d = number(figure, "change").value_or(0);
        if (d == 0) return "0";
        const auto pct = number(figure, "percent");
        if (!pct) return fmt::format("{} (new)", signed_number(d));
        return fmt::format("{} ({}%)", signed_number(d), signed_number(*pct));
    }

    // The document itself: it is what a feed reader imports.
    void opml(const Json& r) const {
        const Json& body = member(r, "opml");
        if (body.is_string()) io.out << body.get<std::string>();
    }

    void feed(const Feed& f) const {
        key_values({{"format", f.format},
                    {"title", f.title},
                    {"link", f.link},
                    {"updated", f.updated},
                    {"items", std::to_string(f.items.size())}});
        if (f.items.empty()) return;
        io.out << '\n';
        Table t{
            {{"DATE"}, {"LINK", Align::left, kResultWidth}, {"TITLE", Align::left, title_width()}}};
        for (const auto& item : f.items) {
            std::string date = item.published;
            if (date.empty()) date = item.updated;
            if (date.empty()) date = item.start;
            t.add_row({local_date(date), item.link, item.title});
        }
        table(t);
    }
};

// --- output shared by every command ---------------------------------------------------

std::string dump(const Json& j) {
    // Feed text can hold invalid UTF-8: replace it rather than throw mid-output.
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

// A message on stderr (sanitized: it may quote a server), and with --json the
// same as {"error": …} on stdout so a script always gets one JSON document.
int fail(const Io& io, bool json, const std::string& message, int exit,
         const std::vector<std::string>& problems = {}) {
    io.err << "specwatch: " << sanitize_line(message) << '\n';
    for (const auto& p : problems) io.err << sanitize_line(p) << '\n';
    if (json) {
        Json doc{{"error", message}};
        if (!problems.empty()) doc["problems"] = problems;
        io.out << dump(doc);
    }
    return exit;
}

// Exit codes travel in replies; anything outside 0..255 would wrap in the
// shell, so it becomes a plain failure.
int exit_code(const Json& reply, int fallback) {
    const auto n = number(reply, "exit");
    if (!n) return fallback;
    return *n >= 0 && *n <= 255 ? static_cast<int>(*n) : kExitFailure;
}

using HumanPrinter = std::function<void(const Printer&, const Json&)>;

// Sends a request and returns the reply's result, or, when the daemon cannot
// be reached or reports an error, prints that (as JSON with --json) and
// returns the exit code to use.
struct Answer {
    Json result;
    int exit = kExitOk;  // from the reply when ok; else the failure's
    bool ok = false;
};
Answer ask(const Io& io, bool json, const std::string& socket, const Json& request,
           std::chrono::milliseconds timeout, int pass_fd = -1) {
    auto reply = protocol::call(socket, request, timeout, pass_fd);
    if (!reply)
        return {{}, fail(io, json, reply.error().message, static_cast<int>(reply.error().exit))};
    const Json& r = *reply;
    const Json& ok = member(r, "ok");
    if (!ok.is_boolean())
        return {{},
                fail(io, json, fmt::format("malformed reply from specwatchd at {}", socket),
                     kExitFailure)};
    if (!ok.get<bool>()) {
        std::string error = text(r, "error");
        if (error.empty()) error = "specwatchd reported an error without a message";
        std::vector<std::string> problems;
        for (const auto& p : member(r, "problems"))
            if (p.is_string()) problems.push_back(p.get<std::string>());
        int exit = exit_code(r, kExitFailure);
        if (exit == kExitOk) exit = kExitFailure;  // an error is never success
        return {{}, fail(io, json, error, exit, problems)};
    }
    return {member(r, "result"), exit_code(r, kExitOk), true};
}

void print_result(const Io& io, bool json, const Json& result, const HumanPrinter& print) {
    if (json) {
        io.out << dump(result);
    } else {
        print(Printer{io}, result);
    }
}

int call_daemon(const Io& io, bool json, const std::string& socket, const Json& request,
                std::chrono::milliseconds timeout, const HumanPrinter& print) {
    Answer a = ask(io, json, socket, request, timeout);
    if (a.ok) print_result(io, json, a.result, print);
    return a.exit;
}

// --- backup: the daemon writes into a file we open -------------------------------

// The copy is written into PATH.partial, which this process creates (so the
// daemon, sandboxed and running as its own user, needs no access to PATH) and
// passes over the socket; only a complete, checked, synced copy is renamed to
// PATH. An existing PATH is kept unless --force.
int run_backup(const Io& io, bool json, const std::string& socket, const std::string& path,
               bool force, const HumanPrinter& print) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!force && fs::exists(path, ec)) {
        return fail(
            io, json,
            fmt::format("{} exists; choose another name or use --force to replace it", path),
            kExitUsage);
    }
    const std::string partial = path + ".partial";
    const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        return fail(io, json,
                    fmt::format("cannot create {}: {}{}", partial, std::strerror(errno),
                                errno == EEXIST ? " (a backup in progress, or left by one that "
                                                  "failed: remove it)"
                                                : ""),
                    kExitFailure);
    }
    Answer a = ask(io, json, socket, Json{{"cmd", "backup"}}, kBackupTimeout, fd);
    int err = 0;
    if (a.ok && ::fsync(fd) != 0) err = errno;
    ::close(fd);
    if (a.ok && err == 0 && std::rename(partial.c_str(), path.c_str()) != 0) err = errno;
    if (!a.ok || err != 0) {
        ::unlink(partial.c_str());
        if (err != 0)
            return fail(io, json, fmt::format("writing {}: {}", path, std::strerror(err)),
                        kExitFailure);
        return a.exit;
    }
    a.result["path"] = path;
    print_result(io, json, a.result, print);
    return a.exit;
}

// --- parse: local, no daemon ----------------------------------------------------------

struct ParseArgs {
    std::string format;
    std::string base;
    std::string config;
    std::string source;
    std::string file;
};

#if SPECWATCH_CLI_LOCAL
// Reads the whole file (or stdin for "-") as bytes; the error names the path.
// With `max`, reading stops after max + 1 bytes: enough for the caller to
// tell the input is too large without holding all of it.
Result<std::string> read_input(const std::string& path, std::istream& in,
                               std::size_t max = std::string::npos) {
    if (path == "-") {
        std::string data;
        char buf[65536];
        while (data.size() <= max && in.read(buf, sizeof buf).gcount() > 0)
            data.append(buf, static_cast<std::size_t>(in.gcount()));
        if (in.bad()) return make_error("cannot read standard input");
        return Result<std::string>{boost::system::in_place_value, std::move(data)};
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f{std::fopen(path.c_str(), "rb"), &std::fclose};
    if (!f) return make_error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    std::string data;
    char buf[65536];
    for (;;) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
        data.append(buf, n);
        if (n < sizeof buf || data.size() > max) break;
    }
    if (std::ferror(f.get()))
        return make_error(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    return Result<std::string>{boost::system::in_place_value, std::move(data)};
}

int run_parse(const Io& io, bool json, const ParseArgs& a, bool format_given, bool base_given) {
    parse::Options options;
    options.format = format_given ? a.format : "auto";
    options.base_url = a.base;

    std::optional<config::Config> cfg;
    if (!a.config.empty()) {
        auto loaded = config::load_file(a.config);
        if (!loaded) {
            std::vector<std::string> lines;
            for (const auto& p : loaded.error()) lines.push_back(p.to_string());
            return fail(io, json, fmt::format("{}: invalid config", a.config), kExitUsage, lines);
        }
        cfg = std::move(*loaded);
        const config::Source* source = cfg->find_source(a.source);
        if (!source)
            return fail(io, json, fmt::format("no source '{}' in {}", a.source, a.config),
                        kExitUsage);
        if (!format_given) options.format = source->format;
        if (!base_given) options.base_url = source->url;
        options.source = source;
    }

    auto bytes = read_input(a.file, io.in);
    if (!bytes) return fail(io, json, bytes.error().message, kExitFailure);

    auto feed = parse::parse(*bytes, options);
    if (!feed) {
        const std::string name = a.file == "-" ? "<stdin>" : a.file;
        return fail(io, json, fmt::format("{}: {}", name, feed.error().message), kExitFailure);
    }
    if (json) {
        io.out << dump(protocol::feed_to_json(*feed));
    } else {
        Printer{io}.feed(*feed);
    }
    return kExitOk;
}

// --- import opml: local, no daemon ---------------------------------------------------

int run_import_opml(const Io& io, bool json, const std::string& file, const std::string& body) {
    const std::string name = file == "-" ? "<stdin>" : file;
    auto bytes = read_input(file, io.in, config::kMaxOpmlBytes);
    if (!bytes) return fail(io, json, bytes.error().message, kExitFailure);
    auto imported = config::opml_to_toml(*bytes, name, body);
    if (!imported) return fail(io, json, imported.error().message, kExitFailure);
    for (const auto& w : imported->warnings) io.err << "specwatch: " << sanitize_line(w) << '\n';
    if (json)
        io.out << dump(Json{{"sources", imported->sources},
                            {"toml", imported->toml},
                            {"warnings", imported->warnings}});
    else
        io.out << imported->toml;
    return kExitOk;
}
#else
// `parse` and `import opml` run in specwatch-local: the same program, linked
// with the parsers and the config loader. Their libraries (libcurl with its TLS,
// LDAP, SSH and Kerberos libraries, libical with ICU, gumbo, libzip, pugixml,
// toml++, SQLite: 40 of the 48 shared objects the whole program maps) cost
// every other command ~20 M instructions of dynamic linking at start-up, most
// of a `specwatch search`. It is looked for beside this program (the build
// tree), then in ../libexec/specwatch (installed).
int run_locally(const Io& io, bool json, const std::vector<std::string>& args) {
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return fail(
            io, json,
            fmt::format("cannot find this program: /proc/self/exe: {}", std::strerror(errno)),
            kExitFailure);
    const std::filesystem::path dir = std::filesystem::path(std::string(self, n)).parent_path();
    std::string helper;
    for (const auto& candidate :
         {dir / "specwatch-local", dir / ".." / "libexec" / "specwatch" / "specwatch-local"})
        if (::access(candidate.c_str(), X_OK) == 0) {
            helper = candidate.string();
            break;
        }
    if (helper.empty())
        return fail(io, json,
                    fmt::format("cannot find specwatch-local in {} nor {}/../libexec/specwatch "
                                "(reinstall specwatch)",
                                dir.string(), dir.string()),
                    kExitFailure);
    std::vector<std::string> argv_storage{helper};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    io.out.flush();
    io.err.flush();
    ::execv(helper.c_str(), argv.data());
    return fail(io, json, fmt::format("cannot run {}: {}", helper, std::strerror(errno)),
                kExitFailure);
}
#endif

// CLI11 takes its argument vector reversed (it pops from the back).
std::vector<std::string> reversed(std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());
    return args;
}

std::size_t stdout_width() {
    if (!::isatty(STDOUT_FILENO)) return 0;
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return 0;
    return ws.ws_col;
}

}  // namespace

std::string wrap_paragraphs(std::string_view input, std::size_t width) {
    if (width == 0) width = kMaxWrap;
    const std::string clean = sanitize_text(input);
    std::string out;
    bool pending_blank = false;
    std::istringstream lines{clean};
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words{line};
        std::string word;
        std::string current;
        std::size_t current_width = 0;
        bool any = false;
        while (words >> word) {
            if (!any && pending_blank && !out.empty()) out += '\n';
            any = true;
            pending_blank = false;
            const std::size_t w = display_width(word);
            if (current_width > 0 && current_width + 1 + w > width) {
                out += current;
                out += '\n';
                current.clear();
                current_width = 0;
            }
            if (current_width > 0) {
                current += ' ';
                ++current_width;
            }
            current += word;
            current_width += w;
        }
        if (any) {
            out += current;
            out += '\n';
        } else {
            pending_blank = true;
        }
    }
    return out;
}

int run(const std::vector<std::string>& args, const Io& io) {
    CLI::App app{"Watch standards bodies' feeds: the control client of specwatchd.", "specwatch"};
    app.set_version_flag("--version", fmt::format("specwatch {}", kVersion));
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return fmt::format("specwatch: {}\nRun 'specwatch --help' for usage.\n",
                           sanitize_line(e.what()));
    });
    // Unknown words are collected and reported below as "unknown command".
    app.allow_extras();

    std::string socket = protocol::default_socket_path();
    bool json = false;
    app.add_option("--socket", socket,
                   "control socket of specwatchd (env SPECWATCH_SOCKET; default "
                   "/run/specwatch/control.sock)");
    app.add_flag("--json", json, "print the result as one JSON document");

    const auto command = [&](const char* name, const char* help) {
        CLI::App* sub = app.add_subcommand(name, help);
        // Global options work after the command too: `specwatch items --json`.
        sub->fallthrough();
        sub->allow_extras(false);
        return sub;
    };
    const auto limit_option = [](CLI::App* sub, int& limit) {
        return sub->add_option("--limit", limit, "at most N items")
            ->check(CLI::Range(1, kMaxLimit));
    };

    CLI::App* status = command("status", "daemon version, uptime, sources, items, alerts, mail");
    CLI::App* sources = command("sources", "every source with its last poll and result");

    CLI::App* items = command("items", "stored items, newest first");
    std::string items_source, items_body, items_since;
    int items_limit = 0;
    CLI::Option* items_source_opt = items->add_option("--source", items_source, "only this source");
    CLI::Option* items_body_opt = items->add_option("--body", items_body, "only this body");
    CLI::Option* items_since_opt = items->add_option(
        "--since", items_since, "only items since a duration ago (7d) or a date (2026-03-01)");
    CLI::Option* items_limit_opt = limit_option(items, items_limit);

    CLI::App* search = command("search", "full-text search (FTS5 syntax), best match first");
    std::vector<std::string> search_words;
    int search_limit = 0;
    search->add_option("QUERY", search_words, "the query; several words are joined")->required();
    CLI::Option* search_limit_opt = limit_option(search, search_limit);

    CLI::App* show = command("show", "one item in full");
    std::int64_t show_key = 0;
    show->add_option("ID", show_key, "the item's key (KEY in items and search)")
        ->required()
        ->check(CLI::Validator(
            [](const std::string& v) -> std::string {
                const bool digits =
                    !v.empty() && v.size() <= 18 &&
                    std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
                return digits ? std::string{}
                              : fmt::format(
                                    "'{}' is not an item key (the KEY column of "
                                    "items and search)",
                                    sanitize_line(v));
            },
            "KEY"));

    CLI::App* poll = command("poll", "poll now (every enabled source, or those named) and wait");
    std::vector<std::string> poll_sources;
    poll->add_option("SOURCE", poll_sources, "source names");

    CLI::App* reload = command("reload", "re-read the config (an invalid one is rejected)");

    CLI::App* rules = command("rules", "the configured rules, with their alert counts");
    CLI::App* rules_test = rules->add_subcommand(
        "test", "what a query (a rule's language) matches among stored items now, sending nothing");
    rules_test->fallthrough();
    std::vector<std::string> test_words;
    std::string test_since;
    int test_limit = 0;
    rules_test->add_option("QUERY", test_words, "the query; several words are joined")->required();
    CLI::Option* test_since_opt = rules_test->add_option(
        "--since", test_since, "only items first seen since a duration ago (7d) or a date");
    CLI::Option* test_limit_opt = limit_option(rules_test, test_limit);

    CLI::App* alerts = command("alerts", "fired alerts with their mail's delivery state");
    std::string alerts_rule, alerts_since;
    int alerts_limit = 0;
    CLI::Option* alerts_rule_opt = alerts->add_option("--rule", alerts_rule, "only this rule");
    CLI::Option* alerts_since_opt = alerts->add_option(
        "--since", alerts_since, "only alerts since a duration ago (7d) or a date (2026-03-01)");
    CLI::Option* alerts_limit_opt = limit_option(alerts, alerts_limit);
    CLI::App* meetings = command("meetings", "items with a start time, soonest first, by week");
    std::string meetings_from, meetings_to, meetings_body, meetings_group;
    int meetings_limit = 0;
    const char* const date_help = "a date: YYYY-MM-DD, 'today', or days from today (30d, -7d)";
    CLI::Option* meetings_from_opt = meetings->add_option(
        "--from", meetings_from,
        fmt::format("only meetings ending on or after {} (default today)", date_help));
    CLI::Option* meetings_to_opt = meetings->add_option(
        "--to", meetings_to, fmt::format("only meetings starting on or before {}", date_help));
    CLI::Option* meetings_body_opt =
        meetings->add_option("--body", meetings_body, "only this body");
    CLI::Option* meetings_group_opt =
        meetings->add_option("--group", meetings_group, "only this group (e.g. \"3GPP RAN1\")");
    CLI::Option* meetings_limit_opt = limit_option(meetings, meetings_limit);

    // `export ics` and `export opml`: one command, a format each.
    CLI::App* export_cmd =
        command("export", "the meetings (ics) or the sources (opml) in a standard format");
    export_cmd->require_subcommand(1);
    CLI::App* export_ics = export_cmd->add_subcommand(
        "ics", "the meetings as an iCalendar (RFC 5545) file, on standard output");
    export_ics->fallthrough();
    std::string ics_from, ics_to, ics_body, ics_group;
    CLI::Option* ics_from_opt = export_ics->add_option(
        "--from", ics_from,
        fmt::format("only meetings ending on or after {} (default: all)", date_help));
    CLI::Option* ics_to_opt = export_ics->add_option(
        "--to", ics_to, fmt::format("only meetings starting on or before {}", date_help));
    CLI::Option* ics_body_opt = export_ics->add_option("--body", ics_body, "only this body");
    CLI::Option* ics_group_opt = export_ics->add_option("--group", ics_group, "only this group");

    CLI::App* particip =
        command("participation", "contributions per organization, against the previous period");
    std::string part_body, part_group, part_since, part_query;
    int part_top = 0;
    CLI::Option* part_body_opt = particip->add_option("--body", part_body, "only this body");
    CLI::Option* part_group_opt = particip->add_option("--group", part_group, "only this group");
    CLI::Option* part_since_opt = particip->add_option(
        "--since", part_since, "the period: a duration back (1y, 90d) or a date (default 1y)");
    CLI::Option* part_query_opt =
        particip->add_option("--query", part_query, "only items matching this FTS5 query");
    CLI::Option* part_top_opt =
        particip->add_option("--top", part_top, "at most N organizations (default 20)")
            ->check(CLI::Range(1, kMaxLimit));
    CLI::App* metrics =
        command("metrics", "counters in the Prometheus text format (node_exporter textfile)");

    CLI::App* backup =
        command("backup", "write a consistent copy of the database while the daemon runs");
    std::string backup_path;
    bool backup_force = false;
    backup->add_option("PATH", backup_path, "the copy to write (a new file)")->required();
    backup->add_flag("--force", backup_force, "replace PATH if it exists");
    CLI::App* report =
        command("report",
                "activity per body and group: meetings, new items, hits per rule, against the "
                "previous period of the same length");
    std::string report_since, report_body;
    CLI::Option* report_since_opt =
        report->add_option("--since", report_since,
                           "the period: a duration back from now (90d, the default) or a date");
    CLI::Option* report_body_opt = report->add_option("--body", report_body, "only this body");

    CLI::App* export_opml =
        export_cmd->add_subcommand("opml", "the configured sources as OPML 2.0");
    export_opml->fallthrough();
    CLI::App* import_cmd = command("import", "a feed list as [[source]] TOML (locally, no daemon)");
    import_cmd->require_subcommand(1);
    CLI::App* import_opml = import_cmd->add_subcommand(
        "opml", "print an OPML feed list as [[source]] TOML, ready to paste into the config");
    import_opml->fallthrough();
    std::string import_file, import_body;
    import_opml->add_option("FILE", import_file, "the OPML file, or - for standard input")
        ->required();
    import_opml->add_option("--body", import_body,
                            "the body of feeds outside any folder (default: the feed's host)");

    CLI::App* parse_cmd =
        command("parse", "parse a saved document locally (no daemon) and print its items");
    ParseArgs pa;
    CLI::Option* format_opt =
        parse_cmd->add_option("--format", pa.format, "auto | rss | atom | ics | html | json | xlsx")
            ->check(CLI::IsMember({"auto", "rss", "atom", "ics", "html", "json", "xlsx"}));
    CLI::Option* base_opt =
        parse_cmd->add_option("--base", pa.base, "the document's URL, for relative links");
    CLI::Option* config_opt =
        parse_cmd->add_option("--config", pa.config, "a config file, with --source");
    CLI::Option* source_opt = parse_cmd->add_option(
        "--source", pa.source, "apply this source's format, rules and URL (needs --config)");
    config_opt->needs(source_opt);
    source_opt->needs(config_opt);
    parse_cmd->add_option("FILE", pa.file, "the document, or - for standard input")->required();

    try {
        app.parse(reversed(args));
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e, io.out, io.err);
        // --help and --version are successes; every other parse error is usage.
        return code == static_cast<int>(CLI::ExitCodes::Success) ? kExitOk : kExitUsage;
    }

    if (const auto extra = app.remaining(); !extra.empty()) {
        const bool has_command = !app.get_subcommands().empty();
        io.err << "specwatch: "
               << sanitize_line(has_command ? fmt::format("unexpected argument '{}'", extra.front())
                                            : fmt::format("unknown command '{}'", extra.front()))
               << "; try 'specwatch --help'\n";
        return kExitUsage;
    }
    if (app.get_subcommands().empty()) {
        io.err << "specwatch: a command is required\n" << app.help();
        return kExitUsage;
    }

    if (items_since_opt->count() > 0 &&
        !parse_since(items_since, std::chrono::system_clock::now())) {
        io.err << "specwatch: --since " << sanitize_line(items_since)
               << ": expected a duration (7d, 12h) or a date (2026-03-01)\n";
        return kExitUsage;
    }

    const auto daemon = [&](Json request, const HumanPrinter& print,
                            std::chrono::milliseconds timeout = kTimeout) {
        return call_daemon(io, json, socket, request, timeout, print);
    };

    if (status->parsed())
        return daemon({{"cmd", "status"}}, [](const Printer& p, const Json& r) { p.status(r); });
    if (sources->parsed())
        return daemon({{"cmd", "sources"}}, [](const Printer& p, const Json& r) { p.sources(r); });
    if (items->parsed()) {
        Json request{{"cmd", "items"}};
        if (items_source_opt->count() > 0) request["source"] = items_source;
        if (items_body_opt->count() > 0) request["body"] = items_body;
        if (items_since_opt->count() > 0) request["since"] = items_since;
        if (items_limit_opt->count() > 0) request["limit"] = items_limit;
        return daemon(request, [](const Printer& p, const Json& r) { p.items(r, false); });
    }
    if (search->parsed()) {
        std::string query;
        for (const auto& w : search_words) query += (query.empty() ? "" : " ") + w;
        Json request{{"cmd", "search"}, {"query", query}};
        if (search_limit_opt->count() > 0) request["limit"] = search_limit;
        return daemon(request, [](const Printer& p, const Json& r) { p.items(r, true); });
    }
    if (show->parsed())
        return daemon({{"cmd", "show"}, {"key", show_key}},
                      [](const Printer& p, const Json& r) { p.show(r); });
    for (const auto& [opt, value] :
         {std::pair{test_since_opt, &test_since}, std::pair{alerts_since_opt, &alerts_since}})
        if (opt->count() > 0 && !parse_since(*value, std::chrono::system_clock::now())) {
            io.err << "specwatch: --since " << sanitize_line(*value)
                   << ": expected a duration (7d, 12h) or a date (2026-03-01)\n";
            return kExitUsage;
        }
    if (rules_test->parsed()) {
        std::string query;
        for (const auto& w : test_words) query += (query.empty() ? "" : " ") + w;
        Json request{{"cmd", "rules"}, {"query", query}};
        if (test_since_opt->count() > 0) request["since"] = test_since;
        if (test_limit_opt->count() > 0) request["limit"] = test_limit;
        return daemon(request, [](const Printer& p, const Json& r) { p.items(r, true); });
    }
    if (rules->parsed())
        return daemon({{"cmd", "rules"}}, [](const Printer& p, const Json& r) { p.rules(r); });
    if (alerts->parsed()) {
        Json request{{"cmd", "alerts"}};
        if (alerts_rule_opt->count() > 0) request["rule"] = alerts_rule;
        if (alerts_since_opt->count() > 0) request["since"] = alerts_since;
        if (alerts_limit_opt->count() > 0) request["limit"] = alerts_limit;
        return daemon(request, [](const Printer& p, const Json& r) { p.alerts(r); });
    }
    if (poll->parsed())
        return daemon(
            {{"cmd", "poll"}, {"sources", poll_sources}},
            [](const Printer& p, const Json& r) { p.poll(r); }, kPollTimeout);
    if (reload->parsed())
        return daemon({{"cmd", "reload"}}, [](const Printer& p, const Json& r) { p.reload(r); });
    if (particip->parsed()) {
        Json request{{"cmd", "participation"}};
        if (part_body_opt->count() > 0) request["body"] = part_body;
        if (part_group_opt->count() > 0) request["group"] = part_group;
        if (part_since_opt->count() > 0) request["since"] = part_since;
        if (part_query_opt->count() > 0) request["query"] = part_query;
        if (part_top_opt->count() > 0) request["top"] = part_top;
        return daemon(request, [](const Printer& p, const Json& r) { p.participation(r); });
    }
    if (metrics->parsed())
        return daemon({{"cmd", "metrics"}}, [](const Printer& p, const Json& r) { p.metrics(r); });
    if (backup->parsed())
        return run_backup(io, json, socket, backup_path, backup_force,
                          [](const Printer& p, const Json& r) { p.backup(r); });
    for (const auto& [opt, value] :
         {std::pair{meetings_from_opt, &meetings_from}, std::pair{meetings_to_opt, &meetings_to},
          std::pair{ics_from_opt, &ics_from}, std::pair{ics_to_opt, &ics_to}})
        if (opt->count() > 0) {
            if (auto day = parse_meeting_date(*value, std::chrono::system_clock::now())) {
                // Sent as the day it means here, so "today" is the user's
                // today even when the daemon's clock differs.
                *value = *day;
            } else {
                io.err << "specwatch: " << opt->get_name() << ' '
                       << sanitize_line(day.error().message) << '\n';
                return kExitUsage;
            }
        }
    if (meetings->parsed()) {
        Json request{{"cmd", "meetings"}};
        if (meetings_from_opt->count() > 0) request["from"] = meetings_from;
        if (meetings_to_opt->count() > 0) request["to"] = meetings_to;
        if (meetings_body_opt->count() > 0) request["body"] = meetings_body;
        if (meetings_group_opt->count() > 0) request["group"] = meetings_group;
        if (meetings_limit_opt->count() > 0) request["limit"] = meetings_limit;
        return daemon(request, [](const Printer& p, const Json& r) {
            p.io.out << render_meetings(r, p.io.terminal_width);
        });
    }
    if (export_ics->parsed()) {
        Json request{{"cmd", "export_ics"}};
        if (ics_from_opt->count() > 0) request["from"] = ics_from;
        if (ics_to_opt->count() > 0) request["to"] = ics_to;
        if (ics_body_opt->count() > 0) request["body"] = ics_body;
        if (ics_group_opt->count() > 0) request["group"] = ics_group;
        // The calendar as libical wrote it (CRLF, folded): feed text in it is
        // escaped already, and a calendar program reads these bytes.
        return daemon(request, [](const Printer& p, const Json& r) {
            if (const Json& t = member(r, "text"); t.is_string()) p.io.out << t.get<std::string>();
        });
    }
    if (report->parsed()) {
        if (report_since_opt->count() > 0 &&
            !parse_since(report_since, std::chrono::system_clock::now())) {
            io.err << "specwatch: --since " << sanitize_line(report_since)
                   << ": expected a duration (90d, 12w) or a date (2026-03-01)\n";
            return kExitUsage;
        }
        Json request{{"cmd", "report"}};
        if (report_since_opt->count() > 0) request["since"] = report_since;
        if (report_body_opt->count() > 0) request["body"] = report_body;
        return daemon(request, [](const Printer& p, const Json& r) { p.report(r); });
    }
    if (export_opml->parsed())
        return daemon({{"cmd", "opml"}}, [](const Printer& p, const Json& r) { p.opml(r); });
#if SPECWATCH_CLI_LOCAL
    if (import_opml->parsed()) return run_import_opml(io, json, import_file, import_body);
    if (parse_cmd->parsed())
        return run_parse(io, json, pa, format_opt->count() > 0, base_opt->count() > 0);
#else
    (void)format_opt;  // read by specwatch-local's own parse of the same line
    (void)base_opt;
    if (import_opml->parsed() || parse_cmd->parsed()) return run_locally(io, json, args);
#endif

    io.err << "specwatch: internal error: a command was parsed but not handled\n";
    return kExitFailure;
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::istringstream no_input;
    return run(args, Io{no_input, out, err, 0});
}

int run(int argc, char** argv) {
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    const int code = run(args, Io{std::cin, std::cout, std::cerr, stdout_width()});
    std::cout.flush();
    if (!std::cout) {
        // A full disk or closed pipe must not pass for a clean run.
        std::cerr << "specwatch: cannot write to standard output: " << std::strerror(errno) << '\n';
        return code == kExitOk ? kExitFailure : code;
    }
    return code;
}

}  // namespace specwatch::cli
