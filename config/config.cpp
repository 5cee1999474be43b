#include "config/config.h"

#include "common/fts.h"
#include "common/version.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <span>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace specwatch::config {

std::string Problem::to_string() const {
    if (line > 0) return fmt::format("{}:{}: {}", file, line, message);
    return fmt::format("{}: {}", file, message);
}

const Source* Config::find_source(std::string_view name) const {
    if (auto it = source_index_.find(name); it != source_index_.end()) {
        if (it->second < sources.size() && sources[it->second].name == name)
            return &sources[it->second];
    }
    for (const auto& s : sources)
        if (s.name == name) return &s;
    return nullptr;
}

void Config::index_sources() {
    source_index_.clear();
    source_index_.reserve(sources.size());
    for (std::size_t i = 0; i < sources.size(); ++i) source_index_.emplace(sources[i].name, i);
}

namespace {

using Keys = std::span<const std::string_view>;

constexpr std::string_view kTopKeys[] = {"daemon", "mail",          "source",
                                         "rule",   "organizations", "include"};
// An included file holds sources and rules (and may include further files);
// [daemon], [mail] and [organizations] belong to the main file alone.
constexpr std::string_view kIncludedKeys[] = {"source", "rule", "include"};
constexpr std::string_view kOrganizationKeys[] = {"aliases", "country"};
constexpr std::string_view kDaemonKeys[] = {
    "database", "socket",   "user_agent", "default_interval", "max_parallel", "max_per_host",
    "timeout",  "max_body", "proxy",      "first_poll"};
constexpr std::string_view kMailKeys[] = {"transport", "url",           "tls",
                                          "user",      "password_file", "from",
                                          "retry_for", "health_to",     "health_after"};
constexpr std::string_view kSourceKeys[] = {"name",   "body",     "group",   "url",
                                            "format", "interval", "enabled", "allow_private",
                                            "tags",   "html",     "json",    "xlsx"};
constexpr std::string_view kHtmlKeys[] = {
    "item", "title",    "link",       "date",    "id",     "summary",   "start",
    "end",  "location", "categories", "content", "agenda", "documents", "invitation"};
// Item fields a JSON path can fill, beside `items` and `next`.
constexpr std::string_view kJsonFieldKeys[] = {
    "id",      "title", "link", "summary",  "content",    "author",       "published",
    "updated", "start", "end",  "location", "categories", "organizations"};
constexpr std::string_view kJsonKeys[] = {
    "items",     "next",    "id",    "title", "link",     "summary",    "content",      "author",
    "published", "updated", "start", "end",   "location", "categories", "organizations"};
constexpr std::string_view kXlsxKeys[] = {
    "id",  "title",  "summary",    "content",  "link",      "organizations", "start",
    "end", "author", "categories", "location", "published", "updated"};
constexpr std::string_view kRuleKeys[] = {"name",      "query",        "bodies", "organizations",
                                          "sources",   "on",           "to",     "delivery",
                                          "digest_at", "remind_before"};
constexpr std::string_view kFormats[] = {"auto", "rss", "atom", "ics", "html", "json", "xlsx"};

// Politeness: no source is polled more than once a minute (SOURCES.md, "Manners").
constexpr Seconds kMinInterval{60};

int line_of(const toml::node& n) {
    return static_cast<int>(n.source().begin.line);
}
int line_of(const toml::key& k) {
    return static_cast<int>(k.source().begin.line);
}

std::string_view type_phrase(toml::node_type t) {
    switch (t) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

// Edits between two keys, a swap of neighbours counting as one ("titel" is one
// edit from "title"): the optimal string alignment distance.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

// " (did you mean 'x'?)" for the closest known key within two edits, else "".
std::string did_you_mean(std::string_view key, Keys known) {
    std::string_view best;
    std::size_t best_distance = 3;
    for (auto k : known) {
        const auto d = edit_distance(key, k);
        if (d < best_distance) {
            best_distance = d;
            best = k;
        }
    }
    // Two edits turn any two-letter key into any other ("to" → "on"): only
    // suggest when the typo leaves most of the word standing.
    if (best.empty() || best_distance >= std::max<std::size_t>(key.size(), 2)) return {};
    return fmt::format(" (did you mean '{}'?)", best);
}

bool contains(Keys keys, std::string_view k) {
    return std::find(keys.begin(), keys.end(), k) != keys.end();
}

// Source and rule names appear in URLs, log lines and CLI arguments: keep them
// to characters that need no quoting anywhere.
bool valid_name(std::string_view s) {
    if (s.empty()) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

// Why a source URL cannot be fetched, or nullopt when it looks fine. file:// is
// accepted because a URL in the config is by definition written explicitly; the
// fetcher refuses it after redirects.
std::optional<std::string> url_problem(std::string_view url) {
    if (std::any_of(url.begin(), url.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == '\x7f'; }))
        return "contains spaces or control characters";
    std::string_view rest;
    if (starts_with_icase(url, "https://"))
        rest = url.substr(8);
    else if (starts_with_icase(url, "http://"))
        rest = url.substr(7);
    else if (starts_with_icase(url, "file://"))
        return url.size() > 7 ? std::nullopt
                              : std::optional<std::string>{"has no path after file://"};
    else
        return "must start with http://, https:// or file://";
    const auto host_end = rest.find_first_of("/?#");
    if (rest.substr(0, host_end).empty()) return "has no host";
    return std::nullopt;
}

// fnmatch(3) treats a '[' without its ']' as a literal, which silently makes a
// pattern match nothing the user meant: reject it instead.
std::optional<std::string> glob_problem(std::string_view p) {
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == '\\') {
            if (i + 1 == p.size()) return "ends with an unescaped '\\'";
            ++i;
        } else if (p[i] == '[') {
            std::size_t j = i + 1;
            if (j < p.size() && (p[j] == '!' || p[j] == '^')) ++j;
            if (j < p.size() && p[j] == ']') ++j;  // a leading ']' is a member
            bool closed = false;
            while (j < p.size()) {
                if (p[j] == '[' && j + 1 < p.size() &&
                    (p[j + 1] == ':' || p[j + 1] == '.' || p[j + 1] == '=')) {
                    // [:alpha:], [.x.], [=e=] inside a bracket expression
                    const char kind = p[j + 1];
                    const auto end = p.find(std::string{kind, ']'}, j + 2);
                    if (end == std::string_view::npos) break;
                    j = end + 2;
                    continue;
                }
                if (p[j] == ']') {
                    closed = true;
                    break;
                }
                ++j;
            }
            if (!closed) return fmt::format("has a '[' at position {} without its ']'", i + 1);
            i = j;
        }
    }
    return std::nullopt;
}

