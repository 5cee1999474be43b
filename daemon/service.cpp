#include "daemon/service.h"

#include "daemon/poll_outcome.h"

#include "alerts/alerts.h"
#include "alerts/report.h"
#include "calendar/ics.h"

#include "common/log.h"
#include "common/meeting.h"
#include "common/text.h"
#include "common/units.h"
#include "common/version.h"
#include "config/opml.h"
#include "parsers/parse.h"
#include "storage/backup.h"
#include "systemd/notify.h"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include <fmt/format.h>

namespace specwatch::daemon {

namespace asio = boost::asio;
using protocol::Json;
using namespace std::chrono_literals;

namespace {

std::string iso_or_empty(std::int64_t t) {
    return t > 0 ? format_iso_utc(t) : std::string{};
}

Json iso_or_null(std::int64_t t) {
    return t > 0 ? Json(format_iso_utc(t)) : Json(nullptr);
}

Json stored_json(const storage::StoredItem& s) {
    Json j = protocol::item_to_json(s.item);
    j["key"] = s.key;
    j["source"] = s.source;
    j["body"] = s.body;
    j["group"] = s.group;
    j["first_seen"] = iso_or_empty(s.first_seen);
    j["last_seen"] = iso_or_empty(s.last_seen);
    if (!s.snippet.empty()) j["snippet"] = s.snippet;
    return j;
}

Json source_json(const storage::SourceState& s, bool polling) {
    std::string result;
    if (polling && s.last_poll == 0)
        result = "polling";
    else if (s.last_poll == 0)
        result = "never";
    else if (!s.last_error.empty())
        result = s.last_error;
    else if (s.last_status > 0)
        result = std::to_string(s.last_status);
    else
        result = "ok";
    return Json{{"name", s.name},
                {"body", s.body},
                {"group", s.group},
                {"url", s.url},
                {"format", s.format},
                {"enabled", s.enabled},
                {"last_poll", iso_or_null(s.last_poll)},
                {"last_success", iso_or_null(s.last_success)},
                {"status", s.last_status},
                {"error", s.last_error},
                {"result", result},
                {"failures", s.failures},
                {"items", s.items},
                {"next_poll", s.enabled ? iso_or_null(s.next_poll) : Json(nullptr)},
                {"feed_format", s.feed_format},
                {"polling", polling},
                {"gone", s.gone},
                {"moved_to", s.moved_to},
                {"failing_since", iso_or_null(s.failing_since)}};
}

// An error with its numbers taken out: "after 2001 ms" and "after 2003 ms"
// are the same failure, logged once, not once per retry.
std::string error_shape(std::string_view error) {
    std::string out;
    for (char c : error)
        if (c < '0' || c > '9') out += c;
    return out;
}

Json results_json(const std::vector<PollResult>& results) {
    Json out = Json::array();
    for (const auto& r : results)
        out.push_back(Json{{"source", r.source},
                           {"ok", r.ok},
                           {"status", r.status},
                           {"new", r.new_items},
                           {"changed", r.changed},
                           {"items", r.items},
                           {"error", r.error}});
    return out;
}

// Argument helpers: a mistyped argument is a usage error (exit 2) naming it.
struct BadArgument : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string opt_string(const Json& req, const char* key) {
    if (!req.contains(key) || req[key].is_null()) return {};
    if (!req[key].is_string()) throw BadArgument(fmt::format("'{}' must be a string", key));
    return req[key].get<std::string>();
}

int opt_limit(const Json& req, int fallback) {
    if (!req.contains("limit") || req["limit"].is_null()) return fallback;
    if (!req["limit"].is_number_integer() || req["limit"].get<long long>() < 1 ||
        req["limit"].get<long long>() > 10000)
        throw BadArgument("'limit' must be a number from 1 to 10000");
    return req["limit"].get<int>();
}

}  // namespace

Service::Service(asio::io_context& io, ConfigPtr config, const Clock& clock,
                 FetcherFactory make_fetcher)
    : io_(io),
      config_(std::move(config)),
      clock_(clock),
      make_fetcher_(std::move(make_fetcher)),
      started_(clock.now()),
      tick_(io),
      status_timer_(io),
      signals_(io) {
    if (!make_fetcher_)
        make_fetcher_ = [](asio::io_context& ctx, fetch::Limits limits) {
            return fetch::make_curl_fetcher(ctx, limits);
        };
}

Service::~Service() {
    if (fetcher_) fetcher_->cancel_all();
    if (mailer_) mailer_->stop();
    // Work already handed to the pools (a store in progress) is finished, so
    // what was fetched is committed, not half-written.
    parse_pool_.join();
    writer_pool_.join();
    reader_pool_.join();
}

void Service::open() {
    const std::string path = config::database_path(*config_);
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    auto w = storage::Store::open(path, clock_);
    if (!w) throw std::runtime_error(w.error().message);
    db_path_ = path;
    // A backup cut short by a crash leaves its temporary copy behind
    // (DB.backup-PID); one whose process is gone is removed.
    {
        const auto dir = parent.empty() ? std::filesystem::path(".") : parent;
        const auto prefix = std::filesystem::path(path).filename().string() + ".backup-";
        for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
            const auto name = e.path().filename().string();
            if (!name.starts_with(prefix)) continue;
            const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
            if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
                log::info("removing {} left by an interrupted backup", e.path().string());
                std::filesystem::remove(e.path(), ec);
            }
        }
    }
    writer_ = std::move(*w);
    if (auto r = writer_->sync_sources(config_->sources); !r)
        throw std::runtime_error(r.error().message);
    auto states = writer_->sources();
    if (!states) throw std::runtime_error(states.error().message);
    for (int i = 0; i < kReaders; ++i) {
        auto r = storage::Store::open(path, clock_);
        if (!r) throw std::runtime_error(r.error().message);
        readers_.push_back(std::move(*r));
        idle_readers_.push_back(readers_.back().get());
    }
    load_states(*states);
    mailer_ = std::make_unique<Mailer>(
        io_, writer_pool_, [this]() -> storage::Store& { return *writer_; }, clock_,
        [this] { return config_; });
    fetcher_ = make_fetcher_(
        io_, fetch::Limits{config_->daemon.max_parallel, config_->daemon.max_per_host});
    log::info("database {} (schema {}), {} sources, {} rules", path, writer_->schema_version(),
              config_->sources.size(), config_->rules.size());
}

void Service::load_states(const std::vector<storage::SourceState>& states) {
    std::map<std::string, Runtime> next;
    enabled_ = 0;
    for (const auto& s : states) {
        Runtime rt;
        rt.state = s;
        if (auto it = runtime_.find(s.name); it != runtime_.end()) rt.polling = it->second.polling;
        if (s.enabled) ++enabled_;
        next.emplace(s.name, std::move(rt));
    }
    runtime_ = std::move(next);
}

