#pragma once
// Time is injected (DESIGN.md invariant 7): scheduling, backoff and "since"
// read a Clock so tests can move it instead of sleeping.
#include "common/result.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace specwatch {

using SysTime = std::chrono::system_clock::time_point;

class Clock {
  public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual SysTime now() const = 0;
};

class SystemClock final : public Clock {
  public:
    [[nodiscard]] SysTime now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when a test moves it.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(SysTime t) : t_(t) {}
    [[nodiscard]] SysTime now() const override { return t_; }
    void advance(std::chrono::seconds d) { t_ += d; }
    void set(SysTime t) { t_ = t; }

  private:
    SysTime t_;
};

[[nodiscard]] std::int64_t to_unix(SysTime t);
[[nodiscard]] SysTime from_unix(std::int64_t s);

// "2026-03-16T09:00:00Z"
[[nodiscard]] std::string format_iso_utc(SysTime t);
[[nodiscard]] std::string format_iso_utc(std::int64_t unix_seconds);

// Reads "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][.fff](Z|±HH:MM)" (a date-time
// without offset is UTC). Used for CLI arguments, not for feed dates.
[[nodiscard]] Result<SysTime> parse_iso(std::string_view text);

// A CLI "since" value: a duration back from `now` ("7d") or a date.
[[nodiscard]] Result<SysTime> parse_since(std::string_view text, SysTime now);

}  // namespace specwatch
