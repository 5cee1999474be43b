#pragma once
// Rules, alerts and the outbox, on the writing Store's connection. Every
// function that writes runs inside a transaction its caller holds: matching
// inside store_poll's (DESIGN.md invariant 1), the rest inside
// Store::transaction.
#include "common/clock.h"
#include "common/result.h"
#include "config/config.h"
#include "storage/store.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace specwatch::alerts {

using storage::sql::StatementCache;

// ---- matching (inside store_poll's transaction) ----

// Matches the batch's new and changed items against every rule, records each
// (rule, item, change) once, and queues one immediate message per rule. A
// source's first successful poll alerts nothing unless first_poll = "alert".
// Returns the number of alerts recorded (duplicates through a second source
// not counted).
[[nodiscard]] Result<int> match_batch(StatementCache& st, const config::Config& cfg,
                                      const std::string& source, const storage::StoreResult& batch,
                                      SysTime now);

// Which of `keys` the rule's FTS5 query matches, with a snippet each: the one
// place a rule meets the index (new items, changes, reminders and `report`).
[[nodiscard]] Result<std::vector<std::pair<std::int64_t, std::string>>> match_keys(
    StatementCache& st, const config::Rule& rule, const std::vector<std::int64_t>& keys);

// Every stored item the rule's FTS5 query matches, without snippets: one pass
// over the index, for questions about many items at once (`report`). Looking
// keys up one by one (match_keys) costs about 0.1 ms a key: 5 s for 50,000,
// where this takes milliseconds.
[[nodiscard]] Result<std::vector<std::int64_t>> match_all(StatementCache& st,
                                                          const config::Rule& rule);

// Whether an item of `source` (of `body`, contributed by `organizations`)
// passes the rule's sources, bodies and organizations filters.
[[nodiscard]] bool rule_filters_accept(const config::Rule& rule, const std::string& source,
                                       const std::string& body,
                                       const std::vector<std::string>& organizations);

// The link two sources share for one document: scheme and "www." dropped,
// host lower-cased, default port, fragment, tracking parameters and a trailing
// slash removed. Empty for an empty link.
[[nodiscard]] std::string normalize_link(std::string_view link);

// ---- the outbox ----

enum class SendStatus { sent, temporary, permanent };

struct SendResult {
    SendStatus status = SendStatus::temporary;
    int code = 0;  // the server's last reply code (SMTP), or an exit status
    std::string detail;
};

struct Outgoing {
    std::int64_t id = 0;
    std::string message_id;
    std::string sender;  // envelope: the bare address
    std::vector<std::string> recipients;
    std::string data;  // the whole message, CRLF line ends
    int attempts = 0;
    std::int64_t created = 0, expires = 0;
};

// The wait before attempt n + 1 after n failed ones: 1 min doubling to 1 h,
// like an MTA's queue.
[[nodiscard]] std::chrono::seconds backoff(int failed_attempts);

[[nodiscard]] Result<std::vector<Outgoing>> due_messages(StatementCache& st, SysTime now,
                                                         int limit);
// The earliest next attempt of a queued message, if any.
[[nodiscard]] Result<std::optional<std::int64_t>> next_attempt(StatementCache& st);
// Records one attempt: sent; failed at once (5xx); or retried with backoff,
// expired once retry_for has run out. Writes: inside a transaction.
[[nodiscard]] Result<void> record_attempt(StatementCache& st, const Outgoing& m,
                                          const SendResult& r, SysTime now);

struct MailCounts {
    std::int64_t alerts = 0, queued = 0, sent = 0, failed = 0, expired = 0;
};
[[nodiscard]] Result<MailCounts> mail_counts(StatementCache& st);

// ---- digests ----

// The first digest slot after `last`: the day's `minute` (after local
// midnight) in the local time zone, correct across DST changes.
[[nodiscard]] SysTime next_digest_slot(SysTime last, int minute);
// Queues each digest whose slot has come (one message per rule, however many
// slots passed while the daemon was down) and returns how many were queued.
// Writes: inside a transaction.
[[nodiscard]] Result<int> run_digests(StatementCache& st, const config::Config& cfg, SysTime now);
// When the next digest falls due (none without digest rules).
[[nodiscard]] Result<std::optional<SysTime>> next_digest_due(StatementCache& st,
                                                             const config::Config& cfg,
                                                             SysTime now);

// ---- meeting reminders ----

// For each rule with remind_before: the stored meetings it matches (the
// rule's query, bodies, sources and organizations, whatever its `on` and
// `delivery`) whose start is still ahead and whose reminder time (start minus
// an offset) has come, each reminded once per (rule, item, offset, start):
// one message per rule listing them, queued with the reminder rows. A meeting
// that moves gets a new reminder. When several of a meeting's reminder times
// have passed unsent (it was first seen late, or the daemon was down) only the
// nearest one is sent, once. An all-day start is midnight UTC; meetings of
// disabled sources are left out. Returns how many messages were queued.
// Writes: inside a transaction.
[[nodiscard]] Result<int> run_reminders(StatementCache& st, const config::Config& cfg, SysTime now);
// When the next reminder falls due, looking a day past each rule's longest
// offset (the mailer re-checks at least hourly anyway).
[[nodiscard]] Result<std::optional<SysTime>> next_reminder_due(StatementCache& st,
                                                               const config::Config& cfg,
                                                               SysTime now);

// ---- source health ----

// After each poll: a source failing for longer than [mail] health_after is
// reported once to health_to, and again when it recovers. Writes: inside a
// transaction. Returns true when a message was queued.
[[nodiscard]] Result<bool> record_health(StatementCache& st, const config::Config& cfg,
                                         const std::string& source, bool ok,
                                         const std::string& error, SysTime now);

// ---- listings for the CLI ----

struct AlertRow {
    std::int64_t id = 0;
    std::string rule;
    std::int64_t item_key = 0;
    int change = 0;
    std::int64_t created = 0;
    std::string state;  // pending (digest) | mailed | duplicate | nomail
    std::string title, source, link;
    std::string mail_state, mail_error, message_id;
    int attempts = 0;
};

[[nodiscard]] Result<std::vector<AlertRow>> list_alerts(StatementCache& st, const std::string& rule,
                                                        std::optional<std::int64_t> since,
                                                        int limit);

struct RuleCount {
    std::int64_t alerts = 0;
    std::int64_t last = 0;  // unix seconds of the last alert
};
[[nodiscard]] Result<RuleCount> rule_count(StatementCache& st, const std::string& rule);

// What a query would match now (`rules test`): stored items first seen since
// `since`, best match first, with snippets.
[[nodiscard]] Result<std::vector<storage::StoredItem>> test_query(storage::Store& db,
                                                                  const std::string& query,
                                                                  std::optional<std::int64_t> since,
                                                                  int limit);

}  // namespace specwatch::alerts
