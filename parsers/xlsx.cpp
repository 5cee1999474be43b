#include "parsers/xlsx.h"

#include "common/text.h"
#include "parsers/dates.h"
#include "parsers/text.h"

#include <zip.h>

#include <pugixml.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace specwatch::parse {

namespace {

constexpr std::string_view kPrefix = "XLSX error: ";

// Excel's own limits: a sheet has at most 16,384 columns (XFD) and 1,048,576
// rows; a reference beyond them is not a cell of any real workbook.
constexpr std::size_t kMaxColumn = 16384;
constexpr std::size_t kMaxRow = 1048576;
// Rows looked at for the header: a title row or two may come first.
constexpr std::size_t kHeaderRows = 5;

struct CloseArchive {
    void operator()(zip_t* z) const noexcept { zip_discard(z); }
};
struct CloseFile {
    void operator()(zip_file_t* f) const noexcept { zip_fclose(f); }
};

std::string mib(std::size_t n) {
    return fmt::format("{} MiB", n / (1024 * 1024));
}

// The local name of an element: spreadsheets written by some tools prefix
// every element ("x:row").
std::string_view local(const pugi::xml_node& n) {
    std::string_view name = n.name();
    if (auto colon = name.find(':'); colon != std::string_view::npos) name.remove_prefix(colon + 1);
    return name;
}

pugi::xml_node child(const pugi::xml_node& n, std::string_view name) {
    for (auto c = n.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_element && local(c) == name) return c;
    return {};
}

std::string_view attr(const pugi::xml_node& n, std::string_view name) {
    for (auto a = n.first_attribute(); a; a = a.next_attribute()) {
        std::string_view an = a.name();
        if (an == name) return a.value();
        if (auto colon = an.find(':');
            colon != std::string_view::npos && an.substr(colon + 1) == name)
            return a.value();
    }
    return {};
}

// The text of a shared or inline string: its <t>, or the <t> of each rich text
// run (<r>); phonetic runs (<rPh>) are readings, not text.
void string_text(const pugi::xml_node& si, std::string& out) {
    for (auto c = si.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        const auto name = local(c);
        if (name == "t")
            out += c.text().get();
        else if (name == "r")
            string_text(c, out);
    }
}

class Archive {
  public:
    Archive(const XlsxLimits& limits) : limits_(limits) {}

    Result<void> open(std::string_view bytes) {
        zip_error_t error;
        zip_error_init(&error);
        // No copy: libzip reads `bytes` in place (freep = 0), which outlives
        // the archive.
        zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
        if (!source) return fail(error);
        zip_t* z = zip_open_from_source(source, ZIP_RDONLY, &error);
        if (!z) {
            zip_source_free(source);
            return fail(error);
        }
        zip_.reset(z);
        zip_error_fini(&error);
        return {};
    }

    bool has(const std::string& name) { return zip_name_locate(zip_.get(), name.c_str(), 0) >= 0; }

    // The part's bytes, read up to the limits whatever its header claims.
    Result<std::string> read(const std::string& name) {
        const zip_int64_t index = zip_name_locate(zip_.get(), name.c_str(), 0);
        if (index < 0) return make_error(fmt::format("{}the workbook has no {}", kPrefix, name));
        std::unique_ptr<zip_file_t, CloseFile> file(
            zip_fopen_index(zip_.get(), static_cast<zip_uint64_t>(index), 0));
        if (!file)
            return make_error(
                fmt::format("{}cannot open {}: {}", kPrefix, name, zip_strerror(zip_.get())));
        std::string out;
        char buffer[65536];
        for (;;) {
            const zip_int64_t n = zip_fread(file.get(), buffer, sizeof buffer);
            if (n < 0)
                return make_error(fmt::format("{}cannot read {}: {}", kPrefix, name,
                                              zip_file_strerror(file.get())));
            if (n == 0) break;
            out.append(buffer, static_cast<std::size_t>(n));
            if (out.size() > limits_.max_part)
                return make_error(
                    fmt::format("{}{} is larger than {} uncompressed (a zip bomb?); refused",
                                kPrefix, name, mib(limits_.max_part)));
            if (total_ + out.size() > limits_.max_total)
                return make_error(fmt::format(
                    "{}the workbook's parts are larger than {} uncompressed together (a zip "
                    "bomb?); refused",
                    kPrefix, mib(limits_.max_total)));
        }
        total_ += out.size();
        return Result<std::string>{boost::system::in_place_value, std::move(out)};
    }

