#ifndef EXOSPHERE_CLI_TABLE_H_
#define EXOSPHERE_CLI_TABLE_H_

#include <string>
#include <vector>

namespace exosphere::cli {

// A text table with a header row, columns separated by two spaces. Cells are shown on one line
// (control characters become spaces). Not thread-safe.
class Table {
 public:
  explicit Table(std::vector<std::string> header);

  // Rows shorter than the header are padded with empty cells.
  void AddRow(std::vector<std::string> row);

  // The table, each line ending in '\n'. With `width` > 0 the widest columns are cut (ending in
  // "...") until every line fits in `width` columns, keeping each column at least 6 wide.
  std::string Render(int width) const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

// `text` on one line: newlines, tabs and other control characters become spaces.
std::string OneLine(const std::string& text);

// `text` cut to at most `width` characters (UTF-8 aware), ending in "..." when cut.
std::string Truncate(const std::string& text, size_t width);

// The number of characters (UTF-8 code points) of `text`.
size_t DisplayWidth(const std::string& text);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_TABLE_H_
