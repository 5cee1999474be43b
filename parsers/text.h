#pragma once
// Feed text to plain text: HTML fragments (RSS descriptions, Atom type="html")
// lose their markup, character references are decoded, white space is folded.
// What is left is what search indexes and mail shows.
#include <cstddef>
#include <string>
#include <string_view>

namespace specwatch::parse {

// Decodes HTML character references: the whole HTML5 named table ("&egrave;",
// "&mdash;", legacy forms without ";" as HTML5 reads them) and numeric ones
// (windows-1252 remapping of &#128;–&#159;, U+FFFD for invalid code points).
[[nodiscard]] std::string decode_entities(std::string_view s);

// Plain text for output: invalid UTF-8 replaced, control characters and
// terminal escapes removed, every run of white space (no-break and other
// Unicode spaces too) one space, trimmed.
[[nodiscard]] std::string clean_text(std::string_view s);
// True when clean_text(s) is `s` itself (printable ASCII, single inner
// spaces, none at the ends), found in one look: callers can then read `s`
// where it is instead of a cleaned copy.
[[nodiscard]] bool is_clean_text(std::string_view s);
// The same in several simple passes: what clean_text's one pass is tested
// against, and what it falls back to for invalid UTF-8 and terminal escapes.
[[nodiscard]] std::string clean_text_reference(std::string_view s);

// True when `s` holds HTML markup (a known HTML tag) or character references:
// for fields that are text by the specs but often HTML in practice (RSS titles).
[[nodiscard]] bool looks_like_html(std::string_view s);

// Elements whose boundaries separate words ("<p>a</p><p>b</p>" is "a b"), and
// elements whose content is never shown (script, style, template, ...). Names
// are lower case local names; used for XHTML content walked as XML too.
[[nodiscard]] bool is_block_element(std::string_view name);
[[nodiscard]] bool is_hidden_element(std::string_view name);

// Converts HTML fragments to plain text (script and style contents dropped,
// block elements separating words, references decoded, then clean_text).
//
// Simple fragments (well nested common elements, which most feeds send) are
// read directly, giving exactly gumbo's text; the others are parsed with
// gumbo, a full HTML5 parser, which gets the odd
// cases right (unclosed elements, raw text, comments, attributes holding ">").
// gumbo's time grows with the square of the element nesting depth and it
// crashes on some hostile nestings of ~100,000 formatting elements, so a
// fragment with too many tags or too deep a naive nesting, and any fragment
// after a document's budget of gumbo tags is spent, goes through a linear
// tag scanner instead, whose text is the same for all but odd markup. One
// converter serves one document: the budget is what makes a hostile document
// of many fragments cheap too.
class HtmlToText {
  public:
    // Per fragment: at most this many tags and this naive nesting depth for
    // gumbo; real articles stay well below (a long post has ~2,000 tags).
    static constexpr std::size_t kMaxTags = 5000;
    static constexpr std::size_t kMaxDepth = 256;
    // Per document: 50 fragments at the limit cost ~1 s in gumbo at worst.
    static constexpr std::size_t kDocumentTags = 250000;

    [[nodiscard]] std::string operator()(std::string_view html);

    // How many fragments went through the linear scanner (for tests).
    [[nodiscard]] std::size_t fallbacks() const { return fallbacks_; }

  private:
    std::size_t tags_left_ = kDocumentTags;
    std::size_t fallbacks_ = 0;
};

// The tag count and naive nesting depth of a whole page, not counting the
// elements whose end tags HTML lets authors omit (td, tr, li, p, ...), so
// that a table of unclosed cells is shallow: what decides whether gumbo may
// parse the page (its time grows with the square of real nesting).
struct HtmlShape {
    std::size_t tags = 0;
    std::size_t depth = 0;
};
[[nodiscard]] HtmlShape html_page_shape(std::string_view html);

// One fragment with a fresh converter.
[[nodiscard]] std::string html_to_text(std::string_view html);

// The gumbo path alone, and the direct reader alone (false when the fragment
// needs gumbo); HtmlToText tries the direct reader first. Exposed so tests
// and fuzzing can prove the two give the same text.
[[nodiscard]] std::string html_to_text_gumbo(std::string_view html);
[[nodiscard]] bool html_to_text_direct(std::string_view html, std::string& out);

// The linear scanner alone (exposed so tests can compare it with gumbo).
[[nodiscard]] std::string html_to_text_linear(std::string_view html);

}  // namespace specwatch::parse
