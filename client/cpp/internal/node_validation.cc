#include "client/cpp/internal/node_validation.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace exosphere::client::internal {
namespace {

constexpr size_t kMaxNameLength = 128;
constexpr char kNameRule[] = "use 1 to 128 letters, digits, '_', '-' or '.'";
constexpr char kFieldRule[] = "use 1 to 128 letters, digits, '_' or '-'";

bool IsValidNameWith(const std::string& name, bool allow_dot) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') continue;
    if (allow_dot && c == '.') continue;
    return false;
  }
  return true;
}

void CheckFields(const std::string& node, const char* list_name,
                 const std::vector<std::string>& fields, std::vector<std::string>& errors) {
  std::set<std::string> seen;
  for (const std::string& field : fields) {
    if (!IsValidFieldName(field)) {
      errors.push_back(absl::StrCat("Node \"", node, "\": ", list_name, " field \"", field,
                                    "\" is not a valid field name (", kFieldRule, ")"));
    } else if (!seen.insert(field).second) {
      errors.push_back(
          absl::StrCat("Node \"", node, "\": ", list_name, " lists \"", field, "\" twice"));
    }
  }
}

void CheckSchema(const std::string& node, const char* schema_name, const std::string& text,
                 std::vector<std::string>& errors) {
  if (text.empty()) return;
  // Parsing into a Struct accepts exactly JSON objects; the sidecar checks the properties.
  google::protobuf::Struct parsed;
  if (!google::protobuf::util::JsonStringToMessage(text, &parsed).ok()) {
    errors.push_back(absl::StrCat("Node \"", node, "\": ", schema_name, " is not a JSON object"));
  }
}

}  // namespace

bool IsValidName(const std::string& name) { return IsValidNameWith(name, /*allow_dot=*/true); }

bool IsValidFieldName(const std::string& name) {
  return IsValidNameWith(name, /*allow_dot=*/false);
}

absl::Status ValidateRuntime(const std::string& namespace_name, const std::string& runtime_name,
                             const std::vector<std::shared_ptr<BaseNode>>& nodes,
                             const RuntimeOptions& options) {
  if (options.workers < 1) return absl::InvalidArgumentError("Workers should be at least 1");
  if (options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError(
        "Reconnect backoff must be positive, with max_backoff at least initial_backoff");
  }
  if (!namespace_name.empty() && !IsValidName(namespace_name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Namespace \"", namespace_name, "\" is not a valid name (", kNameRule, ")"));
  }
  if (!IsValidName(runtime_name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Runtime name \"", runtime_name, "\" is not a valid name (", kNameRule, ")"));
  }

  std::vector<std::string> errors;
  if (nodes.empty()) errors.push_back("At least one node is required");
  std::map<std::string, int> name_counts;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i] == nullptr) {
      errors.push_back(absl::StrCat("Node ", i, " is null"));
      continue;
    }
    const NodeSpec& spec = nodes[i]->spec();
    if (spec.name.empty()) {
      errors.push_back(absl::StrCat("Node ", i, " has an empty name"));
    } else if (!IsValidName(spec.name)) {
      errors.push_back(
          absl::StrCat("Node name \"", spec.name, "\" is not a valid name (", kNameRule, ")"));
    }
    ++name_counts[spec.name];
    const std::string label = spec.name.empty() ? absl::StrCat("#", i) : spec.name;
    CheckFields(label, "inputs", spec.inputs, errors);
    CheckFields(label, "outputs", spec.outputs, errors);
    CheckFields(label, "secrets", spec.secrets, errors);
    if (spec.deadline < absl::ZeroDuration()) {
      errors.push_back(absl::StrCat("Node \"", label, "\": deadline must not be negative"));
    }
    CheckSchema(label, "inputs_schema_json", spec.inputs_schema_json, errors);
    CheckSchema(label, "outputs_schema_json", spec.outputs_schema_json, errors);
  }
  std::vector<std::string> duplicates;
  for (const auto& [name, count] : name_counts) {
    if (count > 1 && !name.empty()) duplicates.push_back(name);
  }
  if (!duplicates.empty()) {
    errors.push_back(
        absl::StrCat("Duplicate node names found: [", absl::StrJoin(duplicates, ", "), "]"));
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("Node validation errors:\n", absl::StrJoin(errors, "\n")));
}

}  // namespace exosphere::client::internal
