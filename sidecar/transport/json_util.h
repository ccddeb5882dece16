#ifndef EXOSPHERE_SIDECAR_TRANSPORT_JSON_UTIL_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_JSON_UTIL_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

// Exception-free helpers around nlohmann::json for reading untrusted documents. Every error is
// kInvalidArgument and names `what` (the document) and the offending key.
namespace exosphere::json {

using Json = nlohmann::json;
using StringMap = std::map<std::string, std::string>;

absl::StatusOr<Json> Parse(absl::string_view text, absl::string_view what);

// Serializes compactly; invalid UTF-8 in strings is replaced rather than thrown on.
std::string Dump(const Json& value);

absl::StatusOr<std::string> GetString(const Json& object, absl::string_view key,
                                      absl::string_view what);
absl::StatusOr<int64_t> GetInt(const Json& object, absl::string_view key, absl::string_view what);
absl::StatusOr<bool> GetBool(const Json& object, absl::string_view key, absl::string_view what);
// The member must be an array or object respectively; returns a reference into `object`.
absl::StatusOr<const Json*> GetArray(const Json& object, absl::string_view key,
                                     absl::string_view what);
absl::StatusOr<const Json*> GetObject(const Json& object, absl::string_view key,
                                      absl::string_view what);
// An object whose values are all strings.
absl::StatusOr<StringMap> ToStringMap(const Json& value, absl::string_view what);
absl::StatusOr<StringMap> GetStringMap(const Json& object, absl::string_view key,
                                       absl::string_view what);

Json FromStringMap(const StringMap& map);

}  // namespace exosphere::json

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_JSON_UTIL_H_
