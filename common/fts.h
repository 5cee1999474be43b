#pragma once
// The one full-text language of specwatch (DESIGN.md invariant 5): storage
// builds its FTS5 index with these columns and tokenizer, and the config
// compiles rule queries against the same definition, so a query that loads is
// a query that runs, and `search` shows exactly what a rule would catch.
namespace specwatch::fts {

// unicode61 splits on everything but letters and digits, so "5G" is the token
// "5g" and never matches "25G" or "5GHz"; "IMT-2030" is the phrase "imt 2030".
// remove_diacritics 2 lets "reseau" find "réseau".
inline constexpr const char* kTokenize = "unicode61 remove_diacritics 2";
inline constexpr const char* kColumns = "title, summary, content, categories, location";

}  // namespace specwatch::fts