int Service::run() {
    std::unique_ptr<ControlServer> control = std::make_unique<ControlServer>(
        io_, [this](const Json& req, Reply reply) { handle(req, std::move(reply)); });
    if (auto fd = systemd::listen_fd())
        control->adopt(*fd);
    else
        control->listen(config::socket_path(*config_));
    control_ = std::move(control);
    watchdog_ = std::make_unique<systemd::Watchdog>(io_);
    watchdog_->start();

    wait_signals();
    schedule();
    // Mail queued before a restart, and digests due while the daemon was down.
    mailer_->start();
    systemd::notify("READY=1");
    log::notice("specwatchd {} started", kVersion);
    io_.run();
    log::notice("specwatchd stopped");
    return 0;
}

int Service::run_once(std::ostream& out) {
    wait_signals();
    std::vector<std::string> names;
    for (const auto& s : config_->sources)
        if (s.enabled) names.push_back(s.name);
    std::vector<PollResult> results;
    poll_sources(names, [&](std::vector<PollResult> r) {
        results = std::move(r);
        // Deliver what is due (this run's alerts, due digests, retries), then exit.
        if (stopping_) return;
        mailer_->run_once([this] { stop(); });
    });
    io_.run();

    int failed = 0, new_items = 0, changed = 0;
    for (const auto& r : results) {
        out << fmt::format("{:<24} {:<8} {:>5} new {:>5} changed{}\n", r.source,
                           r.ok ? (r.status ? std::to_string(r.status) : "ok") : "FAILED",
                           r.new_items, r.changed,
                           r.error.empty() ? "" : "  " + sanitize_line(r.error));
        failed += r.ok ? 0 : 1;
        new_items += r.new_items;
        changed += r.changed;
    }
    out << fmt::format("{} sources polled, {} failed; {} new items, {} changed\n", results.size(),
                       failed, new_items, changed);
    if (results.size() < names.size()) {
        out << "interrupted before every source was polled\n";
        return 1;
    }
    return failed ? 1 : 0;
}

void Service::wait_signals() {
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    signals_.async_wait([this](boost::system::error_code ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
            log::notice("SIGHUP: reloading {}", config_->path);
            reload([](const Json&) {});
            wait_signals();
            return;
        }
        log::notice("{}: stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
        stop();
    });
}

void Service::stop() {
    if (stopping_) return;
    stopping_ = true;
    systemd::notify("STOPPING=1");
    boost::system::error_code ec;
    signals_.cancel(ec);
    tick_.cancel();
    status_timer_.cancel();
    status_pending_ = false;
    if (control_) control_->stop();
    if (watchdog_) watchdog_->stop();
    if (mailer_) mailer_->stop();
    // Abort transfers still in flight: their sources simply poll again next
    // time. Documents already fetched are parsed and committed (the pools
    // hold work on the loop until their results are posted back).
    if (fetcher_) fetcher_->cancel_all();
    for (auto& [name, rt] : runtime_) rt.polling = rt.queued = false;
    in_flight_.clear();
    due_.clear();
    for (auto& w : waiters_) w->done(std::move(w->results));
    waiters_.clear();
}

void Service::schedule() {
    if (stopping_) return;
    const auto now = to_unix(clock_.now());
    std::int64_t next = 0;
    for (auto& [name, rt] : runtime_) {
        // A source waiting its turn in due_ is started by start_due.
        if (!rt.state.enabled || rt.polling || rt.queued) continue;
        if (rt.state.next_poll <= now) {
            start_poll(name);
            continue;
        }
        if (next == 0 || rt.state.next_poll < next) next = rt.state.next_poll;
    }
    update_status();
    // Re-check at least hourly, so a jump of the wall clock is noticed.
    const auto wait = next == 0 ? 3600 : std::clamp<std::int64_t>(next - now, 0, 3600);
    tick_at_ = now + wait;
    tick_.expires_after(std::chrono::seconds{wait});
    tick_.async_wait([this](boost::system::error_code ec) {
        if (!ec) schedule();
    });
}

void Service::update_status() {
    // Called as each poll finishes, so O(1) while polling: a scan of the
    // sources here made a round of N sources cost N² (docs/performance.md).
    if (!in_flight_.empty()) {
        // At most one a second: systemd reads every message, and a round of
        // 1,000 sources would send 1,000. The idle status goes out at once.
        const auto now = std::chrono::steady_clock::now();
        if (now - status_sent_ < std::chrono::seconds{1}) {
            if (!std::exchange(status_pending_, true)) {
                status_timer_.expires_at(status_sent_ + std::chrono::seconds{1});
                status_timer_.async_wait([this](boost::system::error_code ec) {
                    if (ec) return;  // cancelled, where the flag is cleared
                    status_pending_ = false;
                    if (!stopping_) update_status();
                });
            }
            return;
        }
        status_sent_ = now;
        systemd::notify(
            fmt::format("STATUS=polling {} of {} sources", in_flight_.size(), enabled_));
        return;
    }
    status_sent_ = {};
    status_timer_.cancel();
    status_pending_ = false;
    std::int64_t next = 0;
    for (const auto& [name, rt] : runtime_)
        if (rt.state.enabled && !rt.polling && (next == 0 || rt.state.next_poll < next))
            next = rt.state.next_poll;
    if (next > 0)
        systemd::notify(fmt::format(
            "STATUS=idle; next poll in {}",
            format_duration(Seconds{std::max<std::int64_t>(0, next - to_unix(clock_.now()))})));
    else
        systemd::notify("STATUS=idle; no enabled sources");
}

std::size_t Service::max_in_flight() const {
    return 2 * static_cast<std::size_t>(std::max(1, config_->daemon.max_parallel));
}

void Service::start_due() {
    while (!due_.empty() && in_flight_.size() < max_in_flight() && !stopping_) {
        std::string name = std::move(due_.front());
        due_.pop_front();
        if (auto it = runtime_.find(name); it != runtime_.end()) it->second.queued = false;
        start_poll(name);
    }
}

void Service::start_poll(const std::string& name) {
    auto it = runtime_.find(name);
    if (it == runtime_.end() || it->second.polling || stopping_) return;
    const config::Source* src = config_->find_source(name);
    if (!src) return;
    if (in_flight_.size() >= max_in_flight()) {
        if (!std::exchange(it->second.queued, true)) due_.push_back(name);
        return;
    }
    in_flight_.insert(name);
    it->second.polling = true;
    it->second.started = std::chrono::steady_clock::now();
    const auto& st = it->second.state;

    fetch::Request req;
    req.url = src->url;
    req.etag = st.etag;
    req.last_modified = st.last_modified;
    req.user_agent = config_->daemon.user_agent;
    req.proxy = config_->daemon.proxy;
    req.timeout = config_->daemon.timeout;
    req.max_body = config_->daemon.max_body;
    req.allow_file = src->url.rfind("file://", 0) == 0;
    req.allow_private = src->allow_private;
    log::debug("polling '{}' ({})", name, src->url);

    fetcher_->fetch(std::move(req), [this, cfg = config_, name, previous = st](fetch::Response r) {
        // Parse off the loop; the work guard keeps the loop alive until the
        // result is back, so --once and shutdown wait for the commit.
        asio::post(parse_pool_, [this, cfg, name, previous, r = std::move(r),
                                 work = asio::make_work_guard(io_)]() mutable {
            PollOutcome p = decide(*cfg, name, r, previous, clock_.now());
            auto shared = std::make_shared<Work>(std::move(work));
            continue_poll(cfg, std::move(p), 1, {r.effective_url}, shared);
        });
    });
}

