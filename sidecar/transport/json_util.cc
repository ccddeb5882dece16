#include "sidecar/transport/json_util.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace exosphere::json {
namespace {

absl::Status Missing(absl::string_view key, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": missing field '", key, "'"));
}

absl::Status WrongType(absl::string_view key, absl::string_view expected, const Json& got,
                       absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": field '", key, "' must be ", expected, ", got ", got.type_name()));
}

absl::StatusOr<const Json*> Member(const Json& object, absl::string_view key,
                                   absl::string_view what) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a JSON object, got ", object.type_name()));
  }
  auto it = object.find(std::string(key));
  if (it == object.end()) return Missing(key, what);
  return &*it;
}

}  // namespace

absl::StatusOr<Json> Parse(absl::string_view text, absl::string_view what) {
  Json value = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": body is not valid JSON"));
  }
  return value;
}

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<std::string> GetString(const Json& object, absl::string_view key,
                                      absl::string_view what) {
  auto member = Member(object, key, what);
  if (!member.ok()) return member.status();
  if (!(*member)->is_string()) return WrongType(key, "a string", **member, what);
  return (*member)->get<std::string>();
}

absl::StatusOr<int64_t> GetInt(const Json& object, absl::string_view key, absl::string_view what) {
  auto member = Member(object, key, what);
  if (!member.ok()) return member.status();
  if (!(*member)->is_number_integer()) return WrongType(key, "an integer", **member, what);
  return (*member)->get<int64_t>();
}

absl::StatusOr<bool> GetBool(const Json& object, absl::string_view key, absl::string_view what) {
  auto member = Member(object, key, what);
  if (!member.ok()) return member.status();
  if (!(*member)->is_boolean()) return WrongType(key, "a boolean", **member, what);
  return (*member)->get<bool>();
}

absl::StatusOr<const Json*> GetArray(const Json& object, absl::string_view key,
                                     absl::string_view what) {
  auto member = Member(object, key, what);
  if (!member.ok()) return member.status();
  if (!(*member)->is_array()) return WrongType(key, "an array", **member, what);
  return *member;
}

absl::StatusOr<const Json*> GetObject(const Json& object, absl::string_view key,
                                      absl::string_view what) {
  auto member = Member(object, key, what);
  if (!member.ok()) return member.status();
  if (!(*member)->is_object()) return WrongType(key, "an object", **member, what);
  return *member;
}

absl::StatusOr<StringMap> ToStringMap(const Json& value, absl::string_view what) {
  if (!value.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected an object of strings, got ", value.type_name()));
  }
  StringMap map;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!it.value().is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": value of '", it.key(), "' must be a string, got ", it.value().type_name()));
    }
    map.emplace(it.key(), it.value().get<std::string>());
  }
  return map;
}

absl::StatusOr<StringMap> GetStringMap(const Json& object, absl::string_view key,
                                       absl::string_view what) {
  auto member = GetObject(object, key, what);
  if (!member.ok()) return member.status();
  return ToStringMap(**member, absl::StrCat(what, " field '", key, "'"));
}

Json FromStringMap(const StringMap& map) {
  Json object = Json::object();
  for (const auto& [key, value] : map) object[key] = value;
  return object;
}

}  // namespace exosphere::json
