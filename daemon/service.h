#pragma once
// The daemon: one Boost.Asio loop that owns the I/O (DESIGN.md invariant 4) —
// the scheduler's timer, the fetches, signals and the control socket — with
// parsing and SQLite work handed to small worker pools whose results are
// posted back to the loop.
#include "common/clock.h"
#include "config/config.h"
#include "daemon/control_server.h"
#include "daemon/mailer.h"
#include "daemon/metrics.h"
#include "daemon/poll_outcome.h"
#include "fetchers/fetcher.h"
#include "storage/store.h"
#include "systemd/notify.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace specwatch::daemon {

using ConfigPtr = std::shared_ptr<const config::Config>;

// What one poll of one source came to.
struct PollResult {
    std::string source;
    bool ok = false;
    bool not_modified = false;  // 304
    std::string error_kind;     // poll_outcome.h ErrorKind; "" when ok
    std::uint64_t bytes = 0;    // of the decoded body
    double seconds = 0;         // fetch start to commit
    int status = 0;
    int new_items = 0;
    int changed = 0;
    int items = 0;  // items in the document
    std::string error;
    int alerts = 0;            // alerts recorded in the poll's transaction
    bool mail_queued = false;  // an alert or health message entered the outbox
};

using FetcherFactory =
    std::function<std::unique_ptr<fetch::Fetcher>(boost::asio::io_context&, fetch::Limits)>;

class Service {
  public:
    Service(boost::asio::io_context& io, ConfigPtr config, const Clock& clock,
            FetcherFactory make_fetcher = {});
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    // Opens and migrates the database and brings its sources in line with
    // the config. Throws with a clear message when that is impossible.
    void open();

    // Service mode: listens on the control socket, polls on schedule, answers
    // until SIGTERM/SIGINT. Returns the process exit code.
    int run();

    // --once: polls every enabled source once, prints a summary, returns 0, or
    // 1 when a source failed.
    int run_once(std::ostream& out);

    // The control protocol's entry point (also used by tests directly).
    void handle(const protocol::Json& request, Reply reply);

    // Asks the loop to stop (what SIGTERM does).
    void stop();

  private:
    struct Runtime {
        storage::SourceState state;
        bool polling = false;
        bool queued = false;  // in due_, waiting for a place among the polls in flight
        std::chrono::steady_clock::time_point started;  // of the poll in progress
    };
    struct Waiter {
        std::set<std::string> remaining;
        std::vector<PollResult> results;
        std::function<void(std::vector<PollResult>)> done;
    };

    void load_states(const std::vector<storage::SourceState>& states);
    void schedule();
    void start_poll(const std::string& name);
    using Work = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    void continue_poll(ConfigPtr cfg, PollOutcome p, int pages, std::vector<std::string> visited,
                       std::shared_ptr<Work> work);
    // The single writer stores parsed polls in batches: queue_store hands a
    // poll over, store_queued (on the writer's thread) stores every poll
    // queued since it last ran, in one transaction when there are several.
    struct ToStore {
        ConfigPtr cfg;
        PollOutcome poll;
        std::shared_ptr<Work> work;
    };
    void queue_store(ConfigPtr cfg, PollOutcome p, std::shared_ptr<Work> work);
    void store_queued();
    void store_alone(const ToStore& t, PollResult& res, bool& store_failed, SysTime now);
    storage::PollToStore to_store(const ToStore& t, SysTime now) const;
    void finish_poll(PollResult result, std::optional<storage::SourceState> state);
    void poll_sources(std::vector<std::string> names,
                      std::function<void(std::vector<PollResult>)> done);
    void reload(std::function<void(protocol::Json)> done);
    void wait_signals();
    void update_status();
    // When no source is polling any more: the memory the poll used goes back
    // to the system (SQLite's page caches, the allocator's free pages).
    void release_idle_memory();

    // A query on a reader connection. Quick ones (status, sources, show,
    // items, metrics: index lookups) go ahead of queued searches and reports,
    // so `specwatch status` answers at once while a storm of searches waits.
    enum class Lane { quick, heavy };
    template <class F>
    void query(Reply reply, F f, Lane lane = Lane::heavy);
    void run_next_query();

