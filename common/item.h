#pragma once
// The item model of CONTRACT.md, as plain values. Parsers produce it, storage
// keeps it, the protocol prints it. An empty string means "the document does
// not have this field"; dates are already normalized text (UTC
// "YYYY-MM-DDTHH:MM:SSZ", or "YYYY-MM-DD" for all-day events), so they sort
// and compare as strings.
#include <string>
#include <vector>

namespace specwatch {

struct Item {
    std::string id;
    std::string link;
    std::string title;
    std::string summary;
    std::string content;
    std::string author;
    std::vector<std::string> categories;
    std::string published;
    std::string updated;
    std::string start;
    std::string end;
    std::string location;
    std::vector<std::string> organizations;

    bool operator==(const Item&) const = default;
};

struct Feed {
    std::string
        format;  // rss0.9x | rss1.0 | rss2.0 | atom0.3 | atom1.0 | icalendar | html | json | xlsx
    std::string title;
    std::string link;
    std::string updated;
    std::string next;  // the next page's URL, when the document is paged (JSON APIs)
    std::vector<Item> items;
};

}  // namespace specwatch
