#include "cli/json_text.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace exosphere::cli {

std::string TextOf(const json::Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : json::Dump(*it);
}

std::string Pairs(const json::Json& object) {
  if (!object.is_object()) return "";
  std::vector<std::string> pairs;
  for (auto it = object.begin(); it != object.end(); ++it) {
    pairs.push_back(
        absl::StrCat(it.key(), "=", it->is_string() ? it->get<std::string>() : json::Dump(*it)));
  }
  return absl::StrJoin(pairs, " ");
}

}  // namespace exosphere::cli