void Service::continue_poll(ConfigPtr cfg, PollOutcome p, int pages,
                            std::vector<std::string> visited, std::shared_ptr<Work> work) {
    // A paged document (a JSON API's meta.next, JSON Feed's next_url): the
    // pages are fetched one after the other and stored as one poll. Bounded,
    // and a page seen before ends it, so a server cannot keep us paging.
    constexpr int kMaxPages = 20;
    const bool more = p.has_items && !p.next.empty() && pages < kMaxPages &&
                      std::find(visited.begin(), visited.end(), p.next) == visited.end();
    if (!more) {
        if (p.has_items && !p.next.empty())
            log::warning("source '{}': stopped paging after {} pages at {}", p.source, pages,
                         p.next);
        queue_store(std::move(cfg), std::move(p), std::move(work));
        return;
    }
    asio::post(io_, [this, cfg, outcome = std::move(p), pages, visited = std::move(visited),
                     work]() mutable {
        const config::Source* src = cfg->find_source(outcome.source);
        if (stopping_ || !src) return;
        fetch::Request req;
        req.url = outcome.next;
        req.user_agent = cfg->daemon.user_agent;
        req.proxy = cfg->daemon.proxy;
        req.timeout = cfg->daemon.timeout;
        req.max_body = cfg->daemon.max_body;
        req.allow_private = src->allow_private;
        visited.push_back(outcome.next);
        auto state = std::make_shared<PollOutcome>(std::move(outcome));
        fetcher_->fetch(
            std::move(req), [this, cfg, state, pages, visited, work](fetch::Response r) mutable {
                asio::post(parse_pool_, [this, cfg, state, pages, visited = std::move(visited),
                                         r = std::move(r), work]() mutable {
                    PollOutcome acc = std::move(*state);
                    const config::Source* source = cfg->find_source(acc.source);
                    acc.next.clear();
                    if (!r.error.empty() || (r.status != 200 && r.status != 0)) {
                        log::warning("source '{}': page {} ({}): {}", acc.source, pages + 1,
                                     r.effective_url,
                                     r.error.empty() ? fmt::format("HTTP {}", r.status) : r.error);
                    } else {
                        parse::Options opts;
                        opts.format = source ? source->format : "auto";
                        opts.base_url = r.effective_url;
                        opts.content_type = r.content_type;
                        opts.source = source;
                        opts.now = std::chrono::floor<std::chrono::seconds>(clock_.now());
                        if (auto feed = parse::parse(r.body, opts)) {
                            for (auto& item : feed->items) acc.items.push_back(std::move(item));
                            acc.next = feed->next;
                            acc.bytes += r.body.size();
                        } else {
                            log::warning("source '{}': page {}: {}", acc.source, pages + 1,
                                         feed.error().message);
                        }
                    }
                    continue_poll(cfg, std::move(acc), pages + 1, std::move(visited), work);
                });
            });
    });
}

// A poll whose items could not be stored (a full disk, a read-only or broken
// database) is tried again this soon, whatever the source's interval.
constexpr std::int64_t kStoreRetrySeconds = 600;

void Service::queue_store(ConfigPtr cfg, PollOutcome p, std::shared_ptr<Work> work) {
    bool post = false;
    {
        const std::lock_guard lock(store_mutex_);
        to_store_.push_back({std::move(cfg), std::move(p), std::move(work)});
        post = !std::exchange(store_posted_, true);
    }
    if (post) asio::post(writer_pool_, [this] { store_queued(); });
}

namespace {

// What the fetch and the parse said, before anything is stored.
PollResult result_of_fetch(const PollOutcome& p) {
    PollResult res;
    res.source = p.source;
    res.status = p.outcome.http_status;
    res.items = static_cast<int>(p.items.size());
    res.error = p.outcome.error;
    res.error_kind = to_string(p.error_kind);
    res.not_modified = p.outcome.not_modified;
    res.bytes = p.bytes;
    return res;
}

void add_stored(PollResult& res, const storage::StoreResult& stored) {
    res.new_items = stored.new_items;
    res.changed = stored.changed;
    res.alerts = stored.alerts;
    // New or moved meetings may be due for a reminder now: wake the mailer,
    // which checks reminders before reading the outbox.
    res.mail_queued = stored.alerts > 0 || stored.new_items > 0 || stored.changed > 0;
}

}  // namespace

storage::PollToStore Service::to_store(const ToStore& t, SysTime now) const {
    storage::PollToStore poll;
    poll.source = t.poll.source;
    poll.items = t.poll.has_items ? &t.poll.items : nullptr;
    poll.outcome = t.poll.outcome;
    // Rules are matched in the transaction that stores the items (DESIGN.md
    // invariant 1): an item, its alerts and their mail are committed
    // together or not at all.
    if (t.poll.has_items)
        poll.also = [cfg = t.cfg, source = t.poll.source, now](
                        storage::sql::StatementCache& sql,
                        storage::StoreResult& batch) -> Result<void> {
            auto n = alerts::match_batch(sql, *cfg, source, batch, now);
            if (!n) return n.error();
            batch.alerts = *n;
            return {};
        };
    return poll;
}

void Service::store_alone(const ToStore& t, PollResult& res, bool& store_failed, SysTime now) {
    const PollOutcome& p = t.poll;
    if (!p.has_items) {
        if (auto r = writer_->record_fetch(p.source, p.outcome); !r) {
            if (res.error.empty()) res.error = r.error().message;
            log::error("source '{}': cannot record the fetch: {}", p.source, r.error().message);
        }
        return;
    }
    const storage::PollToStore poll = to_store(t, now);
    auto stored = writer_->store_polls(std::span(&poll, 1));
    if (stored) {
        add_stored(res, stored->front());
        return;
    }
    res.error = fmt::format("cannot store: {}", stored.error().message);
    res.error_kind = "store";
    // Recorded as a failed fetch, the validators untouched, so the next poll
    // fetches the document again instead of a 304 that would lose its items.
    // On a full disk this may fail too: the state read after is then
    // corrected in memory.
    storage::FetchOutcome failed = p.outcome;
    failed.error = res.error;
    failed.next_poll = failed.when + kStoreRetrySeconds;
    if (failed.failing_since == 0) failed.failing_since = failed.when;
    store_failed = true;
    if (auto r = writer_->record_fetch(p.source, failed); !r)
        log::debug("source '{}': {}", p.source, r.error().message);
}

