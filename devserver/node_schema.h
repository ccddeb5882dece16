#ifndef EXOSPHERE_DEVSERVER_NODE_SCHEMA_H_
#define EXOSPHERE_DEVSERVER_NODE_SCHEMA_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

#include "devserver/json.h"

namespace exosphere::devserver {

// The fields of a registered node's inputs/outputs JSON schema, as the state manager sees them
// after turning the schema into a Pydantic model: the `properties` in order. A schema without
// `properties` has no fields; `properties` that is not an object is an error (kInvalidArgument).
// Pure; thread-safe.
absl::StatusOr<std::vector<std::pair<std::string, const Json*>>> SchemaProperties(
    const Json& schema);

// Whether a property schema becomes a plain `str` field: `"type": "string"` without `format`,
// `enum` or `const` (which would make it a date, UUID, Literal, ...).
bool IsPlainStringSchema(const Json& property_schema);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_NODE_SCHEMA_H_
