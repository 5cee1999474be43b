#include "common/log.h"

#include "common/text.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace specwatch::log {

namespace {
std::atomic<bool> journal{false};
std::atomic<int> max_level{static_cast<int>(Level::info)};
std::mutex write_mutex;  // one line at a time from the loop and the workers
}  // namespace

void init() {
    journal = std::getenv("JOURNAL_STREAM") != nullptr;
    if (const char* v = std::getenv("SPECWATCH_DEBUG"); v && *v && std::string_view{v} != "0")
        max_level = static_cast<int>(Level::debug);
}

void set_max_level(Level level) {
    max_level = static_cast<int>(level);
}

void write(Level level, std::string_view message) {
    if (static_cast<int>(level) > max_level) return;
    // Messages quote servers and feeds: never let them forge a second log line
    // or send escape sequences to a terminal.
    std::string line = journal ? fmt::format("<{}>", static_cast<int>(level)) : std::string{};
    line += sanitize_line(message);
    line += '\n';
    std::lock_guard lock{write_mutex};
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace specwatch::log