void Service::store_queued() {
    // Every poll that finished while the writer was busy, in one transaction
    // (docs/design.md, "The writer's batches"): one FTS5 segment and one
    // commit for all of them. No poll waits for others: a lone poll is
    // stored at once, a batch is whatever piled up (at most 2 x max_parallel,
    // the backpressure of start_due).
    std::vector<ToStore> batch;
    {
        const std::lock_guard lock(store_mutex_);
        batch.swap(to_store_);
        store_posted_ = false;
    }
    const SysTime now = clock_.now();
    std::vector<PollResult> results;
    results.reserve(batch.size());
    for (const auto& t : batch) results.push_back(result_of_fetch(t.poll));
    std::vector<char> store_failed(batch.size(), 0);

    bool together = false;
    if (batch.size() > 1) {
        std::vector<storage::PollToStore> polls;
        polls.reserve(batch.size());
        for (const auto& t : batch) polls.push_back(to_store(t, now));
        auto stored = writer_->store_polls(polls);
        if (stored) {
            together = true;
            for (std::size_t i = 0; i < batch.size(); ++i)
                if (batch[i].poll.has_items) add_stored(results[i], (*stored)[i]);
        } else {
            // Nothing of the batch was stored: each poll again on its own,
            // so one bad poll fails alone, with its own error.
            log::debug("storing {} polls together failed ({}); storing them one by one",
                       batch.size(), stored.error().message);
        }
    }
    if (!together)
        for (std::size_t i = 0; i < batch.size(); ++i) {
            bool failed = false;
            store_alone(batch[i], results[i], failed, now);
            store_failed[i] = failed;
        }
    for (auto& res : results) res.ok = res.error.empty();

    if (auto h = writer_->transaction([&](storage::sql::StatementCache& sql) -> Result<void> {
            for (std::size_t i = 0; i < batch.size(); ++i) {
                PollResult& res = results[i];
                auto queued = alerts::record_health(sql, *batch[i].cfg, res.source, res.ok,
                                                    res.error, clock_.now());
                if (!queued)
                    return make_error(
                        fmt::format("source '{}': {}", res.source, queued.error().message));
                res.mail_queued = res.mail_queued || *queued;
            }
            return {};
        });
        !h)
        log::error("source health: {}", h.error().message);

    for (std::size_t i = 0; i < batch.size(); ++i) {
        const PollOutcome& p = batch[i].poll;
        PollResult& res = results[i];
        std::optional<storage::SourceState> state;
        if (auto s = writer_->source(p.source); s && *s) state = std::move(**s);
        if (store_failed[i] && state && state->last_error != res.error) {
            // The failure could not be written: what status and sources show
            // must still say it.
            state->last_error = res.error;
            state->last_poll = p.outcome.when;
            state->failures += 1;
            state->next_poll = p.outcome.when + kStoreRetrySeconds;
            if (state->failing_since == 0) state->failing_since = p.outcome.when;
        }
        // Acknowledged (logged, counted, shown) only now, after the commit.
        asio::post(io_, [this, res = std::move(res), state = std::move(state),
                         work = std::move(batch[i].work)]() mutable {
            finish_poll(std::move(res), std::move(state));
        });
    }
}

void Service::finish_poll(PollResult result, std::optional<storage::SourceState> state) {
    auto it = runtime_.find(result.source);
    // How the source stood before this poll: a failure is logged when it
    // changes, not on every retry, and a recovery once.
    std::string before;
    int before_failures = 0;
    if (it != runtime_.end()) {
        before = it->second.state.last_error;
        before_failures = it->second.state.failures;
        if (it->second.polling)
            result.seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.started)
                    .count();
    }
    metrics_.record_poll(result.ok, result.not_modified, result.error_kind, result.bytes,
                         result.seconds, result.new_items, result.changed, result.alerts);
    in_flight_.erase(result.source);
    if (it != runtime_.end()) {
        it->second.polling = false;
        if (state) {
            if (state->enabled != it->second.state.enabled)
                enabled_ = state->enabled ? enabled_ + 1 : enabled_ - 1;
            it->second.state = std::move(*state);
        }
    }
    if (result.mail_queued && mailer_) mailer_->kick();
    if (!result.ok && before_failures > 0 && error_shape(before) == error_shape(result.error))
        log::debug("source '{}': still failing ({} in a row): {}", result.source,
                   before_failures + 1, result.error);
    else if (!result.ok)
        log::warning("source '{}': {}", result.source, result.error);
    else if (result.new_items || result.changed)
        log::info("source '{}': {} items, {} new, {} changed", result.source, result.items,
                  result.new_items, result.changed);
    else
        log::debug("source '{}': {} ({} items, nothing new)", result.source,
                   result.status == 304 ? "not modified" : "ok", result.items);
    if (result.ok && before_failures > 0)
        log::notice("source '{}': recovered after {} failed poll(s)", result.source,
                    before_failures);

    for (auto w = waiters_.begin(); w != waiters_.end();) {
        auto& waiter = **w;
        if (waiter.remaining.erase(result.source)) waiter.results.push_back(result);
        if (waiter.remaining.empty()) {
            auto done = std::move(waiter.done);
            auto results = std::move(waiter.results);
            w = waiters_.erase(w);
            done(std::move(results));
        } else {
            ++w;
        }
    }
    start_due();
    // Only this source's next poll changed: the sources need a new scan only
    // if it now comes before the timer (a scan per finished poll made a round
    // of N sources cost N²; docs/performance.md).
    // Looked up again: the waiters' callbacks above run code of any kind.
    const auto rt = runtime_.find(result.source);
    const bool sooner = rt != runtime_.end() && rt->second.state.enabled && !rt->second.polling &&
                        rt->second.state.next_poll < tick_at_;
    if (sooner)
        schedule();
    else if (!stopping_)
        update_status();
    if (!stopping_ && in_flight_.empty() && due_.empty()) release_idle_memory();
}

void Service::release_idle_memory() {
    // On the writer's thread, after every store queued before it, so the
    // writer's connection is not in use; readers busy with a query are left
    // alone (their memory goes back after the next poll).
    asio::post(writer_pool_, [this] {
        writer_->release_memory();
        {
            const std::lock_guard lock(readers_mutex_);
            for (storage::Store* r : idle_readers_) r->release_memory();
        }
        // A poll's documents and items were freed in several malloc arenas
        // (one per pool thread); free() keeps them mapped unless the top of
        // an arena is free. malloc_trim returns every whole free page of
        // every arena to the kernel (measured: idle RSS 171.6 MB -> see
        // docs/performance.md, "Idle footprint").
        ::malloc_trim(0);
    });
}