// "HH:MM", 00:00 to 23:59 → minutes after midnight.
std::optional<int> parse_clock(std::string_view s) {
    if (s.size() != 5 || s[2] != ':') return std::nullopt;
    for (std::size_t i : {0u, 1u, 3u, 4u})
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const int h = (s[0] - '0') * 10 + (s[1] - '0');
    const int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59) return std::nullopt;
    return h * 60 + m;
}

struct CloseDb {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct FinalizeStmt {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// Compiles rule queries the way storage will run them: the same FTS5 columns
// and tokenizer (common/fts.h) in one throwaway in-memory database per load.
class QueryChecker {
  public:
    QueryChecker() {
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE, nullptr);
        db_.reset(raw);
        if (rc != SQLITE_OK) {
            setup_error_ = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
            return;
        }
        const std::string create = fmt::format(
            "CREATE VIRTUAL TABLE t USING fts5({}, tokenize='{}')", fts::kColumns, fts::kTokenize);
        if (sqlite3_exec(db_.get(), create.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
            setup_error_ = sqlite3_errmsg(db_.get());
            return;
        }
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_.get(), "SELECT rowid FROM t WHERE t MATCH ?", -1, &stmt,
                               nullptr) != SQLITE_OK) {
            setup_error_ = sqlite3_errmsg(db_.get());
            return;
        }
        stmt_.reset(stmt);
    }

    // The SQLite message for a query FTS5 rejects, or nullopt when it compiles.
    std::optional<std::string> check(const std::string& query) {
        if (!stmt_) return fmt::format("cannot check queries: {}", setup_error_);
        sqlite3_reset(stmt_.get());
        sqlite3_bind_text(stmt_.get(), 1, query.data(), static_cast<int>(query.size()),
                          SQLITE_TRANSIENT);
        const int rc = sqlite3_step(stmt_.get());
        std::optional<std::string> error;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) error = sqlite3_errmsg(db_.get());
        sqlite3_reset(stmt_.get());
        sqlite3_clear_bindings(stmt_.get());
        return error;
    }

  private:
    std::unique_ptr<sqlite3, CloseDb> db_;
    std::unique_ptr<sqlite3_stmt, FinalizeStmt> stmt_;
    std::string setup_error_;
};

struct CloseFd {
    int fd;
    ~CloseFd() {
        if (fd >= 0) ::close(fd);
    }
};

// Reads the whole file at `path` into `text`: 0, or the errno that stopped
// it (EISDIR for a directory).
int read_text(const std::string& path, std::string& text) {
    CloseFd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) return errno;
    std::array<char, 65536> buffer;
    for (;;) {
        const ssize_t n = ::read(file.fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) break;
        text.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return 0;
}

// Include chains deeper than this are a mistake, not a layout.
constexpr std::size_t kMaxIncludeDepth = 16;

