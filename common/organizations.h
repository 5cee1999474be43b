#pragma once
// Organization names as the bodies write them ("Huawei Technologies Co., Ltd.",
// "Telefonaktiebolaget LM Ericsson") mapped to one name each ("Huawei",
// "Ericsson"), so that counting contributions per organization counts one
// company once. The table is built in (kBuiltinOrganizations in the .cpp) and
// extended by the config's [organizations] table, whose entries win.
//
// Choices, documented in README.md: companies that the bodies list side by side
// as co-sources of one contribution stay distinct (Huawei and HiSilicon, Nokia
// and Nokia Shanghai Bell, ZTE and Sanechips): folding them would hide who
// signed. A user who wants them folded adds the alias in the config.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace specwatch {

struct OrgEntry {
    std::string name;     // the normalized name
    std::string country;  // ISO 3166-1 alpha-2, "" when unknown
    std::vector<std::string> aliases;
};

class OrgTable {
  public:
    // The built-in table only.
    OrgTable();
    // The built-in table, then `extra` on top (an alias or name in `extra`
    // takes over the built-in meaning).
    explicit OrgTable(const std::vector<OrgEntry>& extra);

    // The normalized name of one organization: its table name when known;
    // else the name as written, white space collapsed and trailing legal forms
    // ("Co., Ltd.", "Inc.", "GmbH") dropped. "" for a name with no letters.
    [[nodiscard]] std::string normalize(std::string_view name) const;
    // The country of a normalized name, "" when the table does not know it.
    [[nodiscard]] std::string country(std::string_view normalized) const;

    // A "Source" cell or an affiliation split into organizations, each
    // normalized, duplicates dropped, in order: "Huawei, HiSilicon" → two;
    // "Huawei Technologies Co., Ltd." stays one ("Ltd." is no company).
    [[nodiscard]] std::vector<std::string> split(std::string_view list) const;
    // Normalizes each name of an already split list (JSON arrays), duplicates dropped.
    [[nodiscard]] std::vector<std::string> normalize_all(
        const std::vector<std::string>& names) const;

    // The table every parse uses when the config adds nothing.
    [[nodiscard]] static const OrgTable& builtin();

  private:
    void add(const OrgEntry& e);
    std::map<std::string, std::string> by_key_;   // match key → name
    std::map<std::string, std::string> country_;  // name → country
};

// The key two spellings of one name share: lower-case words, punctuation
// dropped, trailing legal forms dropped ("Nokia Shanghai-Bell" and
// "nokia shanghai bell" → "nokia shanghai bell").
[[nodiscard]] std::string org_key(std::string_view name);

}  // namespace specwatch