void Service::poll_sources(std::vector<std::string> names,
                           std::function<void(std::vector<PollResult>)> done) {
    auto waiter = std::make_shared<Waiter>();
    waiter->remaining.insert(names.begin(), names.end());
    waiter->done = std::move(done);
    if (waiter->remaining.empty()) {
        waiter->done({});
        return;
    }
    waiters_.push_back(waiter);
    for (const auto& name : names) start_poll(name);  // one already polling is awaited
    update_status();
}

void Service::reload(std::function<void(Json)> done) {
    if (reloading_) {
        done(protocol::error_reply("a reload is already in progress"));
        return;
    }
    reloading_ = true;
    systemd::notify(fmt::format("RELOADING=1\nMONOTONIC_USEC={}",
                                std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count()));
    // Reading the file is disk work: off the loop.
    asio::post(reader_pool_, [this, path = config_->path, done = std::move(done),
                              work = asio::make_work_guard(io_)]() mutable {
        auto loaded = config::load_file(path);
        asio::post(io_, [this, loaded = std::move(loaded), done = std::move(done),
                         work = std::move(work)]() mutable {
            if (!loaded) {
                Json problems = Json::array();
                for (const auto& p : loaded.error()) {
                    log::error("{}", p.to_string());
                    problems.push_back(p.to_string());
                }
                log::error("reload: {} has {} problem(s); keeping the running config",
                           config_->path, problems.size());
                reloading_ = false;
                systemd::notify("READY=1");
                Json reply = protocol::error_reply(
                    fmt::format("{} has {} problem(s); the running config is kept", config_->path,
                                problems.size()));
                reply["problems"] = std::move(problems);
                done(std::move(reply));
                return;
            }
            auto next = std::make_shared<const config::Config>(std::move(*loaded));
            if (config::database_path(*next) != config::database_path(*config_) ||
                config::socket_path(*next) != config::socket_path(*config_))
                log::warning("reload: a new database or socket path takes effect at restart");
            asio::post(writer_pool_, [this, next, done = std::move(done),
                                      work = std::move(work)]() mutable {
                Result<std::vector<storage::SourceState>> states = make_error("");
                if (auto r = writer_->sync_sources(next->sources); !r)
                    states = r.error();
                else
                    states = writer_->sources();
                asio::post(io_, [this, next, states = std::move(states), done = std::move(done),
                                 work = std::move(work)]() mutable {
                    reloading_ = false;
                    systemd::notify("READY=1");
                    if (!states) {
                        log::error("reload: {}", states.error().message);
                        done(protocol::error_reply(states.error().message));
                        return;
                    }
                    // The quiet point: polls in flight finish with the config
                    // they started with; everything new uses the new one.
                    config_ = next;
                    load_states(*states);
                    log::notice("reloaded {}: {} sources, {} rules", config_->path,
                                config_->sources.size(), config_->rules.size());
                    schedule();
                    // New digest rules or [mail] settings: a round re-arms the mailer.
                    if (mailer_) mailer_->kick();
                    done(protocol::ok_reply(Json{{"config", config_->path},
                                                 {"sources", config_->sources.size()},
                                                 {"rules", config_->rules.size()}}));
                });
            });
        });
    });
}

void Service::handle(const Json& request, Reply reply) {
    using Command = void (Service::*)(const Json&, Reply);
    static const std::unordered_map<std::string, Command> commands = {
        {"metrics", &Service::cmd_metrics},   {"status", &Service::cmd_status},
        {"sources", &Service::cmd_sources},   {"items", &Service::cmd_items},
        {"search", &Service::cmd_search},     {"show", &Service::cmd_show},
        {"poll", &Service::cmd_poll},         {"reload", &Service::cmd_reload},
        {"rules", &Service::cmd_rules},       {"alerts", &Service::cmd_alerts},
        {"meetings", &Service::cmd_meetings}, {"export_ics", &Service::cmd_export_ics},
        {"backup", &Service::cmd_backup},     {"report", &Service::cmd_report},
        {"opml", &Service::cmd_opml},         {"participation", &Service::cmd_participation},
    };
    const std::string cmd = request.value("cmd", "");
    if (cmd == "help") {
        // The table is the list: a new command cannot be left out of it.
        std::vector<std::string> names{"help"};
        for (const auto& entry : commands) names.push_back(entry.first);
        std::sort(names.begin(), names.end());
        reply(protocol::ok_reply(Json{{"commands", names}}));
        return;
    }
    const auto it = commands.find(cmd);
    if (it == commands.end()) {
        reply(protocol::error_reply(fmt::format("unknown command '{}'; try 'help'", cmd),
                                    protocol::Exit::usage));
        return;
    }
    try {
        // A copy: a command that rejects its arguments throws before replying,
        // and the reply must still be callable here.
        (this->*(it->second))(request, reply);
    } catch (const BadArgument& e) {
        reply(protocol::error_reply(fmt::format("{}: {}", cmd, e.what()), protocol::Exit::usage));
    }
}

namespace {

// Copies the finished backup file into the descriptor the client passed.
Result<void> copy_into(const std::string& from, int fd) {
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return make_error(fmt::format("cannot read {}: {}", from, std::strerror(errno)));
    std::vector<char> buf(1 << 20);
    Result<void> out;
    for (;;) {
        const ssize_t n = ::read(in, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            out = make_error(fmt::format("cannot read {}: {}", from, std::strerror(errno)));
            break;
        }
        if (n == 0) break;
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = ::write(fd, buf.data() + done, static_cast<std::size_t>(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                ::close(in);
                return make_error(
                    fmt::format("cannot write the backup file: {}", std::strerror(errno)));
            }
            done += w;
        }
    }
    ::close(in);
    return out;
}

}  // namespace

void Service::cmd_backup(const Json& req, Reply reply) {
    // "_fd" is set by the control server only: the file the client opened
    // and passed with the request (SCM_RIGHTS).
    const auto it = req.find("_fd");
    if (it == req.end() || !it->is_number_integer())
        throw BadArgument(
            "the file to write is passed with the request; run 'specwatch backup PATH'");
    const int fd = it->get<int>();
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        throw BadArgument("the descriptor passed is not a regular file");
    if (backing_up_) {
        reply(protocol::error_reply("a backup is already running; try again when it is done"));
        return;
    }
    backing_up_ = true;
    const std::string temp = fmt::format("{}.backup-{}", db_path_, ::getpid());
    log::info("backup: copying {}", db_path_);
    asio::post(backup_pool_, [this, fd, temp, reply = std::move(reply),
                              work = asio::make_work_guard(io_)]() mutable {
        const auto began = std::chrono::steady_clock::now();
        Json out;
        auto stats = storage::backup_database(db_path_, temp);
        if (!stats) {
            out = protocol::error_reply(stats.error().message);
        } else if (auto c = copy_into(temp, fd); !c) {
            out = protocol::error_reply(c.error().message);
        } else {
            const std::chrono::duration<double> took = std::chrono::steady_clock::now() - began;
            out = protocol::ok_reply(Json{{"items", stats->items},
                                          {"pages", stats->pages},
                                          {"bytes", stats->bytes},
                                          {"seconds", std::round(took.count() * 100) / 100}});
        }
        std::error_code ec;
        std::filesystem::remove(temp, ec);
        asio::post(io_, [this, reply = std::move(reply), out = std::move(out)]() mutable {
            backing_up_ = false;
            if (out.value("ok", false))
                log::notice("backup: {} items, {} bytes",
                            out["result"]["items"].get<std::int64_t>(),
                            out["result"]["bytes"].get<std::int64_t>());
            else
                log::error("backup: {}", out.value("error", ""));
            reply(std::move(out));
        });
    });
}

