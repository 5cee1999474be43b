#pragma once
// What a fetch means for a source: the policy that turns an HTTP response into
// items to store, an error to show, and the time of the next poll. Pure: the
// response, the source, its previous state and the time in; the outcome out.
//
// The policy (issue 4):
//   200 with a feed, 304   next poll after the interval (+ jitter); failures,
//                          failing_since and `gone` reset.
//   200 that is no feed    a parse error; the stored items stay; backoff.
//   404                    an error, polled at the normal pace for a day
//                          (kNotFoundGrace: a site being rebuilt), then daily.
//   410                    the source is marked gone and polled daily.
//   429, 503               not before the server's Retry-After (at most
//                          kMaxRetryAfter); without one, like other 5xx.
//   other 4xx and 5xx,     exponential backoff: the interval, then twice
//   network errors,        that, four times… up to kMaxBackoff, with jitter.
//   refused addresses
//   a 301/308 chain        its target is kept in `moved_to` to show the user.
#include "common/clock.h"
#include "common/item.h"
#include "config/config.h"
#include "fetchers/fetcher.h"
#include "storage/store.h"

#include <cstdint>
#include <string>
#include <vector>

namespace specwatch::daemon {

// Why a poll failed, for metrics ("" when it did not).
enum class ErrorKind { none, network, refused, http_4xx, http_5xx, parse };
[[nodiscard]] const char* to_string(ErrorKind kind);

struct PollOutcome {
    std::string next;  // the next page of a paged document, to fetch and add
    std::string source;
    std::vector<Item> items;
    storage::FetchOutcome outcome;
    bool has_items = false;  // a parsed document (even an empty one) to store
    ErrorKind error_kind = ErrorKind::none;
    std::uint64_t bytes = 0;  // of the decoded body, for metrics
};

// The longest wait after failures: a broken source is still seen once a day.
inline constexpr Seconds kMaxBackoff{24 * 3600};
// A 404 is often a site being rebuilt: the normal pace this long, then daily.
inline constexpr Seconds kNotFoundGrace{24 * 3600};
// A gone (410) or long-missing (404) source is polled this often.
inline constexpr Seconds kSlowPoll{24 * 3600};
// A Retry-After beyond this is not honoured as such: a hostile or broken
// server must not silence a source for months.
inline constexpr Seconds kMaxRetryAfter{7 * 24 * 3600};

// Parses a successful response and decides the next poll. `previous` is the
// source's state before this fetch (failures in a row, for backoff).
[[nodiscard]] PollOutcome decide(const config::Config& config, const std::string& name,
                                 const fetch::Response& response,
                                 const storage::SourceState& previous, SysTime now);

// A source polled every hour should not hit its server on the same second as
// a hundred others started with it: up to a tenth of the interval, at most
// five minutes.
[[nodiscard]] Seconds jitter(Seconds interval);

// After a failure, wait the interval, then twice that, four times… up to a
// day (or the interval, when that is longer): a broken server is not
// hammered, and a fixed one is seen again soon.
[[nodiscard]] Seconds backoff(Seconds interval, int failures);

// The text shown for an HTTP status that is an error ("HTTP 503 Service
// Unavailable").
[[nodiscard]] std::string status_text(int status);

}  // namespace specwatch::daemon