  private:
    static Error fail(zip_error_t& error) {
        std::string message = zip_error_strerror(&error);
        const bool not_zip = zip_error_code_zip(&error) == ZIP_ER_NOZIP;
        zip_error_fini(&error);
        if (not_zip) return make_error(fmt::format("{}not a ZIP archive ({})", kPrefix, message));
        return make_error(fmt::format("{}cannot open the ZIP archive: {}", kPrefix, message));
    }

    const XlsxLimits& limits_;
    std::unique_ptr<zip_t, CloseArchive> zip_;
    std::size_t total_ = 0;
};

Result<pugi::xml_document> load_xml(std::string& text, const std::string& part) {
    pugi::xml_document doc;
    // In place: the DOM points into `text` rather than copying every string.
    const auto r = doc.load_buffer_inplace(text.data(), text.size(),
                                           pugi::parse_default & ~pugi::parse_wconv_attribute);
    if (!r)
        return make_error(fmt::format("{}{}: XML error at byte {}: {}", kPrefix, part, r.offset,
                                      r.description()));
    return doc;
}

// "xl/" + a relationship target ("worksheets/sheet1.xml"), or the absolute
// target without its "/" ("/xl/worksheets/sheet1.xml").
std::string part_path(std::string_view target) {
    if (target.starts_with('/')) return std::string(target.substr(1));
    std::string path = "xl/";
    while (target.starts_with("../")) {
        target.remove_prefix(3);
        path.clear();
    }
    return path + std::string(target);
}

struct Parts {
    std::string sheet = "xl/worksheets/sheet1.xml";
    std::string shared_strings = "xl/sharedStrings.xml";
    bool date1904 = false;
};

// The first sheet (workbook order, not file name order) and the shared
// strings, as the workbook and its relationships name them.
Result<Parts> find_parts(Archive& zip) {
    Parts parts;
    if (!zip.has("xl/workbook.xml")) {
        if (zip.has(parts.sheet)) return parts;
        return make_error(fmt::format(
            "{}the ZIP archive has no xl/workbook.xml: not a spreadsheet (XLSX) file", kPrefix));
    }
    auto wb_text = zip.read("xl/workbook.xml");
    if (!wb_text) return wb_text.error();
    auto wb = load_xml(*wb_text, "xl/workbook.xml");
    if (!wb) return wb.error();
    const auto workbook = wb->document_element();
    if (auto pr = child(workbook, "workbookPr")) {
        const auto v = attr(pr, "date1904");
        parts.date1904 = v == "1" || v == "true";
    }
    std::string first_id;
    if (auto sheets = child(workbook, "sheets"))
        if (auto sheet = child(sheets, "sheet")) first_id = std::string(attr(sheet, "id"));
    if (!zip.has("xl/_rels/workbook.xml.rels")) return parts;
    auto rels_text = zip.read("xl/_rels/workbook.xml.rels");
    if (!rels_text) return rels_text.error();
    auto rels = load_xml(*rels_text, "xl/_rels/workbook.xml.rels");
    if (!rels) return rels.error();
    bool sheet_found = false;
    for (auto r = rels->document_element().first_child(); r; r = r.next_sibling()) {
        if (r.type() != pugi::node_element || local(r) != "Relationship") continue;
        const auto type = attr(r, "Type");
        const auto target = attr(r, "Target");
        if (type.ends_with("/sharedStrings")) parts.shared_strings = part_path(target);
        if (!first_id.empty() && attr(r, "Id") == first_id) {
            parts.sheet = part_path(target);
            sheet_found = true;
        }
    }
    if (!first_id.empty() && !sheet_found)
        return make_error(fmt::format(
            "{}the workbook's first sheet ({}) has no relationship in xl/_rels/workbook.xml.rels",
            kPrefix, first_id));
    return parts;
}

Result<std::vector<std::string>> shared_strings(Archive& zip, const Parts& parts,
                                                const XlsxLimits& limits) {
    std::vector<std::string> out;
    if (!zip.has(parts.shared_strings)) return out;
    auto text = zip.read(parts.shared_strings);
    if (!text) return text.error();
    auto doc = load_xml(*text, parts.shared_strings);
    if (!doc) return doc.error();
    for (auto si = doc->document_element().first_child(); si; si = si.next_sibling()) {
        if (si.type() != pugi::node_element || local(si) != "si") continue;
        if (out.size() >= limits.max_shared_strings)
            return make_error(fmt::format("{}{} holds more than {} strings; refused", kPrefix,
                                          parts.shared_strings, limits.max_shared_strings));
        std::string s;
        string_text(si, s);
        out.push_back(std::move(s));
    }
    return out;
}

// "AB12" → column 28 (1-based) and row 12; nullopt when malformed.
struct CellRef {
    std::size_t column = 0, row = 0;
};
std::optional<CellRef> cell_ref(std::string_view r) {
    CellRef ref;
    std::size_t i = 0;
    while (i < r.size() && ((r[i] >= 'A' && r[i] <= 'Z') || (r[i] >= 'a' && r[i] <= 'z'))) {
        const char c = r[i] >= 'a' ? static_cast<char>(r[i] - 'a' + 'A') : r[i];
        ref.column = ref.column * 26 + static_cast<std::size_t>(c - 'A' + 1);
        if (ref.column > kMaxColumn) return std::nullopt;
        ++i;
    }
    const std::size_t letters = i;
    while (i < r.size() && r[i] >= '0' && r[i] <= '9') {
        ref.row = ref.row * 10 + static_cast<std::size_t>(r[i] - '0');
        if (ref.row > kMaxRow) return std::nullopt;
        ++i;
    }
    if (i != r.size() || (letters == 0 && i == 0)) return std::nullopt;
    return ref;
}

// A cell's value as text: shared and inline strings, numbers as written.
struct Cell {
    std::string text;
    bool number = false;
};

Cell cell_value(const pugi::xml_node& c, const std::vector<std::string>& strings) {
    Cell out;
    const auto type = attr(c, "t");
    if (type == "inlineStr") {
        if (auto is = child(c, "is")) string_text(is, out.text);
        return out;
    }
    const std::string_view v = child(c, "v").text().get();
    if (type == "s") {
        std::size_t index = 0;
        bool ok = !v.empty();
        for (char ch : v) {
            if (ch < '0' || ch > '9' || index > strings.size()) {
                ok = false;
                break;
            }
            index = index * 10 + static_cast<std::size_t>(ch - '0');
        }
        if (ok && index < strings.size()) out.text = strings[index];
        return out;
    }
    if (type == "b") {
        out.text = v == "1" ? "TRUE" : "FALSE";
        return out;
    }
    out.text = std::string(v);
    out.number = type.empty() || type == "n";
    return out;
}

// An Excel serial date (days since 1899-12-30, or 1904-01-01) as ISO UTC.
std::string serial_date(std::string_view text, bool date1904) {
    double days = 0;
    try {
        std::size_t used = 0;
        days = std::stod(std::string(text), &used);
        if (used != text.size()) return "";
    } catch (const std::exception&) {
        return "";
    }
    // Days 1 to 2958465 are 1900-01-01 to 9999-12-31, Excel's range.
    if (!std::isfinite(days) || days < 1 || days > 2958465) return "";
    const double epoch_offset = date1904 ? 24107 : 25569;  // days to 1970-01-01
    const auto seconds = static_cast<std::int64_t>(std::llround((days - epoch_offset) * 86400));
    const std::chrono::sys_seconds t{std::chrono::seconds{seconds}};
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", t);
}

std::string lower_trim(std::string_view s) {
    return to_lower_ascii(clean_text(s));
}

// The fields of one item that a column can fill, and how.
enum class Field {
    id,
    title,
    summary,
    content,
    link,
    organizations,
    author,
    categories,
    location,
    published,
    updated,
    start,
    end
};

std::optional<Field> field_of(std::string_view name) {
    static const std::map<std::string_view, Field> fields = {
        {"id", Field::id},
        {"title", Field::title},
        {"summary", Field::summary},
        {"content", Field::content},
        {"link", Field::link},
        {"organizations", Field::organizations},
        {"author", Field::author},
        {"categories", Field::categories},
        {"location", Field::location},
        {"published", Field::published},
        {"updated", Field::updated},
        {"start", Field::start},
        {"end", Field::end}};
    auto it = fields.find(name);
    if (it == fields.end()) return std::nullopt;
    return it->second;
}

bool is_date(Field f) {
    return f == Field::published || f == Field::updated || f == Field::start || f == Field::end;
}

// The header names a mapping value lists: categories may name several columns
// ("Type, For, TDoc Status"); other fields name one.
std::vector<std::string> header_names(Field f, const std::string& value) {
    std::vector<std::string> out;
    if (f != Field::categories) {
        out.push_back(lower_trim(value));
        return out;
    }
    std::size_t i = 0;
    while (i <= value.size()) {
        auto end = value.find(',', i);
        if (end == std::string::npos) end = value.size();
        if (auto h = lower_trim(std::string_view(value).substr(i, end - i)); !h.empty())
            out.push_back(std::move(h));
        i = end + 1;
    }
    return out;
}

struct Column {
    Field field;
};

void set_field(Item& it, Field f, const Cell& cell, bool date1904) {
    std::string text = clean_text(cell.text);
    if (text.empty()) return;
    if (is_date(f)) {
        std::string date = cell.number ? serial_date(text, date1904) : normalize_date(text);
        if (date.empty()) return;
        // A date alone stays a day for start and end (all-day), like JSON's.
        if ((f == Field::start || f == Field::end) && !cell.number && text.size() == 10)
            date = text;
        (f == Field::published ? it.published
         : f == Field::updated ? it.updated
         : f == Field::start   ? it.start
                               : it.end) = std::move(date);
        return;
    }
    switch (f) {
        case Field::id:
            it.id = std::move(text);
            break;
        case Field::title:
            it.title = std::move(text);
            break;
        case Field::summary:
            it.summary = std::move(text);
            break;
        case Field::content:
            it.content = std::move(text);
            break;
        case Field::link:
            it.link = std::move(text);
            break;
        case Field::organizations:
            // Split and normalized by parse(), with the source's alias table.
            it.organizations.push_back(std::move(text));
            break;
        case Field::author:
            it.author = std::move(text);
            break;
        case Field::categories:
            if (std::find(it.categories.begin(), it.categories.end(), text) == it.categories.end())
                it.categories.push_back(std::move(text));
            break;
        case Field::location:
            it.location = std::move(text);
            break;
        default:
            break;
    }
}

std::string shown_headers(const std::vector<std::string>& headers) {
    std::string out;
    std::size_t shown = 0;
    for (const auto& h : headers) {
        if (h.empty()) continue;
        if (shown == 12) return out + ", …";
        out += (shown++ ? ", " : "") + h;
    }
    return out.empty() ? "none" : out;
}

}  // namespace