template <class F>
void Service::query(Reply reply, F f, Lane lane) {
    auto run = [this, reply = std::move(reply), f = std::move(f),
                work = asio::make_work_guard(io_)](storage::Store& db) mutable {
        Json out;
        try {
            out = f(db);
        } catch (const std::exception& e) {
            out = protocol::error_reply(e.what());
        }
        asio::post(io_, [reply = std::move(reply), out = std::move(out),
                         work = std::move(work)]() mutable { reply(std::move(out)); });
    };
    auto shared = std::make_shared<decltype(run)>(std::move(run));
    {
        const std::lock_guard lock(readers_mutex_);
        (lane == Lane::quick ? quick_queries_ : heavy_queries_)
            .emplace_back([shared](storage::Store& db) { (*shared)(db); });
    }
    // One turn of a reader thread per query; the turn takes whichever query
    // is first in line, quick ones before heavy ones.
    asio::post(reader_pool_, [this] { run_next_query(); });
}

void Service::run_next_query() {
    // Queries yield to the poll: each reader thread lowers its own priority
    // once (nice is per thread on Linux), so a storm of clients slows the
    // answers, not the poll that must not miss an item.
    static thread_local const bool yielding =
        setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kReaderNice) == 0;
    (void)yielding;
    std::function<void(storage::Store&)> job;
    storage::Store* db = nullptr;
    {
        const std::lock_guard lock(readers_mutex_);
        auto& line = quick_queries_.empty() ? heavy_queries_ : quick_queries_;
        job = std::move(line.front());
        line.pop_front();
        // As many connections as pool threads: one is always idle here.
        db = idle_readers_.back();
        idle_readers_.pop_back();
    }
    job(*db);
    const std::lock_guard lock(readers_mutex_);
    idle_readers_.push_back(db);
}

void Service::cmd_status(const Json&, Reply reply) {
    std::size_t polling = 0;
    std::int64_t next = 0;
    // Source health at a glance: what fails, since when, and what is gone.
    Json failing = Json::array();
    std::size_t gone = 0;
    for (const auto& [name, rt] : runtime_) {
        if (rt.state.enabled && rt.state.gone) ++gone;
        if (rt.state.enabled && rt.state.failures > 0)
            failing.push_back(Json{{"name", name},
                                   {"error", rt.state.last_error},
                                   {"failures", rt.state.failures},
                                   {"failing_since", iso_or_null(rt.state.failing_since)},
                                   {"gone", rt.state.gone},
                                   {"next_poll", iso_or_null(rt.state.next_poll)}});
    }
    for (const auto& [name, rt] : runtime_) {
        if (rt.polling) ++polling;
        if (rt.state.enabled && !rt.polling && (next == 0 || rt.state.next_poll < next))
            next = rt.state.next_poll;
    }
    Json base{{"version", kVersion},
              {"started", format_iso_utc(started_)},
              {"uptime", std::chrono::duration_cast<Seconds>(clock_.now() - started_).count()},
              {"config", config_->path},
              {"next_poll", iso_or_null(next)}};
    base["failing"] = std::move(failing);
    query(
        std::move(reply),
        [base = std::move(base), polling, gone](storage::Store& db) mutable {
            auto c = db.counts();
            if (!c) return protocol::error_reply(c.error().message);
            base["items"] = c->items;
            auto m = alerts::mail_counts(db.statements());
            if (!m) return protocol::error_reply(m.error().message);
            base["alerts"] = m->alerts;
            base["mail"] = Json{{"queued", m->queued},
                                {"sent", m->sent},
                                {"failed", m->failed},
                                {"expired", m->expired}};
            base["sources"] = Json{{"total", c->sources},
                                   {"ok", c->sources_ok},
                                   {"failing", c->sources_failing},
                                   {"polling", polling},
                                   {"gone", gone}};
            return protocol::ok_reply(std::move(base));
        },
        Lane::quick);
}

void Service::cmd_sources(const Json&, Reply reply) {
    std::set<std::string> polling;
    // The loop's view of each source's last poll: the same as the database's,
    // except when the database could not record it (a full disk).
    std::map<std::string, storage::SourceState> latest;
    for (const auto& [name, rt] : runtime_) {
        if (rt.polling) polling.insert(name);
        latest.emplace(name, rt.state);
    }
    query(
        std::move(reply),
        [polling = std::move(polling), latest = std::move(latest)](storage::Store& db) {
            auto sources = db.sources();
            if (!sources) return protocol::error_reply(sources.error().message);
            Json out = Json::array();
            for (auto s : *sources) {
                if (auto it = latest.find(s.name);
                    it != latest.end() && it->second.last_poll >= s.last_poll) {
                    const auto& m = it->second;
                    s.last_poll = m.last_poll;
                    s.last_success = m.last_success;
                    s.last_status = m.last_status;
                    s.last_error = m.last_error;
                    s.failures = m.failures;
                    s.next_poll = m.next_poll;
                    s.failing_since = m.failing_since;
                }
                out.push_back(source_json(s, polling.count(s.name) > 0));
            }
            return protocol::ok_reply(std::move(out));
        },
        Lane::quick);
}

void Service::cmd_items(const Json& req, Reply reply) {
    storage::ItemFilter filter;
    filter.source = opt_string(req, "source");
    filter.body = opt_string(req, "body");
    filter.limit = opt_limit(req, 50);
    if (const auto since = opt_string(req, "since"); !since.empty()) {
        auto t = parse_since(since, clock_.now());
        if (!t) throw BadArgument(t.error().message);
        filter.since = to_unix(*t);
    }
    query(
        std::move(reply),
        [filter](storage::Store& db) {
            auto items = db.items(filter);
            if (!items) return protocol::error_reply(items.error().message);
            Json out = Json::array();
            for (const auto& s : *items) out.push_back(stored_json(s));
            return protocol::ok_reply(std::move(out));
        },
        Lane::quick);
}

