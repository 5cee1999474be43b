#include "cli/table.h"

#include "common/text.h"

#include <algorithm>
#include <utility>

namespace specwatch::cli {

namespace {

std::string fit(const std::string& text, std::size_t max_width) {
    return max_width == 0 ? text : truncate_display(text, max_width);
}

void pad(std::string& line, std::size_t n) {
    line.append(n, ' ');
}

}  // namespace

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(columns_.size());
    for (std::size_t i = 0; i < cells.size(); ++i)
        cells[i] = fit(sanitize_line(cells[i]), columns_[i].max_width);
    rows_.push_back(Row{std::move(cells), {}});
}

void Table::add_detail(std::string text) {
    if (!rows_.empty()) rows_.back().detail = sanitize_line(text);
}

std::string Table::render(std::size_t terminal_width) const {
    if (columns_.empty()) return {};
    const std::size_t n = columns_.size();

    std::vector<std::string> header(n);
    for (std::size_t i = 0; i < n; ++i) header[i] = sanitize_line(columns_[i].header);

    std::vector<std::size_t> widths(n, 0);
    const auto measure = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < n; ++i)
            widths[i] = std::max(widths[i], display_width(cells[i]));
    };
    measure(header);
    for (const auto& row : rows_) measure(row.cells);

    // Only the last column gives way to the terminal: it is the free text
    // (a title, an error), the others are short keys, dates and counts.
    std::size_t last_limit = 0;
    if (terminal_width > 0) {
        std::size_t used = 0;
        for (std::size_t i = 0; i + 1 < n; ++i) used += widths[i] + kGap;
        if (used + widths[n - 1] > terminal_width) {
            last_limit =
                terminal_width > used + kMinLastColumn ? terminal_width - used : kMinLastColumn;
            widths[n - 1] = std::min(widths[n - 1], last_limit);
        }
    }

    std::string out;
    const auto emit = [&](const std::vector<std::string>& cells) {
        std::string line;
        for (std::size_t i = 0; i < n; ++i) {
            const bool last = i + 1 == n;
            const std::string cell = last ? fit(cells[i], last_limit) : cells[i];
            const std::size_t w = display_width(cell);
            const std::size_t gap = widths[i] > w ? widths[i] - w : 0;
            if (columns_[i].align == Align::right) {
                pad(line, gap);
                line += cell;
            } else {
                line += cell;
                if (!last) pad(line, gap);
            }
            if (!last) pad(line, kGap);
        }
        // A right-aligned or empty last cell can leave trailing blanks.
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line;
        out += '\n';
    };
    const std::size_t detail_width = terminal_width > kDetailIndent + kMinLastColumn
                                         ? terminal_width - kDetailIndent
                                         : kMaxDetail;
    emit(header);
    for (const auto& row : rows_) {
        emit(row.cells);
        if (row.detail.empty()) continue;
        out.append(kDetailIndent, ' ');
        out += truncate_display(row.detail, detail_width);
        out += '\n';
    }
    return out;
}

}  // namespace specwatch::cli
