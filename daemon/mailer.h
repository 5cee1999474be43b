#pragma once
// The outbox's delivery loop. The loop owns the timer; reading and updating
// the outbox happens on the writer thread (the only writing connection), and
// each send() on a mail thread of its own, so neither the loop nor the
// writer ever waits for a mail server (DESIGN.md invariant 4). libcurl's easy
// interface on that thread is Transmission's honest fallback of STYLE.md
// point 7: one message at a time is all an alert queue needs.
#include "alerts/alerts.h"
#include "alerts/transport.h"
#include "common/clock.h"
#include "config/config.h"
#include "storage/store.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <functional>
#include <memory>

namespace specwatch::daemon {

class Mailer {
  public:
    using TransportFactory =
        std::function<std::unique_ptr<alerts::Transport>(const config::MailSettings&)>;
    using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;

    using StoreSource = std::function<storage::Store&()>;
    // `writer` is the daemon's writer thread; `store` gives its Store (used
    // on that thread only).
    Mailer(boost::asio::io_context& io, boost::asio::thread_pool& writer, StoreSource store,
           const Clock& clock, ConfigSource config, TransportFactory transports = {});
    ~Mailer();

    // Runs a delivery round now (new mail was queued, or at start); rounds
    // then follow the earliest next attempt, the next digest and the next
    // meeting reminder.
    void kick();
    // The first round after a start sends every queued message, due or not,
    // like an MTA's queue run at boot: the server may be back by now.
    void start();
    // One round, then `done` on the loop (--once: deliver what is due, exit).
    void run_once(std::function<void()> done);
    void stop();

  private:
    void round(std::function<void()> done);
    void arm(std::optional<SysTime> at);

    boost::asio::io_context& io_;
    boost::asio::thread_pool& writer_;
    StoreSource store_;
    const Clock& clock_;
    ConfigSource config_;
    TransportFactory transports_;
    boost::asio::thread_pool mail_thread_{1};
    boost::asio::steady_timer timer_;
    bool busy_ = false;
    bool again_ = false;
    bool flush_ = false;
    std::function<void()> after_;  // run_once's callback, waiting for the round under way
    std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace specwatch::daemon