void Service::cmd_search(const Json& req, Reply reply) {
    const std::string q = opt_string(req, "query");
    if (q.empty()) throw BadArgument("a query is required, e.g. 5G OR \"IMT-2030\"");
    const int limit = opt_limit(req, 20);
    query(std::move(reply), [q, limit](storage::Store& db) {
        auto items = db.search(q, limit);
        if (!items) return protocol::error_reply(items.error().message, protocol::Exit::usage);
        Json out = Json::array();
        for (const auto& s : *items) out.push_back(stored_json(s));
        return protocol::ok_reply(std::move(out));
    });
}

void Service::cmd_show(const Json& req, Reply reply) {
    if (!req.contains("key") || !req["key"].is_number_integer())
        throw BadArgument("'key' must be an item's number (see 'items' or 'search')");
    const auto key = req["key"].get<std::int64_t>();
    query(
        std::move(reply),
        [key](storage::Store& db) {
            auto item = db.item(key);
            if (!item) return protocol::error_reply(item.error().message);
            if (!*item) return protocol::error_reply(fmt::format("no item with key {}", key));
            return protocol::ok_reply(stored_json(**item));
        },
        Lane::quick);
}

void Service::cmd_poll(const Json& req, Reply reply) {
    std::vector<std::string> names;
    if (req.contains("sources") && !req["sources"].is_null()) {
        if (!req["sources"].is_array()) throw BadArgument("'sources' must be an array of names");
        for (const auto& n : req["sources"]) {
            if (!n.is_string()) throw BadArgument("'sources' must be an array of names");
            const auto name = n.get<std::string>();
            if (!config_->find_source(name))
                throw BadArgument(fmt::format("no source named '{}' in {}", name, config_->path));
            names.push_back(name);
        }
    }
    if (names.empty())
        for (const auto& s : config_->sources)
            if (s.enabled) names.push_back(s.name);
    if (stopping_) {
        reply(protocol::error_reply("specwatchd is stopping"));
        return;
    }
    poll_sources(std::move(names), [reply = std::move(reply)](std::vector<PollResult> results) {
        int failed = 0;
        for (const auto& r : results) failed += r.ok ? 0 : 1;
        Json out = protocol::ok_reply(Json{
            {"polled", results.size()}, {"failed", failed}, {"results", results_json(results)}});
        if (failed) out["exit"] = static_cast<int>(protocol::Exit::failure);
        reply(std::move(out));
    });
}

void Service::cmd_reload(const Json&, Reply reply) {
    reload(std::move(reply));
}

namespace {

std::optional<std::int64_t> opt_since(const Json& req, SysTime now) {
    const auto since = opt_string(req, "since");
    if (since.empty()) return std::nullopt;
    auto t = parse_since(since, now);
    if (!t) throw BadArgument(t.error().message);
    return to_unix(*t);
}

}  // namespace

void Service::cmd_rules(const Json& req, Reply reply) {
    const auto since = opt_since(req, clock_.now());
    if (const std::string q = opt_string(req, "query"); !q.empty()) {
        // `rules test`: what the query matches among stored items now; the
        // same language and index as the rules (DESIGN.md invariant 5).
        const int limit = opt_limit(req, 50);
        query(std::move(reply), [q, since, limit](storage::Store& db) {
            auto items = alerts::test_query(db, q, since, limit);
            if (!items) return protocol::error_reply(items.error().message, protocol::Exit::usage);
            Json out = Json::array();
            for (const auto& s : *items) out.push_back(stored_json(s));
            return protocol::ok_reply(std::move(out));
        });
        return;
    }
    query(std::move(reply), [cfg = config_](storage::Store& db) {
        Json out = Json::array();
        for (const auto& r : cfg->rules) {
            auto c = alerts::rule_count(db.statements(), r.name);
            if (!c) return protocol::error_reply(c.error().message);
            Json on = Json::array();
            if (r.on_new) on.push_back("new");
            if (r.on_changed) on.push_back("changed");
            out.push_back(Json{{"name", r.name},
                               {"query", r.query},
                               {"bodies", r.bodies},
                               {"organizations", r.organizations},
                               {"sources", r.sources},
                               {"on", on},
                               {"to", r.to},
                               {"delivery", r.to.empty()                             ? "none"
                                            : r.delivery == config::Delivery::digest ? "digest"
                                                                                     : "immediate"},
                               {"digest_at", fmt::format("{:02}:{:02}", r.digest_minute / 60,
                                                         r.digest_minute % 60)},
                               {"alerts", c->alerts},
                               {"last_alert", iso_or_null(c->last)}});
        }
        return protocol::ok_reply(std::move(out));
    });
}

void Service::cmd_alerts(const Json& req, Reply reply) {
    const std::string rule = opt_string(req, "rule");
    if (!rule.empty() && std::none_of(config_->rules.begin(), config_->rules.end(),
                                      [&](const config::Rule& r) { return r.name == rule; }))
        log::debug("alerts: '{}' is not a configured rule (listing its history)", rule);
    const auto since = opt_since(req, clock_.now());
    const int limit = opt_limit(req, 50);
    query(std::move(reply), [rule, since, limit](storage::Store& db) {
        auto rows = alerts::list_alerts(db.statements(), rule, since, limit);
        if (!rows) return protocol::error_reply(rows.error().message);
        Json out = Json::array();
        for (const auto& a : *rows) {
            // The alert's delivery state: its message's, or why it has none.
            std::string mail = a.mail_state;
            if (a.state == "pending") mail = "digest";
            if (a.state == "nomail") mail = "not mailed";
            if (a.state == "duplicate")
                mail = "duplicate" + (mail.empty() ? "" : " (" + mail + ")");
            out.push_back(Json{{"id", a.id},
                               {"rule", a.rule},
                               {"key", a.item_key},
                               {"change", a.change},
                               {"when", iso_or_null(a.created)},
                               {"title", a.title},
                               {"source", a.source},
                               {"link", a.link},
                               {"state", a.state},
                               {"mail", mail},
                               {"attempts", a.attempts},
                               {"error", a.mail_error},
                               {"message_id", a.message_id}});
        }
        return protocol::ok_reply(std::move(out));
    });
}