class Loader {
  public:
    explicit Loader(std::string path) : path_(std::move(path)), file_(path_) {
        std::error_code ec;
        auto absolute = std::filesystem::absolute(path_, ec);
        dir_ = (ec ? std::filesystem::path(path_) : absolute).parent_path();
        config_.path = path_;
        file_order_.emplace(file_, 0);
    }

    Result<Config, std::vector<Problem>> load(std::string_view text) {
        auto parsed = parse_toml(text);
        if (!parsed) return problems_;
        const toml::table& root = *parsed;
        for (auto&& [k, v] : root) {
            if (contains(kTopKeys, k.str())) continue;
            add(line_of(k),
                fmt::format("unknown {} '{}' at the top level{}", v.is_table() ? "table" : "key",
                            k.str(), did_you_mean(k.str(), kTopKeys)));
        }
        // [daemon] and [mail] first, wherever they are in the file: a source's
        // default interval and the checks on rule addresses depend on them.
        if (const auto* t = table_at(root, "daemon", "[daemon]")) read_daemon(*t);
        if (const auto* t = table_at(root, "mail", "[mail]")) read_mail(*t);
        if (const auto* t = table_at(root, "organizations", "[organizations]"))
            read_organizations(*t);
        read_sources_and_rules(root);
        chain_.push_back(canonical(path_));
        read_includes(root);

        if (config_.daemon.user_agent.empty()) config_.daemon.user_agent = default_user_agent();
        config_.organizations = std::make_shared<OrgTable>(config_.organization_aliases);
        for (auto& s : config_.sources) s.organizations = config_.organizations;
        // A rule naming "Huawei Technologies Co., Ltd." means the items stored as "Huawei".
        for (auto& r : config_.rules)
            r.organizations = config_.organizations->normalize_all(r.organizations);
        for (std::size_t i = 0; i < config_.sources.size(); ++i)
            if (!source_has_interval_[i])
                config_.sources[i].interval = config_.daemon.default_interval;

        if (!problems_.empty()) {
            // The main file's problems first, then each included file's, each
            // in line order.
            std::stable_sort(problems_.begin(), problems_.end(),
                             [this](const Problem& a, const Problem& b) {
                                 return std::pair(file_order_[a.file], a.line) <
                                        std::pair(file_order_[b.file], b.line);
                             });
            return problems_;
        }
        config_.index_sources();
        return std::move(config_);
    }

  private:
    void add(int line, std::string message) {
        problems_.push_back(Problem{file_, line, std::move(message)});
    }

    // The current file's text as TOML; nothing (and the problem recorded) when
    // it is not TOML.
    std::optional<toml::table> parse_toml(std::string_view text) {
#if TOML_EXCEPTIONS
        try {
            return toml::parse(text, file_);
        } catch (const toml::parse_error& e) {
            add(static_cast<int>(e.source().begin.line), std::string(e.description()));
            return std::nullopt;
        }
#else
        auto parsed = toml::parse(text, file_);
        if (!parsed) {
            add(static_cast<int>(parsed.error().source().begin.line),
                std::string(parsed.error().description()));
            return std::nullopt;
        }
        return std::move(parsed).table();
#endif
    }

    static std::string canonical(const std::string& p) {
        std::error_code ec;
        auto c = std::filesystem::weakly_canonical(p, ec);
        return ec ? p : c.string();
    }

    void read_sources_and_rules(const toml::table& t) {
        for_each_table(t, "source", [this](const toml::table& s) { read_source(s); });
        for_each_table(t, "rule", [this](const toml::table& r) {
            if (!queries_) queries_.emplace();
            read_rule(r, *queries_);
        });
    }

