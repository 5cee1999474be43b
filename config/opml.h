#pragma once
// OPML 2.0, the feed readers' exchange format: the configured sources written
// out (`specwatch export opml`, from the daemon's config) and a feed list read
// back as [[source]] TOML (`specwatch import opml FILE`, locally). pugixml
// reads and writes the XML, toml++ writes the TOML.
//
// specwatch's own fields ride along as attributes in the kOpmlNamespace
// namespace (name, body, group, format, interval, enabled, tags and the
// [source.html|json|xlsx] rules as "html.item", "json.items", …), so an export
// imported again gives the same sources; other readers ignore them.
#include "common/clock.h"
#include "common/result.h"
#include "config/config.h"

#include <string>
#include <string_view>
#include <vector>

namespace specwatch::config {

inline constexpr std::string_view kOpmlNamespace = "https://github.com/specwatch/specwatch/opml";

// An OPML 2.0 document: one <outline type="rss"> per source, nested in one
// outline per body (in the order bodies first appear), with
// category="/BODY/GROUP". `now` is its dateCreated.
[[nodiscard]] std::string sources_to_opml(const std::vector<Source>& sources, SysTime now);

struct OpmlImport {
    std::string toml;                   // [[source]] tables, ready to paste
    std::size_t sources = 0;            // how many
    std::vector<std::string> warnings;  // "FILE: outline 'x' skipped: …"
};

// Limits on a feed list: far beyond any real one (a reader's export of a few
// hundred feeds is large), small enough that hostile input stays harmless.
inline constexpr std::size_t kMaxOpmlBytes = 16 * 1024 * 1024;
inline constexpr std::size_t kMaxOpmlFeeds = 10000;

// Reads an OPML feed list (`file` names it in messages): every outline with an
// xmlUrl (or url) at any depth becomes a [[source]]. Its name comes from
// specwatch:name, text, title or the URL's host, made valid (letters, digits,
// '-', '_', '.') and unique; its body from specwatch:body, else the outermost
// enclosing outline's text, else `default_body`, else the URL's host; its group
// from specwatch:group, else an inner enclosing outline's text. Outlines whose
// URL is not http(s) are skipped with a warning. A document that is not
// OPML, holds no feed, or passes the limits above is an error "FILE: …".
[[nodiscard]] Result<OpmlImport> opml_to_toml(std::string_view document, const std::string& file,
                                              const std::string& default_body = {});

}  // namespace specwatch::config
