#include "sidecar/core/hello_validator.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "common/status_macros.h"
#include "sidecar/transport/quoting.h"

namespace exosphere::sidecar {
namespace {

constexpr size_t kMaxNameLength = 128;
constexpr char kNameRule[] = "use 1 to 128 letters, digits, '_', '-' or '.'";
constexpr char kFieldRule[] = "use 1 to 128 letters, digits, '_' or '-'";

absl::Status CheckFields(const google::protobuf::RepeatedPtrField<std::string>& fields,
                         absl::string_view list_name, absl::string_view node_context,
                         size_t max_fields, std::vector<std::string>& out) {
  if (static_cast<size_t>(fields.size()) > max_fields) {
    return absl::InvalidArgumentError(absl::StrCat(node_context, ": ", list_name, " has ",
                                                   fields.size(), " fields; at most ", max_fields));
  }
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < fields.size(); ++i) {
    const std::string& field = fields[i];
    if (!IsValidFieldName(field)) {
      return absl::InvalidArgumentError(
          absl::StrCat(node_context, ": ", list_name, "[", i, "] ", QuoteForMessage(field),
                       " is not a valid field name (", kFieldRule, ")"));
    }
    if (!seen.insert(field).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(node_context, ": ", list_name, " lists \"", field, "\" twice"));
    }
    out.push_back(field);
  }
  // Sorted, so that two workers listing the same fields in another order agree.
  std::sort(out.begin(), out.end());
  return absl::OkStatus();
}

json::Json DerivedSchema(const std::vector<std::string>& fields, absl::string_view title) {
  json::Json properties = json::Json::object();
  for (const std::string& field : fields) properties[field] = {{"type", "string"}};
  return {{"type", "object"},
          {"title", std::string(title)},
          {"properties", std::move(properties)},
          {"required", fields},
          {"additionalProperties", false}};
}

// How deep `text` nests objects and arrays, counted without parsing (and so without building
// a 3,000-level document); brackets inside strings do not count.
int NestingDepth(absl::string_view text) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

// A worker's own schema must describe exactly its declared fields, all strings: the state
// manager renders every input as a string and v1 is strings-only end to end.
absl::StatusOr<json::Json> CheckSchema(const std::string& text,
                                       const std::vector<std::string>& fields,
                                       absl::string_view schema_name, absl::string_view title,
                                       absl::string_view node_context, const HelloLimits& limits) {
  if (text.empty()) return DerivedSchema(fields, title);
  const std::string where = absl::StrCat(node_context, ": ", schema_name);
  if (text.size() > limits.max_schema_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " is ", text.size(), " bytes; at most ", limits.max_schema_bytes));
  }
  if (const int depth = NestingDepth(text); depth > limits.max_schema_depth) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " nests ", depth, " levels deep; at most ", limits.max_schema_depth));
  }
  json::Json schema = json::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded() || !schema.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(where, " is not a JSON object"));
  }
  auto properties = schema.find("properties");
  if (properties == schema.end() || !properties->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(where, " has no \"properties\" object"));
  }
  std::set<std::string> declared(fields.begin(), fields.end());
  std::set<std::string> described;
  for (auto it = properties->begin(); it != properties->end(); ++it) {
    described.insert(it.key());
    const json::Json& property = it.value();
    auto type = property.is_object() ? property.find("type") : property.end();
    if (!property.is_object() || type == property.end() || *type != "string") {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " property ", QuoteForMessage(it.key()),
                       " is not a string (v1 supports {\"type\": \"string\"} only)"));
    }
    if (declared.count(it.key()) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " describes ", QuoteForMessage(it.key()), ", which is not a declared field"));
    }
  }
  for (const std::string& field : declared) {
    if (described.count(field) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " does not describe the declared field \"", field, "\""));
    }
  }
  return schema;
}

bool IsNameChar(char c, bool allow_dot) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
         (allow_dot && c == '.');
}

bool CheckName(absl::string_view name, bool allow_dot) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    if (!IsNameChar(c, allow_dot)) return false;
  }
  return true;
}

}  // namespace