    // `include = ["topics.toml"]`: each file, relative to the one that names
    // it, read for its sources and rules (and its own includes) as if written
    // here, its problems reported as its own FILE:LINE.
    void read_includes(const toml::table& t) {
        std::vector<const toml::node*> nodes;
        auto paths = strings_at(t, "include", "", &nodes);
        if (!paths) return;
        for (std::size_t i = 0; i < paths->size(); ++i) {
            const std::string& written = (*paths)[i];
            const int line = line_of(*nodes[i]);
            if (written.empty()) {
                add(line, "'include' holds an empty path");
                continue;
            }
            const std::string path = resolve(written);
            const std::string real = canonical(path);
            if (auto it = std::find(chain_.begin(), chain_.end(), real); it != chain_.end()) {
                std::string cycle;
                for (auto j = it; j != chain_.end(); ++j) cycle += *j + " -> ";
                add(line, fmt::format("include '{}' makes a cycle: {}{}", written, cycle, real));
                continue;
            }
            if (chain_.size() >= kMaxIncludeDepth) {
                add(line, fmt::format("include '{}': includes nest deeper than {}", written,
                                      kMaxIncludeDepth));
                continue;
            }
            if (!included_.insert(real).second) {
                add(line, fmt::format("include '{}': {} is already included", written, path));
                continue;
            }
            std::string text;
            if (const int error = read_text(path, text)) {
                add(line, fmt::format("include '{}': cannot read {}: {}", written, path,
                                      std::strerror(error)));
                continue;
            }
            // Read the included file as the current one, then come back.
            const std::string outer_file = file_;
            const std::filesystem::path outer_dir = dir_;
            file_ = path;
            dir_ = std::filesystem::path(path).parent_path();
            file_order_.emplace(file_, static_cast<int>(file_order_.size()));
            config_.included.push_back(path);
            chain_.push_back(real);
            if (auto root = parse_toml(text)) {
                for (auto&& [k, v] : *root) {
                    if (contains(kIncludedKeys, k.str())) continue;
                    add(line_of(k),
                        fmt::format("unknown {} '{}' in an included file (it may hold [[source]], "
                                    "[[rule]] and include){}",
                                    v.is_table() ? "table" : "key", k.str(),
                                    did_you_mean(k.str(), kIncludedKeys)));
                }
                read_sources_and_rules(*root);
                read_includes(*root);
            }
            chain_.pop_back();
            file_ = outer_file;
            dir_ = outer_dir;
        }
    }

    void check_keys(const toml::table& t, Keys known, std::string_view where) {
        for (auto&& [k, v] : t) {
            if (contains(known, k.str())) continue;
            add(line_of(k), fmt::format("unknown key '{}' in {}{}", k.str(), where,
                                        did_you_mean(k.str(), known)));
        }
    }

    void type_error(const toml::node& n, std::string_view ctx, std::string_view key,
                    std::string_view wanted) {
        add(line_of(n),
            fmt::format("{}'{}' must be {}, not {}", ctx, key, wanted, type_phrase(n.type())));
    }

    const toml::table* table_at(const toml::table& parent, std::string_view key,
                                std::string_view shown) {
        const auto* n = parent.get(key);
        if (!n) return nullptr;
        if (!n->is_table()) {
            type_error(*n, "", key, fmt::format("a table ({})", shown));
            return nullptr;
        }
        return n->as_table();
    }

    template <class F>
    void for_each_table(const toml::table& root, std::string_view key, F&& f) {
        const auto* n = root.get(key);
        if (!n) return;
        const auto* array = n->as_array();
        if (!array) {
            add(line_of(*n), fmt::format("'{}' must be an array of tables (write [[{}]]), not {}",
                                         key, key, type_phrase(n->type())));
            return;
        }
        for (const auto& element : *array) {
            if (const auto* t = element.as_table())
                f(*t);
            else
                add(line_of(element), fmt::format("each '{}' must be a table ([[{}]]), not {}", key,
                                                  key, type_phrase(element.type())));
        }
    }

    std::optional<std::string> string_at(const toml::table& t, std::string_view key,
                                         std::string_view ctx) {
        const auto* n = t.get(key);
        if (!n) return std::nullopt;
        if (const auto* s = n->as_string()) return s->get();
        type_error(*n, ctx, key, "a string");
        return std::nullopt;
    }

    std::optional<std::int64_t> integer_at(const toml::table& t, std::string_view key,
                                           std::string_view ctx, std::int64_t min,
                                           std::int64_t max) {
        const auto* n = t.get(key);
        if (!n) return std::nullopt;
        const auto* i = n->as_integer();
        if (!i) {
            type_error(*n, ctx, key, "an integer");
            return std::nullopt;
        }
        if (i->get() < min || i->get() > max) {
            add(line_of(*n), fmt::format("{}'{}' must be between {} and {}, not {}", ctx, key, min,
                                         max, i->get()));
            return std::nullopt;
        }
        return i->get();
    }

    std::optional<bool> boolean_at(const toml::table& t, std::string_view key,
                                   std::string_view ctx) {
        const auto* n = t.get(key);
        if (!n) return std::nullopt;
        if (const auto* b = n->as_boolean()) return b->get();
        type_error(*n, ctx, key, "a boolean (true or false)");
        return std::nullopt;
    }

    // An array of strings; with `nodes`, also each element (for its line).
    std::optional<std::vector<std::string>> strings_at(
        const toml::table& t, std::string_view key, std::string_view ctx,
        std::vector<const toml::node*>* nodes = nullptr) {
        const auto* n = t.get(key);
        if (!n) return std::nullopt;
        const auto* array = n->as_array();
        if (!array) {
            type_error(*n, ctx, key, "an array of strings");
            return std::nullopt;
        }
        std::vector<std::string> out;
        bool ok = true;
        for (const auto& element : *array) {
            if (const auto* s = element.as_string()) {
                out.push_back(s->get());
                if (nodes) nodes->push_back(&element);
            } else {
                add(line_of(element),
                    fmt::format("{}'{}' must be an array of strings, but holds {}", ctx, key,
                                type_phrase(element.type())));
                ok = false;
            }
        }
        if (!ok) return std::nullopt;
        return out;
    }