const config::XlsxRules& tdoc_list_rules() {
    static const config::XlsxRules rules{{{"id", "TDoc"},
                                          {"title", "Title"},
                                          {"organizations", "Source"},
                                          {"author", "Contact"},
                                          {"summary", "Agenda item description"},
                                          {"content", "Abstract"},
                                          {"categories", "Type, For, Agenda item, TDoc Status"},
                                          {"published", "Reservation date"}}};
    return rules;
}

Result<Feed> parse_xlsx(std::string_view bytes, const config::XlsxRules* rules,
                        const XlsxLimits& limits) {
    if (!rules || rules->fields.empty()) rules = &tdoc_list_rules();
    Archive zip(limits);
    if (auto r = zip.open(bytes); !r) return r.error();
    auto parts = find_parts(zip);
    if (!parts) return parts.error();
    auto strings = shared_strings(zip, *parts, limits);
    if (!strings) return strings.error();
    auto sheet_text = zip.read(parts->sheet);
    if (!sheet_text) return sheet_text.error();
    auto sheet = load_xml(*sheet_text, parts->sheet);
    if (!sheet) return sheet.error();
    const auto data = child(sheet->document_element(), "sheetData");
    if (!data) return make_error(fmt::format("{}{} has no <sheetData>", kPrefix, parts->sheet));

    Feed feed;
    feed.format = "xlsx";
    std::map<std::size_t, std::vector<Field>> columns;  // column → fields it fills
    bool have_header = false;
    std::string header_error;  // why the first non-empty row is not the header
    std::size_t header_candidates = 0;
    std::set<std::string> seen_ids;
    std::size_t row_number = 0;
    for (auto row = data.first_child(); row; row = row.next_sibling()) {
        if (row.type() != pugi::node_element || local(row) != "row") continue;
        if (const auto r = attr(row, "r"); !r.empty()) {
            auto ref = cell_ref(r);
            if (!ref || ref->row == 0)
                return make_error(fmt::format("{}{}: row r=\"{}\" is not a row number (1 to {})",
                                              kPrefix, parts->sheet, r, kMaxRow));
            if (ref->row <= row_number)
                return make_error(fmt::format("{}{}: row r=\"{}\" after row {} is out of order",
                                              kPrefix, parts->sheet, r, row_number));
            row_number = ref->row;
        } else {
            ++row_number;
        }
        // A sheet of a million empty rows: each costs one look at its first child.
        if (!row.first_child()) continue;
        std::size_t column = 0;
        if (!have_header) {
            std::vector<std::string> headers;
            for (auto c = row.first_child(); c; c = c.next_sibling()) {
                if (c.type() != pugi::node_element || local(c) != "c") continue;
                if (const auto r = attr(c, "r"); !r.empty()) {
                    auto ref = cell_ref(r);
                    if (!ref || ref->column == 0) continue;
                    column = ref->column;
                } else {
                    ++column;
                }
                auto value = lower_trim(cell_value(c, *strings).text);
                if (value.empty()) continue;
                if (headers.size() < column) headers.resize(column);
                headers[column - 1] = std::move(value);
            }
            if (headers.empty()) continue;
            // The header is the first row naming the id and title columns: a
            // list may open with a title row or two ("TDoc list of RAN1#124").
            std::map<std::size_t, std::vector<Field>> mapped;
            std::string missing;
            for (const auto& [name, header] : rules->fields) {
                const auto field = field_of(name);
                if (!field || header.empty()) continue;
                bool found = false;
                for (const auto& wanted : header_names(*field, header)) {
                    for (std::size_t i = 0; i < headers.size(); ++i) {
                        if (headers[i] == wanted) {
                            mapped[i + 1].push_back(*field);
                            found = true;
                            break;
                        }
                    }
                }
                if (!found && missing.empty() && (*field == Field::id || *field == Field::title))
                    missing = fmt::format(
                        "{}[source.xlsx] {} = \"{}\": no such column in the header row (row {}: "
                        "{})",
                        kPrefix, name, header, row_number, shown_headers(headers));
            }
            if (!missing.empty()) {
                if (header_error.empty()) header_error = std::move(missing);
                if (++header_candidates >= kHeaderRows) return make_error(header_error);
                continue;
            }
            columns = std::move(mapped);
            have_header = true;
            continue;
        }
        Item it;
        for (auto c = row.first_child(); c; c = c.next_sibling()) {
            if (c.type() != pugi::node_element || local(c) != "c") continue;
            if (const auto r = attr(c, "r"); !r.empty()) {
                auto ref = cell_ref(r);
                if (!ref || ref->column == 0) continue;
                column = ref->column;
            } else {
                ++column;
            }
            const auto mapped = columns.find(column);
            if (mapped == columns.end()) continue;
            const Cell cell = cell_value(c, *strings);
            for (Field f : mapped->second) set_field(it, f, cell, parts->date1904);
        }
        if (it.id.empty() && it.title.empty()) continue;  // a row of notes or totals
        if (it.id.empty()) it.id = "hash:" + hash_hex(it.title + '\x1f' + it.published);
        // One item per id: a list that repeats a row keeps the first.
        if (!seen_ids.insert(it.id).second) continue;
        feed.items.push_back(std::move(it));
        if (feed.items.size() >= limits.max_items) break;
    }
    if (!have_header && !header_error.empty()) return make_error(header_error);
    if (!have_header)
        return make_error(
            fmt::format("{}{}: the first sheet is empty (no header row)", kPrefix, parts->sheet));
    return feed;
}

}  // namespace specwatch::parse
