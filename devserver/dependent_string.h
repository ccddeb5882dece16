#ifndef EXOSPHERE_DEVSERVER_DEPENDENT_STRING_H_
#define EXOSPHERE_DEVSERVER_DEPENDENT_STRING_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "devserver/json.h"

namespace exosphere::devserver {

// A node input with `${{ id.outputs.field }}` / `${{ store.key }}` placeholders (contract 4.3).
// Immutable value type; thread-compatible.
class DependentString {
 public:
  struct Dependent {
    std::string identifier;  // "store" for store placeholders
    std::string field;
    std::string tail;  // literal text after the placeholder
  };
  using Key = std::pair<std::string, std::string>;  // (identifier, field)

  // Parses `text`. Errors are kInvalidArgument with the state manager's exact message, e.g.
  // "Invalid syntax string placeholder  a.b  for: ${{ a.b }}" or
  // "Invalid syntax string placeholder  a.outputs.b for: ${{ a.outputs.b '${' not closed".
  static absl::StatusOr<DependentString> Parse(absl::string_view text);

  const std::string& head() const { return head_; }
  const std::vector<Dependent>& dependents() const { return dependents_; }

  // Distinct (identifier, field) pairs in order of first appearance.
  std::vector<Key> IdentifierFields() const;

  // Substitutes the value of each placeholder. A missing value or a value that is not a string
  // fails with kInvalidArgument and the text Python raises (`Dependent value is not set for: ...`,
  // `unsupported operand type(s) for +: 'int' and 'str'`, ...).
  absl::StatusOr<std::string> Render(const std::map<Key, Json>& values) const;

 private:
  std::string head_;
  std::vector<Dependent> dependents_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_DEPENDENT_STRING_H_