    // A duration string within [min, max]; problems name the key and the limit.
    std::optional<Seconds> duration_of(const toml::node& n, std::string_view ctx,
                                       std::string_view key, Seconds min, Seconds max,
                                       std::string_view why = {}) {
        const auto* s = n.as_string();
        if (!s) {
            type_error(n, ctx, key, "a duration string such as \"1h\"");
            return std::nullopt;
        }
        auto d = parse_duration(s->get());
        if (!d) {
            add(line_of(n), fmt::format("{}{}", ctx, d.error().message));
            return std::nullopt;
        }
        if (*d < min || *d > max) {
            if (max == Seconds::max())
                add(line_of(n), fmt::format("{}'{}' must be at least {}{}, not '{}'", ctx, key,
                                            format_duration(min), why, s->get()));
            else
                add(line_of(n),
                    fmt::format("{}'{}' must be between {} and {}{}, not '{}'", ctx, key,
                                format_duration(min), format_duration(max), why, s->get()));
            return std::nullopt;
        }
        return *d;
    }

    std::optional<Seconds> duration_at(const toml::table& t, std::string_view key,
                                       std::string_view ctx, Seconds min,
                                       Seconds max = Seconds::max(), std::string_view why = {}) {
        const auto* n = t.get(key);
        if (!n) return std::nullopt;
        return duration_of(*n, ctx, key, min, max, why);
    }

    // `value` must be one of `allowed`; the problem lists them.
    bool one_of(const toml::table& t, std::string_view key, const std::string& value, Keys allowed,
                std::string_view ctx) {
        if (contains(allowed, value)) return true;
        std::string list;
        for (auto a : allowed) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", a);
        add(line_of(*t.get(key)),
            fmt::format("{}'{}' must be one of {}, not \"{}\"", ctx, key, list, value));
        return false;
    }

    // database, socket and password_file may be written relative to the config.
    std::string resolve(const std::string& p) const {
        if (p.empty() || std::filesystem::path(p).is_absolute()) return p;
        return (dir_ / p).lexically_normal().string();
    }

    void read_daemon(const toml::table& t) {
        constexpr std::string_view ctx = "[daemon] ";
        check_keys(t, kDaemonKeys, "[daemon]");
        auto& d = config_.daemon;
        // An empty string means "not set", as for proxy: the defaults apply.
        if (auto v = string_at(t, "database", ctx)) d.database = resolve(*v);
        if (auto v = string_at(t, "socket", ctx)) d.socket = resolve(*v);
        if (auto v = string_at(t, "user_agent", ctx)) d.user_agent = *v;
        if (auto v = duration_at(t, "default_interval", ctx, kMinInterval, Seconds::max(),
                                 " (polling more often is impolite)"))
            d.default_interval = *v;
        // Beyond a thousand transfers in flight we would run out of descriptors
        // long before the network is the limit.
        if (auto v = integer_at(t, "max_parallel", ctx, 1, 1000))
            d.max_parallel = static_cast<int>(*v);
        if (auto v = integer_at(t, "max_per_host", ctx, 1, 100))
            d.max_per_host = static_cast<int>(*v);
        if (auto v = duration_at(t, "timeout", ctx, Seconds{1}, Seconds{3600})) d.timeout = *v;
        if (const auto* n = t.get("max_body")) {
            if (const auto* s = n->as_string()) {
                auto size = parse_size(s->get());
                constexpr std::uint64_t kMin = 1024, kMax = 1024ULL * 1024 * 1024;
                if (!size)
                    add(line_of(*n), fmt::format("{}{}", ctx, size.error().message));
                else if (*size < kMin || *size > kMax)
                    add(line_of(*n),
                        fmt::format("{}'max_body' must be between 1KiB and 1GiB, not '{}'", ctx,
                                    s->get()));
                else
                    d.max_body = *size;
            } else {
                type_error(*n, ctx, "max_body", "a size string such as \"16MiB\"");
            }
        }
        if (auto v = string_at(t, "proxy", ctx)) d.proxy = *v;
        if (auto v = string_at(t, "first_poll", ctx)) {
            constexpr std::string_view allowed[] = {"baseline", "alert"};
            if (one_of(t, "first_poll", *v, allowed, ctx)) d.first_poll_alerts = *v == "alert";
        }
    }

