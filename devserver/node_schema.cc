#include "devserver/node_schema.h"

#include "absl/status/status.h"

namespace exosphere::devserver {

absl::StatusOr<std::vector<std::pair<std::string, const Json*>>> SchemaProperties(
    const Json& schema) {
  std::vector<std::pair<std::string, const Json*>> fields;
  if (!schema.is_object()) return absl::InvalidArgumentError("Schema must be a JSON object");
  const Json* properties = FindMember(schema, "properties");
  if (properties == nullptr) return fields;
  if (!properties->is_object()) {
    return absl::InvalidArgumentError("Schema 'properties' must be a JSON object");
  }
  for (auto it = properties->begin(); it != properties->end(); ++it) {
    fields.emplace_back(it.key(), &it.value());
  }
  return fields;
}

bool IsPlainStringSchema(const Json& property_schema) {
  const Json* type = FindMember(property_schema, "type");
  if (type == nullptr || !type->is_string() || type->get_ref<const std::string&>() != "string") {
    return false;
  }
  return FindMember(property_schema, "format") == nullptr &&
         FindMember(property_schema, "enum") == nullptr &&
         FindMember(property_schema, "const") == nullptr;
}

}  // namespace exosphere::devserver
