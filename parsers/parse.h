#pragma once
// Parsers are pure (DESIGN.md invariant 3): bytes, the document URL and the
// source's rules in; items, or an error that says where, out. No I/O, no
// clock, no database. `specwatch parse`, the daemon and the fuzzers all call
// this one entry point.
#include "common/item.h"
#include "common/organizations.h"
#include "common/result.h"
#include "config/config.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace specwatch::parse {

struct Options {
    std::string format = "auto";  // auto | rss | atom | ics | html | json | xlsx
    std::string base_url;         // the document's URL: relative links resolve against it
    std::string content_type;     // the HTTP Content-Type, for its charset
    const config::Source* source = nullptr;  // html/json/xlsx rules, when the source has them
    // The organization table that normalizes items' organizations; unset: the
    // source's (the config's), else the built-in one.
    const OrgTable* organizations = nullptr;
    // The moment recurring calendar events are expanded around (30 days back,
    // 180 ahead). Unset: the system clock, read once per call.
    std::optional<std::chrono::sys_seconds> now;
};

[[nodiscard]] Result<Feed> parse(std::string_view bytes, const Options& options);

}  // namespace specwatch::parse