void Service::cmd_participation(const Json& req, Reply reply) {
    storage::ParticipationQuery q;
    q.body = opt_string(req, "body");
    q.group = opt_string(req, "group");
    q.query = opt_string(req, "query");
    int top = 20;
    if (req.contains("top") && !req["top"].is_null()) {
        if (!req["top"].is_number_integer() || req["top"].get<long long>() < 1 ||
            req["top"].get<long long>() > 10000)
            throw BadArgument("'top' must be a number from 1 to 10000");
        top = req["top"].get<int>();
    }
    // "1y" is a year of 365 days; other durations and dates as everywhere.
    std::string since = opt_string(req, "since");
    if (since.empty()) since = "1y";
    if (since.size() >= 2 && since.back() == 'y' &&
        std::all_of(since.begin(), since.end() - 1, [](char c) { return c >= '0' && c <= '9'; }) &&
        since.size() <= 4)
        since = std::to_string(std::stoi(since.substr(0, since.size() - 1)) * 365) + "d";
    const SysTime now = clock_.now();
    auto from = parse_since(since, now);
    if (!from) throw BadArgument(from.error().message);
    q.from = to_unix(*from);
    q.to = to_unix(now);
    if (q.from >= q.to) throw BadArgument("'since' must lie in the past");
    const std::int64_t length = q.to - q.from;
    query(std::move(reply), [q, top, length, orgs = config_->organizations](storage::Store& db) {
        auto p = db.participation(q, *orgs);
        if (!p) {
            const bool bad_query = p.error().message.find("invalid query") != std::string::npos;
            return protocol::error_reply(
                p.error().message, bad_query ? protocol::Exit::usage : protocol::Exit::failure);
        }
        auto rows = [](const std::vector<storage::OrgCount>& v, std::size_t n, bool org) {
            Json out = Json::array();
            for (std::size_t i = 0; i < v.size() && i < n; ++i) {
                Json row{{org ? "name" : "country", v[i].name},
                         {"count", v[i].count},
                         {"previous", v[i].previous},
                         {"change", v[i].count - v[i].previous}};
                if (org) row["country"] = v[i].country.empty() ? Json() : Json(v[i].country);
                out.push_back(std::move(row));
            }
            return out;
        };
        std::int64_t active = 0;
        for (const auto& o : p->organizations) active += o.count > 0 ? 1 : 0;
        return protocol::ok_reply(
            Json{{"from", format_iso_utc(q.from)},
                 {"to", format_iso_utc(q.to)},
                 {"previous_from", format_iso_utc(q.from - length)},
                 {"body", q.body},
                 {"group", q.group},
                 {"query", q.query},
                 {"items", p->items},
                 {"previous_items", p->previous_items},
                 {"organizations_total", active},
                 {"organizations", rows(p->organizations, static_cast<std::size_t>(top), true)},
                 {"countries", rows(p->countries, p->countries.size(), false)}});
    });
}

void Service::cmd_metrics(const Json&, Reply reply) {
    Gauges g;
    g.uptime = std::chrono::duration_cast<Seconds>(clock_.now() - started_).count();
    for (const auto& [name, rt] : runtime_) {
        if (rt.polling) ++g.sources_polling;
        if (rt.state.enabled && rt.state.gone) ++g.sources_gone;
    }
    query(
        std::move(reply),
        [m = metrics_, g](storage::Store& db) mutable {
            auto c = db.counts();
            if (!c) return protocol::error_reply(c.error().message);
            g.sources = c->sources;
            g.sources_ok = c->sources_ok;
            g.sources_failing = c->sources_failing;
            g.items = c->items;
            if (auto mail = alerts::mail_counts(db.statements())) {
                g.mail_known = true;
                g.mail_queued = mail->queued;
                g.mail_sent = mail->sent;
                g.mail_failed = mail->failed;
                g.mail_expired = mail->expired;
            }
            return protocol::ok_reply(Json{{"text", render_metrics(m, g, kVersion)}});
        },
        Lane::quick);
}

// ---- meetings and their calendar ----

namespace {

// A DATE argument of meetings / export_ics (common/meeting.h), as a UTC day.
std::string opt_day(const Json& req, const char* key, SysTime now) {
    const std::string text = opt_string(req, key);
    if (text.empty()) return {};
    auto day = parse_meeting_date(text, now);
    if (!day) throw BadArgument(fmt::format("'{}': {}", key, day.error().message));
    return *day;
}

}  // namespace

void Service::cmd_meetings(const Json& req, Reply reply) {
    storage::MeetingFilter filter;
    // From today by default: what is coming, and what is on now.
    filter.from = opt_day(req, "from", clock_.now());
    if (filter.from.empty()) filter.from = *parse_meeting_date("today", clock_.now());
    filter.to = opt_day(req, "to", clock_.now());
    filter.body = opt_string(req, "body");
    filter.group = opt_string(req, "group");
    filter.limit = opt_limit(req, 100);
    query(std::move(reply), [filter](storage::Store& db) {
        auto meetings = db.meetings(filter);
        if (!meetings) return protocol::error_reply(meetings.error().message);
        Json out = Json::array();
        for (const auto& m : *meetings) {
            Json j = stored_json(m);
            j["status"] = is_cancelled(m.item) ? "cancelled" : "scheduled";
            out.push_back(std::move(j));
        }
        return protocol::ok_reply(std::move(out));
    });
}

void Service::cmd_export_ics(const Json& req, Reply reply) {
    storage::MeetingFilter filter;
    // Everything stored by default: a subscribed calendar keeps its history.
    filter.from = opt_day(req, "from", clock_.now());
    filter.to = opt_day(req, "to", clock_.now());
    filter.body = opt_string(req, "body");
    filter.group = opt_string(req, "group");
    // The store's ceiling on one listing (storage/store.cpp kMaxLimit).
    filter.limit = 10000;
    query(std::move(reply), [filter](storage::Store& db) {
        auto meetings = db.meetings(filter);
        if (!meetings) return protocol::error_reply(meetings.error().message);
        std::vector<calendar::Meeting> events;
        events.reserve(meetings->size());
        for (auto& m : *meetings)
            events.push_back(calendar::Meeting{m.source, m.body, m.group, std::move(m.item),
                                               m.last_changed > 0 ? m.last_changed : m.first_seen});
        const auto written = std::count_if(events.begin(), events.end(), [](const auto& e) {
            return calendar::exportable(e.item);
        });
        return protocol::ok_reply(
            Json{{"format", "icalendar"}, {"events", written}, {"text", calendar::to_ics(events)}});
    });
}

// Activity per body and group in a period (default the last 90 days) against
// the period of the same length before it; on the reading connection, with
// the configured rules' own matching.
void Service::cmd_report(const Json& req, Reply reply) {
    const SysTime now = clock_.now();
    std::string since = opt_string(req, "since");
    if (since.empty()) since = "90d";
    auto from = parse_since(since, now);
    if (!from) throw BadArgument(from.error().message);
    if (*from >= now) throw BadArgument(fmt::format("'since' {} is not in the past", since));
    const std::string body = opt_string(req, "body");
    query(std::move(reply), [cfg = config_, from = *from, now, body](storage::Store& db) {
        auto r = alerts::activity_report(db.statements(), *cfg, from, now, body);
        if (!r) return protocol::error_reply(r.error().message);
        return protocol::ok_reply(alerts::report_to_json(*r));
    });
}

// The configured sources as OPML 2.0 (`specwatch export opml`).
void Service::cmd_opml(const Json&, Reply reply) {
    reply(protocol::ok_reply(
        Json{{"sources", config_->sources.size()},
             {"opml", config::sources_to_opml(config_->sources, clock_.now())}}));
}

}  // namespace specwatch::daemon
