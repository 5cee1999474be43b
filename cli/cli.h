#pragma once
// The `specwatch` command: parses the command line, sends one request to
// specwatchd over the control socket (protocol/) and prints the reply, as
// aligned tables or, with --json, the reply's result as one JSON document.
// `parse` is the exception: it runs the parsers locally, without the daemon.
#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace specwatch::cli {

// The process entry point (main.cpp): stdin/stdout/stderr, and stdout's width
// when it is a terminal.
[[nodiscard]] int run(int argc, char** argv);

// Where a run reads and writes; tests pass string streams.
struct Io {
    std::istream& in;                // `parse -`
    std::ostream& out;               // results
    std::ostream& err;               // messages
    std::size_t terminal_width = 0;  // stdout's columns; 0 when it is not a terminal
};

// `args` are the arguments after the program name. Returns the exit code of
// CONTRACT.md: 0 ok, 1 the daemon reported an error, 2 usage error, 3 the
// daemon cannot be reached.
[[nodiscard]] int run(const std::vector<std::string>& args, const Io& io);
[[nodiscard]] int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Sanitizes untrusted text (keeping its line breaks) and word-wraps each
// paragraph to `width` display columns; a word longer than that gets a line
// of its own. Runs of blank lines become one.
[[nodiscard]] std::string wrap_paragraphs(std::string_view text, std::size_t width);

}  // namespace specwatch::cli
