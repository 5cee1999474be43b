#include "daemon/mailer.h"

#include "common/log.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace specwatch::daemon {

namespace asio = boost::asio;

namespace {

// Messages sent per round: a round then records its results and starts the
// next, so a long queue makes steady progress and shutdown is not held up.
constexpr int kPerRound = 20;
// The timer re-checks at least hourly, so a jump of the wall clock (which the
// outbox's times are in) is noticed.
constexpr std::chrono::seconds kMaxWait{3600};

struct Attempt {
    alerts::Outgoing message;
    alerts::SendResult result;
};

}  // namespace

Mailer::Mailer(asio::io_context& io, asio::thread_pool& writer, StoreSource store,
               const Clock& clock, ConfigSource config, TransportFactory transports)
    : io_(io),
      writer_(writer),
      store_(std::move(store)),
      clock_(clock),
      config_(std::move(config)),
      transports_(std::move(transports)),
      timer_(io) {
    if (!transports_)
        transports_ = [](const config::MailSettings& m) { return alerts::make_transport(m); };
}

Mailer::~Mailer() {
    *stopped_ = true;
    mail_thread_.join();
}

void Mailer::stop() {
    *stopped_ = true;
    timer_.cancel();
}

void Mailer::kick() {
    if (*stopped_) return;
    if (busy_) {
        again_ = true;
        return;
    }
    round([] {});
}

void Mailer::start() {
    flush_ = true;
    kick();
}

void Mailer::run_once(std::function<void()> done) {
    if (busy_) {
        // The round under way may have read the outbox before this caller's
        // mail was queued: one more round after it.
        after_ = std::move(done);
        return;
    }
    round(std::move(done));
}

void Mailer::arm(std::optional<SysTime> at) {
    if (*stopped_ || !at) return;
    const auto wait =
        std::clamp(std::chrono::duration_cast<std::chrono::seconds>(*at - clock_.now()),
                   std::chrono::seconds{0}, kMaxWait);
    timer_.expires_after(wait);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) kick();
    });
}

void Mailer::round(std::function<void()> done) {
    busy_ = true;
    again_ = false;
    const bool flush = std::exchange(flush_, false);
    auto cfg = config_();
    // 1. On the writer: queue due digests and reminders, read the due messages.
    asio::post(writer_, [this, cfg, flush, done = std::move(done),
                         work = asio::make_work_guard(io_)]() mutable {
        auto& db = store_();
        const SysTime now = clock_.now();
        std::vector<alerts::Outgoing> due;
        if (auto r = db.transaction([&](alerts::StatementCache& st) -> Result<void> {
                auto d = alerts::run_digests(st, *cfg, now);
                if (!d) return d.error();
                if (*d) log::info("queued {} digest(s)", *d);
                return {};
            });
            !r)
            log::error("digests: {}", r.error().message);
        // Meeting reminders whose time has come, queued with their rows.
        if (auto r = db.transaction([&](alerts::StatementCache& st) -> Result<void> {
                auto n = alerts::run_reminders(st, *cfg, now);
                if (!n) return n.error();
                if (*n) log::info("queued {} reminder(s)", *n);
                return {};
            });
            !r)
            log::error("reminders: {}", r.error().message);
        if (cfg->mail.transport != config::Transport::none) {
            auto d = alerts::due_messages(db.statements(), flush ? SysTime::max() : now, kPerRound);
            if (d)
                due = std::move(*d);
            else
                log::error("outbox: {}", d.error().message);
        }
        // 2. On the mail thread: one message after another.
        asio::post(mail_thread_, [this, cfg, due = std::move(due), done = std::move(done),
                                  work = std::move(work), stopped = stopped_]() mutable {
            std::vector<Attempt> attempts;
            if (!due.empty()) {
                std::unique_ptr<alerts::Transport> transport = transports_(cfg->mail);
                for (auto& m : due) {
                    if (*stopped || !transport) break;
                    alerts::SendResult result = transport->send(m);
                    attempts.push_back(Attempt{std::move(m), std::move(result)});
                }
            }
            // 3. On the writer: record each attempt, find the next due time.
            asio::post(writer_, [this, cfg, attempts = std::move(attempts), done = std::move(done),
                                 work = std::move(work)]() mutable {
                auto& store = store_();
                const SysTime done_at = clock_.now();
                bool more = false;
                for (const auto& a : attempts) {
                    const auto& m = a.message;
                    switch (a.result.status) {
                        case alerts::SendStatus::sent:
                            log::info("mail {} sent to {} recipient(s)", m.message_id,
                                      m.recipients.size());
                            break;
                        case alerts::SendStatus::permanent:
                            log::error("mail {} failed: {}", m.message_id, a.result.detail);
                            break;
                        case alerts::SendStatus::temporary:
                            log::warning("mail {} not sent (attempt {}), will retry: {}",
                                         m.message_id, m.attempts + 1, a.result.detail);
                            break;
                    }
                    if (auto r = store.transaction([&](alerts::StatementCache& st) {
                            return alerts::record_attempt(st, m, a.result, done_at);
                        });
                        !r)
                        log::error("outbox: cannot record the attempt for {}: {}", m.message_id,
                                   r.error().message);
                }
                more = static_cast<int>(attempts.size()) >= kPerRound;
                std::optional<SysTime> next;
                if (cfg->mail.transport != config::Transport::none)
                    if (auto n = alerts::next_attempt(store.statements()); n && *n)
                        next = from_unix(**n);
                if (auto d = alerts::next_digest_due(store.statements(), *cfg, done_at); d && *d)
                    if (!next || **d < *next) next = **d;
                if (auto d = alerts::next_reminder_due(store.statements(), *cfg, done_at); d && *d)
                    if (!next || **d < *next) next = **d;
                if (more) next = done_at;
                // 4. Back on the loop: wait for the next due time.
                asio::post(io_,
                           [this, next, done = std::move(done), work = std::move(work)]() mutable {
                               busy_ = false;
                               arm(next);
                               done();
                               if (after_)
                                   round(std::exchange(after_, nullptr));
                               else if (again_)
                                   kick();
                           });
            });
        });
    });
}

}  // namespace specwatch::daemon
