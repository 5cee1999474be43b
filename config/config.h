#pragma once
// The configuration of CONTRACT.md, read with toml++ and validated whole.
// A Config is immutable once loaded (DESIGN.md invariant 8): a reload builds a
// new one and swaps it in.
#include "common/organizations.h"
#include "common/result.h"
#include "common/units.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace specwatch::config {

// One problem in a config file, printed as "FILE:LINE: message".
struct Problem {
    std::string file;
    int line = 0;  // 0 when the problem has no line (the file cannot be read)
    std::string message;

    [[nodiscard]] std::string to_string() const;
};

struct DaemonSettings {
    std::string database;  // as written (relative paths resolved against the config's folder)
    std::string socket;
    std::string user_agent;
    Seconds default_interval{3600};
    int max_parallel = 16;
    int max_per_host = 2;
    Seconds timeout{60};
    std::uint64_t max_body = 16 * 1024 * 1024;
    std::string proxy;
    bool first_poll_alerts = false;  // first_poll = "alert"
};

enum class Transport { none, smtp, sendmail };
enum class Tls { starttls, none };

struct MailSettings {
    Transport transport = Transport::none;
    std::string url = "smtp://127.0.0.1:25";
    Tls tls = Tls::starttls;
    std::string user;
    std::string password_file;
    std::string from = "specwatch <specwatch@localhost>";
    Seconds retry_for{5 * 86400};
    std::vector<std::string> health_to;
    Seconds health_after{86400};
};

// [source.html]: XPath 1.0 expressions; an empty string means "not set".
// `categories` yields one category per selected node (td[5] | td[9]).
// `agenda`, `documents` and `invitation` are URLs resolved like `link`, written
// into the item's content as "Agenda: URL" lines that reminders list.
struct HtmlRules {
    std::string item, title, link, date, id, summary, start, end, location;
    std::string categories, content, agenda, documents, invitation;
};

// [source.json]: dotted paths.
struct JsonRules {
    std::string items, next;
    std::map<std::string, std::string> fields;  // item field → path
};

// [source.xlsx]: item field → header name.
struct XlsxRules {
    std::map<std::string, std::string> fields;
};

struct Source {
    std::string name;
    std::string body;
    std::string group;
    std::string url;
    std::string format = "auto";  // auto | rss | atom | ics | html | json | xlsx
    Seconds interval{3600};
    bool enabled = true;
    bool allow_private = false;
    std::vector<std::string> tags;
    HtmlRules html;
    JsonRules json;
    XlsxRules xlsx;
    // The config's organization table (built in + [organizations]), shared by
    // every source: parsing a source's document normalizes with it.
    std::shared_ptr<const OrgTable> organizations;
    int line = 0;  // where the [[source]] starts, for later messages
};

enum class Delivery { immediate, digest };

struct Rule {
    std::string name;
    std::string query;
    std::vector<std::string> bodies;
    std::vector<std::string> organizations;
    std::vector<std::string> sources;  // globs
    bool on_new = true;
    bool on_changed = false;
    std::vector<std::string> to;
    Delivery delivery = Delivery::immediate;
    int digest_minute = 8 * 60;  // minutes after local midnight
    std::vector<Seconds> remind_before;
    int line = 0;
};

struct Config {
    std::string path;                   // the file it was read from
    std::vector<std::string> included;  // files read through `include`, in order
    DaemonSettings daemon;
    MailSettings mail;
    std::vector<Source> sources;
    std::vector<Rule> rules;
    // [organizations]: names and aliases added to the built-in table.
    std::vector<OrgEntry> organization_aliases;
    std::shared_ptr<const OrgTable> organizations = std::make_shared<OrgTable>();

    // The source of that name, or nullptr. By the index the loader builds
    // (the daemon asks for every poll and page: a scan of 1,000 sources for
    // each of 1,000 polls was 30 M instructions); a Config built or changed by
    // hand, whose index does not know a name, is scanned.
    [[nodiscard]] const Source* find_source(std::string_view name) const;
    // (Re)builds the index find_source reads; the loader calls it.
    void index_sources();

  private:
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    // name -> position in `sources`
    std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> source_index_;
};

// Reads and validates a config file. On failure, every problem found (not
// just the first), in file order.
[[nodiscard]] Result<Config, std::vector<Problem>> load_file(const std::string& path);

// The same for text already in memory; `path` names it in problems and anchors
// relative paths.
[[nodiscard]] Result<Config, std::vector<Problem>> load_string(std::string_view text,
                                                               const std::string& path);

// The config path in effect: --config, else $SPECWATCH_CONFIG, else
// /etc/specwatch/specwatch.toml.
[[nodiscard]] std::string default_config_path();

// CONTRACT.md's defaults for paths not set in the config.
[[nodiscard]] std::string database_path(const Config& c);  // key, $STATE_DIRECTORY, /var/lib/…
[[nodiscard]] std::string socket_path(const Config& c);    // key, $RUNTIME_DIRECTORY, /run/…

// The User-Agent sent when the config does not set one.
[[nodiscard]] std::string default_user_agent();

}  // namespace specwatch::config
