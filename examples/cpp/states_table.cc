#include "examples/cpp/states_table.h"

#include <algorithm>
#include <array>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace exosphere::examples {
namespace {

using Row = std::array<std::string, 4>;

std::string Details(const client::RunState& state) {
  if (!state.error.empty()) return absl::StrCat("error: ", state.error);
  if (state.outputs.empty()) return "-";
  return absl::StrJoin(state.outputs, ", ", absl::PairFormatter("="));
}

}  // namespace

std::string FormatStatesTable(const client::RunStates& states) {
  std::vector<Row> rows = {{"IDENTIFIER", "NODE", "STATUS", "OUTPUTS"}};
  for (const client::RunState& state : states.states) {
    rows.push_back(
        {state.identifier, state.node_name, client::ToString(state.status), Details(state)});
  }
  std::array<size_t, 3> widths = {0, 0, 0};
  for (const Row& row : rows) {
    for (size_t column = 0; column < widths.size(); ++column) {
      widths[column] = std::max(widths[column], row[column].size());
    }
  }
  std::string table;
  for (const Row& row : rows) {
    for (size_t column = 0; column < widths.size(); ++column) {
      absl::StrAppend(&table, row[column],
                      std::string(widths[column] - row[column].size() + 2, ' '));
    }
    absl::StrAppend(&table, row[3], "\n");
  }
  return table;
}

}  // namespace exosphere::examples
