#pragma once
// Aligned text tables for the CLI's human output. Cells are untrusted (feed
// titles, server errors): the table sanitizes every cell to one line without
// escape sequences, and measures and truncates by display width so wide (CJK)
// characters keep the columns aligned.
#include <cstddef>
#include <string>
#include <vector>

namespace specwatch::cli {

enum class Align { left, right };

struct Column {
    std::string header;
    Align align = Align::left;
    // Cells wider than this are cut with "…"; 0 means no limit.
    std::size_t max_width = 0;
};

class Table {
  public:
    explicit Table(std::vector<Column> columns);

    // A row with fewer cells than columns is padded with empty cells; extra
    // cells are ignored.
    void add_row(std::vector<std::string> cells);

    // A second line under the last row, indented by kDetailIndent (a search
    // snippet): sanitized, and cut to the terminal's width when there is one,
    // else to kMaxDetail columns.
    void add_detail(std::string text);

    [[nodiscard]] std::size_t rows() const { return rows_.size(); }

    // The header and every row, each line ending in "\n". With terminal_width
    // > 0 (stdout is a terminal that wide) the last column is shortened so
    // lines fit, as long as it keeps kMinLastColumn columns.
    [[nodiscard]] std::string render(std::size_t terminal_width = 0) const;

    // Below this the last column would be useless; lines wrap instead.
    static constexpr std::size_t kMinLastColumn = 10;
    // Two spaces between columns: one is hard to read with left-aligned text.
    static constexpr std::size_t kGap = 2;
    static constexpr std::size_t kDetailIndent = 4;
    // A snippet is a few dozen words around the match; more is noise.
    static constexpr std::size_t kMaxDetail = 160;

  private:
    struct Row {
        std::vector<std::string> cells;
        std::string detail;
    };
    std::vector<Column> columns_;
    std::vector<Row> rows_;
};

}  // namespace specwatch::cli