    void read_mail(const toml::table& t) {
        constexpr std::string_view ctx = "[mail] ";
        check_keys(t, kMailKeys, "[mail]");
        auto& m = config_.mail;
        if (auto v = string_at(t, "transport", ctx)) {
            constexpr std::string_view allowed[] = {"smtp", "sendmail", "none"};
            if (one_of(t, "transport", *v, allowed, ctx))
                m.transport = *v == "smtp"       ? Transport::smtp
                              : *v == "sendmail" ? Transport::sendmail
                                                 : Transport::none;
        }
        if (auto v = string_at(t, "url", ctx)) {
            if (starts_with_icase(*v, "smtp://") || starts_with_icase(*v, "smtps://"))
                m.url = *v;
            else
                add(line_of(*t.get("url")),
                    fmt::format("{}'url' must start with smtp:// or smtps://, not '{}'", ctx, *v));
        }
        if (auto v = string_at(t, "tls", ctx)) {
            constexpr std::string_view allowed[] = {"starttls", "none"};
            if (one_of(t, "tls", *v, allowed, ctx))
                m.tls = *v == "none" ? Tls::none : Tls::starttls;
        }
        if (auto v = string_at(t, "user", ctx)) m.user = *v;
        if (auto v = string_at(t, "password_file", ctx)) m.password_file = resolve(*v);
        if (auto v = string_at(t, "from", ctx)) m.from = *v;
        if (auto v = duration_at(t, "retry_for", ctx, Seconds{1})) m.retry_for = *v;
        std::vector<const toml::node*> nodes;
        if (auto v = strings_at(t, "health_to", ctx, &nodes)) m.health_to = *v;
        if (auto v = duration_at(t, "health_after", ctx, Seconds{1})) m.health_after = *v;

        if (m.transport != Transport::none) {
            if (m.from.find('@') == std::string::npos)
                add(t.get("from") ? line_of(*t.get("from")) : line_of(t),
                    fmt::format("{}'from' must be a mail address, not '{}'", ctx, m.from));
            for (std::size_t i = 0; i < nodes.size(); ++i)
                check_address(*nodes[i], m.health_to[i], ctx, "health_to");
        }
    }

    // [organizations]: "Name" = { aliases = ["…"], country = "CC" }.
    void read_organizations(const toml::table& t) {
        for (auto&& [k, v] : t) {
            const std::string ctx = fmt::format("[organizations] '{}': ", k.str());
            const auto* entry = v.as_table();
            if (!entry) {
                add(line_of(k), fmt::format("{}must be a table such as {{ aliases = [\"…\"], "
                                            "country = \"FI\" }}, not {}",
                                            ctx, type_phrase(v.type())));
                continue;
            }
            check_keys(*entry, kOrganizationKeys, "[organizations]");
            OrgEntry e;
            e.name = std::string(k.str());
            if (org_key(e.name).empty()) {
                add(line_of(k), fmt::format("{}the name has no letters or digits", ctx));
                continue;
            }
            if (auto a = strings_at(*entry, "aliases", ctx)) e.aliases = *a;
            if (auto c = string_at(*entry, "country", ctx)) {
                const bool two_letters =
                    c->size() == 2 &&
                    std::all_of(c->begin(), c->end(), [](char x) { return x >= 'A' && x <= 'Z'; });
                if (two_letters)
                    e.country = *c;
                else
                    add(line_of(*entry->get("country")),
                        fmt::format("{}'country' must be an ISO 3166 code of two capital letters "
                                    "(\"FI\"), not '{}'",
                                    ctx, *c));
            }
            config_.organization_aliases.push_back(std::move(e));
        }
    }

    void check_address(const toml::node& n, const std::string& address, std::string_view ctx,
                       std::string_view key) {
        if (address.find('@') == std::string::npos)
            add(line_of(n),
                fmt::format("{}'{}' holds '{}', which is not a mail address", ctx, key, address));
    }

    // Reads `name` for a [[source]] or [[rule]]: required, restricted characters,
    // unique. Returns the message prefix for the table's other problems.
    std::string read_name(const toml::table& t, std::string_view kind, std::string& name,
                          std::map<std::string, std::pair<std::string, int>>& seen) {
        const std::string table = fmt::format("[[{}]]", kind);
        auto v = string_at(t, "name", table + " ");
        if (!t.get("name")) add(line_of(t), fmt::format("{} has no 'name'", table));
        if (!v) return table + " ";
        const int line = line_of(*t.get("name"));
        if (!valid_name(*v)) {
            add(line, fmt::format("{} name '{}' is invalid: use letters, digits, '-', '_' and '.'",
                                  kind, *v));
        } else if (auto [it, inserted] = seen.emplace(*v, std::pair(file_, line)); !inserted) {
            const auto& [file, first] = it->second;
            add(line, fmt::format("duplicate {} name '{}' (first defined at {}line {})", kind, *v,
                                  file == file_ ? "" : file + " ", first));
        }
        name = *v;
        return fmt::format("{} '{}': ", kind, *v);
    }

