#pragma once
// The control protocol (CONTRACT.md, docs/protocol.md): newline-delimited JSON
// over a Unix stream socket, one request object per line, one response object
// per line. This one library is compiled into both specwatchd and specwatch so
// the two cannot drift apart (STYLE.md point 5).
#include "common/item.h"
#include "common/result.h"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace specwatch::protocol {

using Json = nlohmann::json;

// A request line is a command and a few arguments; anything longer is an
// attack or a bug, and the daemon must not buffer it.
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;
// Responses can list many items; the CLI still refuses to buffer without bound.
inline constexpr std::size_t kMaxResponseBytes = 512 * 1024 * 1024;

// The CLI's exit codes (CONTRACT.md); a reply carries the one to use.
enum class Exit : int { ok = 0, failure = 1, usage = 2, unreachable = 3 };

[[nodiscard]] Json ok_reply(Json result);
[[nodiscard]] Json error_reply(std::string_view message, Exit exit = Exit::failure);

// One line of the wire format: compact JSON + "\n". Invalid UTF-8 from feeds
// is replaced, never allowed to make the reply unencodable.
[[nodiscard]] std::string encode(const Json& message);

// Splits a byte stream into lines, refusing lines longer than `max`.
class LineBuffer {
  public:
    explicit LineBuffer(std::size_t max) : max_(max) {}
    void append(std::string_view data) { buf_.append(data); }
    // The next complete line (without "\n"), if any.
    [[nodiscard]] std::optional<std::string> next_line();
    // True when the data seen so far holds a line longer than the limit.
    [[nodiscard]] bool overflowed() const;

  private:
    std::string buf_;
    std::size_t max_;
};

// The CONTRACT item fields; a field the item does not have is left out.
[[nodiscard]] Json item_to_json(const Item& item);
[[nodiscard]] Json feed_to_json(const Feed& feed);

// Where the CLI looks for the daemon: --socket, else $SPECWATCH_SOCKET, else
// /run/specwatch/control.sock.
[[nodiscard]] std::string default_socket_path();

struct ClientError {
    std::string message;
    Exit exit = Exit::unreachable;
};

// Sends one request and waits for its reply (blocking: this is the CLI side).
// Connection problems are ClientErrors with Exit::unreachable and a message
// that names the socket and says what to check. `pass_fd`, when not -1, goes
// with the request as SCM_RIGHTS ancillary data: `backup` writes into a file
// the CLI opened, so the daemon needs no access to the user's path.
[[nodiscard]] Result<Json, ClientError> call(const std::string& socket_path, const Json& request,
                                             std::chrono::milliseconds timeout, int pass_fd = -1);

}  // namespace specwatch::protocol
