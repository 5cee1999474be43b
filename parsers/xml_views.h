#pragma once
// The XML of ordinary feeds read as views of the document's bytes, into a
// tree shaped exactly like the one pugixml builds with xml_feed.cpp's parse
// options (parse_cdata | parse_eol | parse_wconv_attribute | parse_ws_pcdata),
// without copying the document or calling into libpugixml per node.
//
// It is a recognizer with bail-out: it takes only the plain subset of XML
// that feeds are written in (an XML declaration, comments, elements with
// quoted attributes, text, CDATA sections) and answers "not handled" on
// anything else -- a DOCTYPE, a processing instruction after the prolog, a
// carriage return or a NUL byte (pugixml rewrites or stops at those), a tab
// or line break or "<" inside an attribute value (pugixml rewrites tabs and
// line breaks there), names outside [A-Za-z_][A-Za-z0-9_.:-]*, mismatched or
// unclosed tags, nesting deeper than kMaxDepth, anything at the top level
// but white space and comments around one root element. The caller then
// parses the same bytes with pugixml. Namespaces, references and everything
// else a feed means are left to the one Reader both trees feed, so the two
// paths can differ only in the tree, which the differential tests compare.
#include <pugixml.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace specwatch::parse::xml_views {

// How xml_feed.cpp has pugixml parse a feed, and so the tree this reader
// builds: CDATA sections and white-space-only text are nodes, line ends are
// normalized, tabs and line breaks in attribute values become spaces;
// references are left as written (the Reader decodes them, HTML's names
// included), comments, PIs and the DOCTYPE are dropped.
constexpr unsigned kPugiOptions =
    pugi::parse_cdata | pugi::parse_eol | pugi::parse_wconv_attribute | pugi::parse_ws_pcdata;

struct NodeData {
    // An element's name, or the text of a text node or CDATA section as written.
    std::string_view text;
    std::uint32_t parent = 0;
    std::uint32_t first_child = 0;  // 0: none (node 0 is the document, nobody's child)
    std::uint32_t next_sibling = 0;
    std::uint32_t first_attribute = 0;
    std::uint32_t attribute_end = 0;
    pugi::xml_node_type type = pugi::node_null;
};

struct AttributeData {
    std::string_view name;
    std::string_view value;
};

class Document;

// pugi::xml_attribute's accessors that the Reader uses.
class Attribute {
  public:
    Attribute() = default;
    Attribute(const AttributeData* at, const AttributeData* end) : at_(at), end_(end) {}
    explicit operator bool() const { return at_ != nullptr; }
    [[nodiscard]] std::string_view name() const { return at_->name; }
    [[nodiscard]] std::string_view value() const { return at_->value; }
    [[nodiscard]] Attribute next_attribute() const {
        return at_ + 1 < end_ ? Attribute(at_ + 1, end_) : Attribute();
    }

  private:
    const AttributeData* at_ = nullptr;
    const AttributeData* end_ = nullptr;
};

// pugi::xml_node's accessors that the Reader uses; a null node is false.
class Node {
  public:
    Node() = default;
    Node(const Document* doc, std::uint32_t index) : doc_(doc), index_(index) {}
    explicit operator bool() const { return doc_ != nullptr; }
    bool operator==(const Node& o) const { return doc_ == o.doc_ && index_ == o.index_; }

    [[nodiscard]] pugi::xml_node_type type() const;
    [[nodiscard]] std::string_view name() const;
    [[nodiscard]] std::string_view value() const;
    [[nodiscard]] Node first_child() const;
    [[nodiscard]] Node next_sibling() const;
    [[nodiscard]] Node parent() const;
    [[nodiscard]] Attribute first_attribute() const;

  private:
    [[nodiscard]] const NodeData& data() const;
    [[nodiscard]] Node at(std::uint32_t i) const { return i == 0 ? Node() : Node(doc_, i); }

    const Document* doc_ = nullptr;
    std::uint32_t index_ = 0;
};

class Document {
  public:
    // Deeper than any feed; a hostile document nested further goes to pugixml.
    static constexpr std::size_t kMaxDepth = 256;

    // Reads `text`; false when it is not in the subset (the tree is then
    // unspecified). `text` must outlive the document.
    [[nodiscard]] bool read(std::string_view text);
    [[nodiscard]] Node root() const { return Node(this, 0); }

  private:
    friend class Node;
    std::vector<NodeData> nodes_;
    std::vector<AttributeData> attributes_;
};

inline const NodeData& Node::data() const {
    return doc_->nodes_[index_];
}
inline pugi::xml_node_type Node::type() const {
    return data().type;
}
inline std::string_view Node::name() const {
    const NodeData& d = data();
    return d.type == pugi::node_element ? d.text : std::string_view();
}
inline std::string_view Node::value() const {
    const NodeData& d = data();
    return d.type == pugi::node_element ? std::string_view() : d.text;
}
inline Node Node::first_child() const {
    return at(data().first_child);
}
inline Node Node::next_sibling() const {
    return at(data().next_sibling);
}
inline Node Node::parent() const {
    // The document (node 0) is a parent too, but has none.
    return index_ == 0 ? Node() : Node(doc_, data().parent);
}
inline Attribute Node::first_attribute() const {
    const NodeData& d = data();
    if (d.first_attribute == d.attribute_end) return {};
    const AttributeData* base = doc_->attributes_.data();
    return {base + d.first_attribute, base + d.attribute_end};
}

}  // namespace specwatch::parse::xml_views
