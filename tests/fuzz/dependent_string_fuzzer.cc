// Fuzzes the devserver's parser of node inputs with `${{ id.outputs.field }}` and
// `${{ store.key }}` placeholders (devserver/dependent_string.h, contract 4.3). The input is the
// text of one input value, as a graph upsert request carries it.
//
// Invariants: no crash; errors are kInvalidArgument with a message; a parsed string renders
// with a value for each of its placeholders (head + value + tail, in order) and fails without
// them; IdentifierFields lists each placeholder once.

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "devserver/dependent_string.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using exosphere::devserver::DependentString;
  using exosphere::devserver::Json;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<DependentString> parsed = DependentString::Parse(text);
  if (!parsed.ok()) {
    exosphere::fuzz::CheckError(parsed.status());
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument,
               parsed.status().ToString());
    return 0;
  }

  const std::vector<DependentString::Key> keys = parsed->IdentifierFields();
  FUZZ_CHECK(std::set<DependentString::Key>(keys.begin(), keys.end()).size() == keys.size(),
             "IdentifierFields repeats a key");
  FUZZ_CHECK(keys.size() <= parsed->dependents().size(), "more keys than placeholders");

  std::map<DependentString::Key, Json> values;
  std::string expected = parsed->head();
  for (size_t i = 0; i < keys.size(); ++i) values[keys[i]] = absl::StrCat("<v", i, ">");
  for (const DependentString::Dependent& dependent : parsed->dependents()) {
    const auto it = values.find({dependent.identifier, dependent.field});
    FUZZ_CHECK(it != values.end(), dependent.identifier + "." + dependent.field);
    absl::StrAppend(&expected, it->second.get<std::string>(), dependent.tail);
  }
  absl::StatusOr<std::string> rendered = parsed->Render(values);
  FUZZ_CHECK(rendered.ok(), rendered.status().ToString());
  FUZZ_CHECK(*rendered == expected, *rendered + " != " + expected);

  if (!keys.empty()) {
    absl::StatusOr<std::string> unset = parsed->Render({});
    exosphere::fuzz::CheckError(unset.status());
    values[keys.front()] = Json::array();
    absl::StatusOr<std::string> not_text = parsed->Render(values);
    exosphere::fuzz::CheckError(not_text.status());
  } else {
    FUZZ_CHECK(parsed->head() == text, "text without placeholders changed");
  }
  return 0;
}
