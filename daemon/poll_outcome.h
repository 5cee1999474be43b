#pragma once
// What a fetch means for a source: the policy that turns an HTTP response into
// items to store, an error to show, and the time of the next poll. Pure: the
// response, the source, its previous state and the time in; the outcome out.
#include "common/clock.h"
#include "common/item.h"
#include "config/config.h"
#include "fetchers/fetcher.h"
#include "storage/store.h"

#include <string>
#include <vector>

namespace specwatch::daemon {

struct PollOutcome {
    std::string source;
    std::vector<Item> items;
    storage::FetchOutcome outcome;
    bool has_items = false;  // a parsed document (even an empty one) to store
};

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
// day: a broken server is not hammered, and a fixed one is seen again soon.
[[nodiscard]] Seconds backoff(Seconds interval, int failures);

}  // namespace specwatch::daemon
