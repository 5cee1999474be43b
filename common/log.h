#pragma once
// Logging to stderr. Under journald (JOURNAL_STREAM set) every line starts
// with its syslog priority, "<3>" … "<7>", so `journalctl -p err` works.
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace specwatch::log {

enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

// Reads JOURNAL_STREAM once; call at start-up (tests may call it again).
void init();
void set_max_level(Level level);
void write(Level level, std::string_view message);

template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::warning, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void notice(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::notice, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace specwatch::log