    void read_source(const toml::table& t) {
        Source s;
        s.line = line_of(t);
        const std::string ctx = read_name(t, "source", s.name, source_lines_);
        check_keys(t, kSourceKeys, "[[source]]");

        if (auto v = string_at(t, "body", ctx)) s.body = *v;
        if (s.body.empty())
            add(t.get("body") ? line_of(*t.get("body")) : s.line,
                fmt::format("{}'body' is required (the standards body, e.g. \"ITU\")", ctx));
        if (auto v = string_at(t, "group", ctx)) s.group = *v;
        if (auto v = string_at(t, "url", ctx)) {
            if (auto why = url_problem(*v))
                add(line_of(*t.get("url")), fmt::format("{}url '{}' {}", ctx, *v, *why));
            else
                s.url = *v;
        } else if (!t.get("url")) {
            add(s.line, fmt::format("{}'url' is required", ctx));
        }
        if (auto v = string_at(t, "format", ctx))
            if (one_of(t, "format", *v, kFormats, ctx)) s.format = *v;
        auto interval = duration_at(t, "interval", ctx, kMinInterval, Seconds::max(),
                                    " (polling more often is impolite)");
        if (interval) s.interval = *interval;
        if (auto v = boolean_at(t, "enabled", ctx)) s.enabled = *v;
        if (auto v = boolean_at(t, "allow_private", ctx)) s.allow_private = *v;
        if (auto v = strings_at(t, "tags", ctx)) s.tags = *v;

        if (const auto* html = table_at(t, "html", "[source.html]")) {
            check_keys(*html, kHtmlKeys, "[source.html]");
            std::string* targets[] = {&s.html.item,       &s.html.title,     &s.html.link,
                                      &s.html.date,       &s.html.id,        &s.html.summary,
                                      &s.html.start,      &s.html.end,       &s.html.location,
                                      &s.html.categories, &s.html.content,   &s.html.agenda,
                                      &s.html.documents,  &s.html.invitation};
            static_assert(std::size(targets) == std::size(kHtmlKeys));
            for (std::size_t i = 0; i < std::size(kHtmlKeys); ++i)
                if (auto v = string_at(*html, kHtmlKeys[i], ctx)) *targets[i] = *v;
        }
        if (s.format == "html") {
            for (std::string_view key : {"item", "title"}) {
                const std::string& value = key == "item" ? s.html.item : s.html.title;
                if (value.empty())
                    add(s.line,
                        fmt::format("{}format = \"html\" needs '{}' in [source.html]", ctx, key));
            }
        }
        if (const auto* json = table_at(t, "json", "[source.json]")) {
            check_keys(*json, kJsonKeys, "[source.json]");
            if (auto v = string_at(*json, "items", ctx)) s.json.items = *v;
            if (auto v = string_at(*json, "next", ctx)) s.json.next = *v;
            for (auto key : kJsonFieldKeys)
                if (auto v = string_at(*json, key, ctx)) s.json.fields[std::string(key)] = *v;
        }
        if (const auto* xlsx = table_at(t, "xlsx", "[source.xlsx]")) {
            check_keys(*xlsx, kXlsxKeys, "[source.xlsx]");
            for (auto key : kXlsxKeys)
                if (auto v = string_at(*xlsx, key, ctx)) s.xlsx.fields[std::string(key)] = *v;
        }

        config_.sources.push_back(std::move(s));
        source_has_interval_.push_back(interval.has_value());
    }

