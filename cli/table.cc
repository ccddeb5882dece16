#include "cli/table.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace exosphere::cli {
namespace {

constexpr size_t kMinColumn = 6;
constexpr size_t kGap = 2;

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string OneLine(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

size_t DisplayWidth(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !IsContinuationByte(c); }));
}

std::string Truncate(const std::string& text, size_t width) {
  if (DisplayWidth(text) <= width) return text;
  if (width <= 3) return std::string(width, '.');
  size_t kept = 0;
  size_t end = 0;
  while (end < text.size()) {
    if (!IsContinuationByte(text[end])) {
      if (kept == width - 3) break;
      ++kept;
    }
    ++end;
  }
  return text.substr(0, end) + "...";
}

Table::Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void Table::AddRow(std::vector<std::string> row) {
  for (std::string& cell : row) cell = OneLine(cell);
  row.resize(std::max(row.size(), rows_.front().size()));
  rows_.push_back(std::move(row));
}

std::string Table::Render(int width) const {
  const size_t columns = rows_.front().size();
  std::vector<size_t> widths(columns, 0);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < columns; ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  if (width > 0) {
    auto total = [&] {
      size_t sum = (columns - 1) * kGap;
      for (size_t w : widths) sum += w;
      return sum;
    };
    while (total() > static_cast<size_t>(width)) {
      auto widest = std::max_element(widths.begin(), widths.end());
      if (*widest <= kMinColumn) break;
      const size_t excess = total() - static_cast<size_t>(width);
      // Shrink the widest column down to the next widest (or by the excess), then look again.
      size_t next = kMinColumn;
      for (size_t w : widths) {
        if (w < *widest) next = std::max(next, w);
      }
      *widest -= std::max<size_t>(1, std::min(excess, *widest - next));
    }
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < columns; ++i) {
      const std::string cell = Truncate(row[i], widths[i]);
      absl::StrAppend(&line, cell);
      if (i + 1 < columns) line.append(widths[i] - DisplayWidth(cell) + kGap, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace exosphere::cli