    void cmd_status(const protocol::Json& request, Reply reply);
    void cmd_metrics(const protocol::Json& request, Reply reply);
    void cmd_sources(const protocol::Json& request, Reply reply);
    void cmd_items(const protocol::Json& request, Reply reply);
    void cmd_search(const protocol::Json& request, Reply reply);
    void cmd_show(const protocol::Json& request, Reply reply);
    void cmd_poll(const protocol::Json& request, Reply reply);
    void cmd_reload(const protocol::Json& request, Reply reply);
    void cmd_rules(const protocol::Json& request, Reply reply);
    void cmd_alerts(const protocol::Json& request, Reply reply);
    void cmd_backup(const protocol::Json& request, Reply reply);
    void cmd_meetings(const protocol::Json& request, Reply reply);
    void cmd_export_ics(const protocol::Json& request, Reply reply);
    void cmd_report(const protocol::Json& request, Reply reply);
    void cmd_opml(const protocol::Json& request, Reply reply);
    void cmd_participation(const protocol::Json& request, Reply reply);

    boost::asio::io_context& io_;
    ConfigPtr config_;
    const Clock& clock_;
    FetcherFactory make_fetcher_;
    SysTime started_;

    // Parsing can take a while on a large document: two threads, off the loop.
    boost::asio::thread_pool parse_pool_{2};
    // The only writer (DESIGN.md invariant 6): one thread, one connection.
    boost::asio::thread_pool writer_pool_{1};
    // Queries from the CLI: their own connections, so a long write never
    // blocks a read (WAL), and two at once, so one slow search does not hold
    // up every other client. Each query borrows an idle connection.
    static constexpr int kReaders = 2;
    // How much less CPU a busy reader gets than the poll's threads (nice).
    static constexpr int kReaderNice = 10;
    boost::asio::thread_pool reader_pool_{kReaders};
    std::unique_ptr<storage::Store> writer_;
    std::vector<std::unique_ptr<storage::Store>> readers_;
    std::mutex readers_mutex_;  // guards the three below
    std::vector<storage::Store*> idle_readers_;
    std::deque<std::function<void(storage::Store&)>> quick_queries_;
    std::deque<std::function<void(storage::Store&)>> heavy_queries_;
    // The outbox's delivery (daemon/mailer.h); after the pools in
    // declaration order, so it is destroyed first.
    std::unique_ptr<Mailer> mailer_;
    // `backup`: its own thread and connection, so a long copy holds up
    // neither the queries nor the writer. After the path it reads.
    std::string db_path_;
    bool backing_up_ = false;
    boost::asio::thread_pool backup_pool_{1};

    std::unique_ptr<fetch::Fetcher> fetcher_;
    std::map<std::string, Runtime> runtime_;
    // Backpressure: at most 2 x max_parallel polls between their start and
    // their commit, so documents fetched faster than the single writer
    // stores them do not pile up in memory. The rest wait their turn here,
    // in the order they became due.
    std::set<std::string> in_flight_;
    std::deque<std::string> due_;
    std::mutex store_mutex_;  // guards the two below
    std::vector<ToStore> to_store_;
    bool store_posted_ = false;  // a store_queued is on its way to the writer
    std::size_t max_in_flight() const;
    void start_due();
    std::vector<std::shared_ptr<Waiter>> waiters_;
    boost::asio::steady_timer tick_;
    // When tick_ fires (unix seconds), as schedule() last set it: every source
    // not polling then was due no earlier, so a finished poll needs a new
    // scan of the sources only if its next poll comes before. INT64_MIN while
    // nothing is scheduled (--once): a finished poll then starts nothing.
    std::int64_t tick_at_ = std::numeric_limits<std::int64_t>::min();
    std::size_t enabled_ = 0;                            // sources enabled, counted by load_states
    std::chrono::steady_clock::time_point status_sent_;  // the last "polling" STATUS=
    // Sends the count held back by the one-a-second limit, so STATUS= is
    // never left stale while polls are slow to finish.
    boost::asio::steady_timer status_timer_;
    bool status_pending_ = false;
    boost::asio::signal_set signals_;
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<systemd::Watchdog> watchdog_;
    bool stopping_ = false;
    bool reloading_ = false;
    Metrics metrics_;  // since start, for `metrics`
};

}  // namespace specwatch::daemon