bool IsValidName(absl::string_view name) { return CheckName(name, /*allow_dot=*/true); }
bool IsValidFieldName(absl::string_view name) { return CheckName(name, /*allow_dot=*/false); }

absl::StatusOr<WorkerSpec> ValidateHello(const v1::Hello& hello, const HelloLimits& limits) {
  WorkerSpec spec;
  spec.ns = hello.namespace_().empty() ? limits.default_namespace : hello.namespace_();
  if (!IsValidName(spec.ns)) {
    return absl::InvalidArgumentError(absl::StrCat("Hello.namespace ", QuoteForMessage(spec.ns),
                                                   " is not a valid name (", kNameRule, ")"));
  }
  if (!IsValidName(hello.runtime_name())) {
    return absl::InvalidArgumentError(absl::StrCat("Hello.runtime_name ",
                                                   QuoteForMessage(hello.runtime_name()),
                                                   " is not a valid name (", kNameRule, ")"));
  }
  spec.runtime_name = hello.runtime_name();
  spec.label = hello.worker_label().substr(0, kMaxNameLength);
  if (hello.slots() < 1 || hello.slots() > limits.max_slots) {
    return absl::InvalidArgumentError(absl::StrCat("Hello.slots must be between 1 and ",
                                                   limits.max_slots, ", got ", hello.slots()));
  }
  spec.slots = hello.slots();
  if (hello.nodes().empty()) {
    return absl::InvalidArgumentError("Hello.nodes is empty: declare at least one node");
  }
  if (static_cast<size_t>(hello.nodes_size()) > limits.max_nodes) {
    return absl::InvalidArgumentError(
        absl::StrCat("Hello.nodes has ", hello.nodes_size(), " nodes; at most ", limits.max_nodes));
  }
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < hello.nodes_size(); ++i) {
    const v1::NodeDefinition& definition = hello.nodes(i);
    if (!IsValidName(definition.name())) {
      return absl::InvalidArgumentError(absl::StrCat("Hello.nodes[", i, "].name ",
                                                     QuoteForMessage(definition.name()),
                                                     " is not a valid name (", kNameRule, ")"));
    }
    const std::string context = absl::StrCat("Hello.nodes[", i, "] \"", definition.name(), "\"");
    if (!names.insert(definition.name()).second) {
      return absl::InvalidArgumentError(absl::StrCat(context, " is declared twice"));
    }
    auto node = std::make_shared<NodeSpec>();
    node->name = definition.name();
    EXO_RETURN_IF_ERROR(CheckFields(definition.input_fields(), "input_fields", context,
                                    limits.max_fields, node->input_fields));
    EXO_RETURN_IF_ERROR(CheckFields(definition.output_fields(), "output_fields", context,
                                    limits.max_fields, node->output_fields));
    EXO_RETURN_IF_ERROR(CheckFields(definition.secret_fields(), "secret_fields", context,
                                    limits.max_fields, node->secret_fields));
    EXO_ASSIGN_OR_RETURN(node->inputs_schema,
                         CheckSchema(definition.inputs_schema_json(), node->input_fields,
                                     "inputs_schema_json", "Inputs", context, limits));
    EXO_ASSIGN_OR_RETURN(node->outputs_schema,
                         CheckSchema(definition.outputs_schema_json(), node->output_fields,
                                     "outputs_schema_json", "Outputs", context, limits));
    const absl::Duration deadline = absl::Milliseconds(definition.deadline_ms());
    if (deadline > limits.max_deadline) {
      return absl::InvalidArgumentError(
          absl::StrCat(context, ": deadline_ms ", definition.deadline_ms(),
                       " exceeds the maximum of ", absl::ToInt64Milliseconds(limits.max_deadline)));
    }
    node->deadline = definition.deadline_ms() > 0 ? deadline : limits.default_deadline;
    spec.nodes.push_back(std::move(node));
  }
  return spec;
}

}  // namespace exosphere::sidecar
