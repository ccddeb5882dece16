#include "devserver/dependent_string.h"

#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "devserver/python_repr.h"

namespace exosphere::devserver {
namespace {

constexpr absl::string_view kOpen = "${{";
constexpr absl::string_view kClose = "}}";

}  // namespace

absl::StatusOr<DependentString> DependentString::Parse(absl::string_view text) {
  // Python: text.split("${{") — the first piece is the head, every later piece holds one
  // placeholder followed by literal text.
  std::vector<absl::string_view> pieces = absl::StrSplit(text, kOpen);
  DependentString result;
  result.head_ = std::string(pieces[0]);
  for (size_t i = 1; i < pieces.size(); ++i) {
    const absl::string_view piece = pieces[i];
    const size_t close = piece.find(kClose);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("Invalid syntax string placeholder ", piece,
                                                     " for: ", text, " '${' not closed"));
    }
    const absl::string_view content = piece.substr(0, close);
    const absl::string_view tail = piece.substr(close + kClose.size());
    std::vector<std::string> parts;
    for (absl::string_view part : absl::StrSplit(content, '.')) {
      parts.push_back(std::string(absl::StripAsciiWhitespace(part)));
    }
    Dependent dependent;
    if (parts.size() == 3 && parts[1] == "outputs") {
      dependent.identifier = parts[0];
      dependent.field = parts[2];
    } else if (parts.size() == 2 && parts[0] == "store") {
      dependent.identifier = "store";
      dependent.field = parts[1];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid syntax string placeholder ", content, " for: ", text));
    }
    dependent.tail = std::string(tail);
    result.dependents_.push_back(std::move(dependent));
  }
  return result;
}

std::vector<DependentString::Key> DependentString::IdentifierFields() const {
  std::vector<Key> keys;
  std::set<Key> seen;
  for (const Dependent& dependent : dependents_) {
    Key key(dependent.identifier, dependent.field);
    if (seen.insert(key).second) keys.push_back(std::move(key));
  }
  return keys;
}

absl::StatusOr<std::string> DependentString::Render(const std::map<Key, Json>& values) const {
  std::string out = head_;
  for (const Dependent& dependent : dependents_) {
    auto it = values.find(Key(dependent.identifier, dependent.field));
    if (it == values.end() || it->second.is_null()) {
      // str() of the Pydantic model Dependent(identifier, field, tail, value=None).
      return absl::InvalidArgumentError(absl::StrCat(
          "Dependent value is not set for: identifier=", PythonStringRepr(dependent.identifier),
          " field=", PythonStringRepr(dependent.field), " tail=", PythonStringRepr(dependent.tail),
          " value=None"));
    }
    const Json& value = it->second;
    if (!value.is_string()) {
      // Python evaluates `value + tail` with a non-str value.
      if (value.is_array()) {
        return absl::InvalidArgumentError("can only concatenate list (not \"str\") to list");
      }
      return absl::InvalidArgumentError(absl::StrCat("unsupported operand type(s) for +: '",
                                                     PythonTypeName(value), "' and 'str'"));
    }
    absl::StrAppend(&out, value.get_ref<const std::string&>(), dependent.tail);
  }
  return out;
}

}  // namespace exosphere::devserver
