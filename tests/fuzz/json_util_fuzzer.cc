// Fuzzes the common JSON helpers (sidecar/transport/json_util.h) that every sidecar reader of a
// state-manager reply or request field uses: Parse, the typed getters and the string-map
// conversions.
//
// Invariants: no crash or exception; errors are kInvalidArgument and name the document; a parsed
// document dumps to text that parses back to an equal document; the getters agree with the
// document's types.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"

#include "sidecar/transport/json_util.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using exosphere::json::Json;

constexpr char kWhat[] = "fuzz document";

void CheckInvalid(const absl::Status& status) {
  exosphere::fuzz::CheckError(status);
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument, status.ToString());
  FUZZ_CHECK(absl::StrContains(status.message(), kWhat), status.ToString());
}

template <typename Result>
void CheckGetter(const Result& result) {
  if (!result.ok()) CheckInvalid(result.status());
}

void ReadMembers(const Json& value) {
  namespace json = exosphere::json;
  if (!value.is_object()) {
    CheckGetter(json::GetString(value, "state_id", kWhat));
    CheckGetter(json::ToStringMap(value, kWhat));
    return;
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& key = it.key();
    const Json& member = it.value();
    const auto text = json::GetString(value, key, kWhat);
    FUZZ_CHECK(text.ok() == member.is_string(), key);
    CheckGetter(text);
    CheckGetter(json::GetInt(value, key, kWhat));
    const auto flag = json::GetBool(value, key, kWhat);
    FUZZ_CHECK(flag.ok() == member.is_boolean(), key);
    CheckGetter(flag);
    const auto array = json::GetArray(value, key, kWhat);
    FUZZ_CHECK(array.ok() == member.is_array(), key);
    CheckGetter(array);
    const auto object = json::GetObject(value, key, kWhat);
    FUZZ_CHECK(object.ok() == member.is_object(), key);
    CheckGetter(object);
    const auto map = json::GetStringMap(value, key, kWhat);
    CheckGetter(map);
    if (map.ok()) FUZZ_CHECK(json::FromStringMap(*map) == member, key);
  }
  CheckGetter(json::GetString(value, "no such key", kWhat));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace json = exosphere::json;
  absl::StatusOr<Json> parsed =
      json::Parse(absl::string_view(reinterpret_cast<const char*>(data), size), kWhat);
  if (!parsed.ok()) {
    CheckInvalid(parsed.status());
    return 0;
  }
  const std::string dumped = json::Dump(*parsed);
  absl::StatusOr<Json> again = json::Parse(dumped, kWhat);
  FUZZ_CHECK(again.ok(), dumped);
  FUZZ_CHECK(json::Dump(*again) == dumped, dumped);
  ReadMembers(*parsed);
  if (parsed->is_array()) {
    for (const Json& item : *parsed) ReadMembers(item);
  }
  return 0;
}
