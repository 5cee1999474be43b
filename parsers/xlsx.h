#pragma once
// XLSX workbooks (Office Open XML spreadsheets) such as 3GPP's TDoc lists:
// the first sheet's rows as items, columns mapped to item fields by the
// header row's names ([source.xlsx]). The ZIP container is read from memory
// with libzip, the sheet XML with pugixml.
//
// Bounded: every part is read with a cap on its uncompressed size (a zip
// bomb stops at the cap, whatever its headers claim), and so is the sum of
// the parts read; items and shared strings are capped too.
#include "common/item.h"
#include "common/result.h"
#include "config/config.h"

#include <cstddef>
#include <string_view>

namespace specwatch::parse {

struct XlsxLimits {
    // A TDoc list of 3,000 contributions is about 5 MiB of sheet XML; pugixml
    // holds ~7 bytes of DOM per byte of dense cell XML, so 32 MiB keeps a
    // hostile sheet under ~250 MB of memory.
    std::size_t max_part = 32 * 1024 * 1024;
    // The parts read together (workbook, relationships, shared strings, sheet).
    std::size_t max_total = 64 * 1024 * 1024;
    std::size_t max_items = 100'000;
    std::size_t max_shared_strings = 1'000'000;
};

// The mapping used when the source has none: 3GPP's TDoc list columns.
[[nodiscard]] const config::XlsxRules& tdoc_list_rules();

// Parses `bytes` (a whole .xlsx file). Without `rules` (or with an empty
// mapping), tdoc_list_rules() applies. Organizations are split on commas but
// not normalized here (parse() normalizes every format's).
[[nodiscard]] Result<Feed> parse_xlsx(std::string_view bytes, const config::XlsxRules* rules,
                                      const XlsxLimits& limits = {});

}  // namespace specwatch::parse
