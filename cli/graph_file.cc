#include "cli/graph_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "common/status_macros.h"
#include <yaml-cpp/yaml.h>

namespace exosphere::cli {
namespace {

// Which scalars keep their text: values the contract requires to be strings.
enum class Scalars { kTyped, kStrings };

std::string Where(absl::string_view source, const YAML::Mark& mark) {
  return absl::StrCat(source, ":", mark.line + 1, ":", mark.column + 1);
}

// YAML 1.2 core schema for plain (unquoted) scalars.
json::Json TypedScalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  int64_t integer = 0;
  if (absl::SimpleAtoi(text, &integer)) return integer;
  double real = 0;
  if ((absl::ascii_isdigit(text[0]) || text[0] == '-' || text[0] == '+' || text[0] == '.') &&
      absl::SimpleAtod(text, &real)) {
    return real;
  }
  return text;
}

absl::StatusOr<json::Json> ToJson(const YAML::Node& node, Scalars scalars, absl::string_view source,
                                  const std::string& path);

absl::StatusOr<json::Json> MapToJson(const YAML::Node& node, absl::string_view source,
                                     const std::string& path, Scalars scalars) {
  json::Json object = json::Json::object();
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(source, entry.first.Mark()), ": ", path, ": keys must be strings"));
    }
    const std::string key = entry.first.Scalar();
    if (object.contains(key)) {
      return absl::InvalidArgumentError(absl::StrCat(Where(source, entry.first.Mark()), ": ", path,
                                                     ": duplicate key '", key, "'"));
    }
    const std::string child_path = path.empty() ? key : absl::StrCat(path, ".", key);
    Scalars child_scalars = scalars;
    if (key == "inputs" || key == "secrets" || key == "default_values") {
      child_scalars = Scalars::kStrings;
    }
    EXO_ASSIGN_OR_RETURN(object[key], ToJson(entry.second, child_scalars, source, child_path));
  }
  return object;
}

absl::StatusOr<json::Json> ToJson(const YAML::Node& node, Scalars scalars, absl::string_view source,
                                  const std::string& path) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return scalars == Scalars::kStrings ? json::Json("") : json::Json(nullptr);
    case YAML::NodeType::Scalar:
      // "!" is the tag of a quoted (non-plain) scalar: always a string.
      if (scalars == Scalars::kStrings || node.Tag() == "!") return node.Scalar();
      return TypedScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      json::Json array = json::Json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        EXO_ASSIGN_OR_RETURN(json::Json item,
                             ToJson(node[i], scalars, source, absl::StrCat(path, "[", i, "]")));
        array.push_back(std::move(item));
      }
      return array;
    }
    case YAML::NodeType::Map:
      return MapToJson(node, source, path, scalars);
    case YAML::NodeType::Undefined:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", path, ": unreadable value"));
}

}  // namespace

absl::StatusOr<GraphDefinition> ParseGraphDefinition(absl::string_view text,
                                                     absl::string_view source) {
  YAML::Node root;
  // yaml-cpp reports syntax errors by throwing; they are turned into a Status here, the only
  // place it is called.
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(source, error.mark), ": not valid YAML: ", error.msg));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": expected a mapping with `name` and `nodes` at the top"));
  }
  static const std::set<std::string> kKeys = {"name",         "nodes",        "secrets",
                                              "retry_policy", "store_config", "triggers"};
  for (const auto& entry : root) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (kKeys.count(key) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(source, entry.first.Mark()), ": unknown key '", key,
                       "' (expected one of: ", absl::StrJoin(kKeys, ", "), ")"));
    }
  }
  EXO_ASSIGN_OR_RETURN(json::Json document, MapToJson(root, source, "", Scalars::kTyped));
  GraphDefinition definition;
  if (auto name = document.find("name"); name != document.end()) {
    if (!name->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": `name` must be a string"));
    }
    definition.name = name->get<std::string>();
    document.erase("name");
  }
  if (!document.contains("nodes") || !document["nodes"].is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": `nodes` must be a list of nodes"));
  }
  if (!document.contains("secrets")) document["secrets"] = json::Json::object();
  definition.body = std::move(document);
  return definition;
}

absl::StatusOr<GraphDefinition> LoadGraphFile(const std::string& path,
                                              const std::string& name_override,
                                              const std::string& ns) {
  std::ifstream file(path);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream contents;
  contents << file.rdbuf();
  EXO_ASSIGN_OR_RETURN(GraphDefinition definition, ParseGraphDefinition(contents.str(), path));
  if (!name_override.empty()) definition.name = name_override;
  if (definition.name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no graph name: add `name: ...` to the file or pass --name"));
  }
  for (json::Json& node : definition.body["nodes"]) {
    if (node.is_object() && !node.contains("namespace")) node["namespace"] = ns;
  }
  return definition;
}

}  // namespace exosphere::cli
