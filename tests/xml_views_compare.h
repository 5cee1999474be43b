#pragma once
// The views reader (parsers/xml_views.h) against pugixml, for the unit test
// and the fuzz target: whenever the views reader takes a document, its tree
// must be pugixml's and the feed read from it the DOM path's.
#include "parsers/xml_feed.h"
#include "parsers/xml_views.h"

#include <pugixml.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace specwatch::test {

// "" when the trees are the same node for node (type, name, value,
// attributes in order), else the first difference.
inline std::string tree_difference(pugi::xml_node dom, parse::xml_views::Node views) {
    std::vector<std::pair<pugi::xml_node, parse::xml_views::Node>> todo{{dom, views}};
    while (!todo.empty()) {
        auto [d, v] = todo.back();
        todo.pop_back();
        const std::string where = "<" + std::string(d.name()) + ">";
        if (d.type() != v.type()) return "node type at " + where;
        if (std::string_view(d.name()) != v.name())
            return "name " + where + " vs <" + std::string(v.name()) + ">";
        if (std::string_view(d.value()) != v.value())
            return "value \"" + std::string(d.value()) + "\" vs \"" + std::string(v.value()) + "\"";
        auto da = d.first_attribute();
        auto va = v.first_attribute();
        for (; da && va; da = da.next_attribute(), va = va.next_attribute())
            if (std::string_view(da.name()) != va.name() ||
                std::string_view(da.value()) != va.value())
                return "attribute " + std::string(da.name()) + "=\"" + da.value() + "\" of " +
                       where;
        if (da || va) return "number of attributes of " + where;
        auto dc = d.first_child();
        auto vc = v.first_child();
        for (; dc && vc; dc = dc.next_sibling(), vc = vc.next_sibling()) todo.emplace_back(dc, vc);
        if (dc || vc) return "number of children of " + where;
    }
    return "";
}

inline std::string feed_difference(const Result<Feed>& a, const Result<Feed>& b) {
    if (a.has_value() != b.has_value()) return "one is an error, the other a feed";
    if (!a) return a.error().message == b.error().message ? "" : "error messages";
    if (a->format != b->format) return "format";
    if (a->title != b->title) return "title";
    if (a->link != b->link) return "link";
    if (a->updated != b->updated) return "updated";
    if (a->next != b->next) return "next";
    if (a->items.size() != b->items.size()) return "number of items";
    for (std::size_t i = 0; i < a->items.size(); ++i)
        if (!(a->items[i] == b->items[i])) return "item " + std::to_string(i);
    return "";
}

struct ViewsCheck {
    bool taken = false;      // the views reader took the document
    std::string difference;  // "" when it agrees with pugixml
};

// Reads `bytes` both ways, for each feed family, with a base URL.
inline ViewsCheck check_views(std::string_view bytes) {
    ViewsCheck out;
    parse::xml_views::Document views;
    if (!views.read(bytes)) return out;
    out.taken = true;
    pugi::xml_document dom;
    if (!dom.load_buffer(bytes.data(), bytes.size(), parse::xml_views::kPugiOptions,
                         pugi::encoding_utf8)) {
        out.difference = "pugixml rejects the document";
        return out;
    }
    out.difference = tree_difference(dom, views.root());
    if (!out.difference.empty()) return out;
    for (const auto family :
         {parse::FeedFamily::any, parse::FeedFamily::rss, parse::FeedFamily::atom}) {
        constexpr std::string_view kBase = "https://example.org/news/feed.xml";
        const auto fast = parse::parse_xml_feed_views(bytes, kBase, family);
        if (!fast) {
            out.difference = "parse_xml_feed_views declined a document the reader took";
            return out;
        }
        out.difference = feed_difference(*fast, parse::parse_xml_feed_dom(bytes, kBase, family));
        if (!out.difference.empty()) return out;
    }
    return out;
}

}  // namespace specwatch::test