    void read_rule(const toml::table& t, QueryChecker& queries) {
        Rule r;
        r.line = line_of(t);
        const std::string ctx = read_name(t, "rule", r.name, rule_lines_);
        check_keys(t, kRuleKeys, "[[rule]]");

        if (auto v = string_at(t, "query", ctx)) {
            r.query = *v;
            const int line = line_of(*t.get("query"));
            if (r.query.find_first_not_of(" \t\r\n") == std::string::npos)
                add(line, fmt::format("{}'query' must not be empty", ctx));
            else if (auto error = queries.check(r.query))
                add(line, fmt::format("{}invalid query '{}': {}", ctx, r.query, *error));
        } else if (!t.get("query")) {
            add(r.line,
                fmt::format("{}'query' is required (an FTS5 query such as '5G OR 6G')", ctx));
        }
        if (auto v = strings_at(t, "bodies", ctx)) r.bodies = *v;
        if (auto v = strings_at(t, "organizations", ctx)) r.organizations = *v;
        std::vector<const toml::node*> nodes;
        if (auto v = strings_at(t, "sources", ctx, &nodes)) {
            r.sources = *v;
            for (std::size_t i = 0; i < nodes.size(); ++i)
                if (auto why = glob_problem(r.sources[i]))
                    add(line_of(*nodes[i]),
                        fmt::format("{}sources pattern '{}' {}", ctx, r.sources[i], *why));
        }
        nodes.clear();
        if (auto v = strings_at(t, "on", ctx, &nodes)) {
            r.on_new = r.on_changed = false;
            for (std::size_t i = 0; i < nodes.size(); ++i) {
                const auto& event = (*v)[i];
                if (event == "new")
                    r.on_new = true;
                else if (event == "changed")
                    r.on_changed = true;
                else
                    add(line_of(*nodes[i]),
                        fmt::format("{}'on' may hold \"new\" and \"changed\", not \"{}\"", ctx,
                                    event));
            }
            if (v->empty())
                add(line_of(*t.get("on")),
                    fmt::format("{}'on' must not be empty (\"new\", \"changed\" or both)", ctx));
        }
        nodes.clear();
        if (auto v = strings_at(t, "to", ctx, &nodes)) {
            r.to = *v;
            if (r.to.empty())
                add(line_of(*t.get("to")), fmt::format("{}'to' must not be empty", ctx));
            if (config_.mail.transport != Transport::none)
                for (std::size_t i = 0; i < nodes.size(); ++i)
                    check_address(*nodes[i], r.to[i], ctx, "to");
        }
        // Without `to` a rule is a watch list: its alerts are recorded (see
        // `specwatch alerts` and `report`) and nothing is mailed.
        if (auto v = string_at(t, "delivery", ctx)) {
            constexpr std::string_view allowed[] = {"immediate", "digest"};
            if (one_of(t, "delivery", *v, allowed, ctx))
                r.delivery = *v == "digest" ? Delivery::digest : Delivery::immediate;
        }
        if (auto v = string_at(t, "digest_at", ctx)) {
            if (auto minute = parse_clock(*v))
                r.digest_minute = *minute;
            else
                add(line_of(*t.get("digest_at")),
                    fmt::format("{}'digest_at' must be a time \"HH:MM\" from 00:00 to 23:59, not "
                                "'{}'",
                                ctx, *v));
        }
        if (const auto* n = t.get("remind_before")) {
            if (const auto* array = n->as_array()) {
                for (const auto& element : *array)
                    if (auto d =
                            duration_of(element, ctx, "remind_before", Seconds{1}, Seconds::max()))
                        r.remind_before.push_back(*d);
            } else {
                type_error(*n, ctx, "remind_before", "an array of durations such as [\"7d\"]");
            }
        }
        config_.rules.push_back(std::move(r));
    }

    std::string path_;           // the main file
    std::string file_;           // the file being read: the main one or an included one
    std::filesystem::path dir_;  // file_'s folder
    std::vector<Problem> problems_;
    Config config_;
    std::vector<bool> source_has_interval_;  // parallel to config_.sources
    std::map<std::string, std::pair<std::string, int>> source_lines_;  // name → file, line
    std::map<std::string, std::pair<std::string, int>> rule_lines_;
    std::optional<QueryChecker> queries_;
    std::vector<std::string> chain_;  // canonical paths being read, outermost first
    std::set<std::string> included_;
    std::map<std::string, int> file_order_;
};

// The first entry of a systemd directory variable ("a:b" lists several).
std::string first_dir(const char* variable) {
    const char* v = std::getenv(variable);
    if (!v) return {};
    std::string_view s{v};
    return std::string(s.substr(0, s.find(':')));
}

}  // namespace

Result<Config, std::vector<Problem>> load_string(std::string_view text, const std::string& path) {
    return Loader(path).load(text);
}

Result<Config, std::vector<Problem>> load_file(const std::string& path) {
    std::string text;
    if (const int error = read_text(path, text))
        return std::vector<Problem>{
            Problem{path, 0, fmt::format("cannot read: {}", std::strerror(error))}};
    return load_string(text, path);
}

std::string default_config_path() {
    const char* v = std::getenv("SPECWATCH_CONFIG");
    if (v && *v) return v;
    return "/etc/specwatch/specwatch.toml";
}

std::string database_path(const Config& c) {
    if (!c.daemon.database.empty()) return c.daemon.database;
    if (auto dir = first_dir("STATE_DIRECTORY"); !dir.empty()) return dir + "/specwatch.db";
    return "/var/lib/specwatch/specwatch.db";
}

std::string socket_path(const Config& c) {
    if (!c.daemon.socket.empty()) return c.daemon.socket;
    if (auto dir = first_dir("RUNTIME_DIRECTORY"); !dir.empty()) return dir + "/control.sock";
    return "/run/specwatch/control.sock";
}

std::string default_user_agent() {
    return fmt::format("specwatch/{} (+{})", kVersion, kProjectUrl);
}

}  // namespace specwatch::config
