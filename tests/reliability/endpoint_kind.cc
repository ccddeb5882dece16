#include "tests/reliability/endpoint_kind.h"

#include <array>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"

namespace exosphere::reliability {
namespace {

constexpr std::array<std::pair<EndpointKind, const char*>, 13> kNames = {{
    {EndpointKind::kRegisterNodes, "register_nodes"},
    {EndpointKind::kGraph, "graph"},
    {EndpointKind::kTrigger, "trigger"},
    {EndpointKind::kEnqueue, "enqueue"},
    {EndpointKind::kExecuted, "executed"},
    {EndpointKind::kErrored, "errored"},
    {EndpointKind::kPrune, "prune"},
    {EndpointKind::kReEnqueueAfter, "re_enqueue_after"},
    {EndpointKind::kManualRetry, "manual_retry"},
    {EndpointKind::kSecrets, "secrets"},
    {EndpointKind::kInspection, "inspection"},
    {EndpointKind::kHealth, "health"},
    {EndpointKind::kOther, "other"},
}};

// `segments` are the parts after /v0/namespace/{ns}/ (a trailing slash leaves an empty last
// segment, which is how `nodes/` differs from `nodes`).
Endpoint ClassifyNamespaced(const std::vector<absl::string_view>& segments) {
  const size_t n = segments.size();
  if (n == 2 && segments[0] == "nodes" && segments[1].empty()) {
    return {EndpointKind::kRegisterNodes, std::nullopt};
  }
  if (n == 2 && segments[0] == "graph") return {EndpointKind::kGraph, std::nullopt};
  if (n == 3 && segments[0] == "graph" && segments[2] == "trigger") {
    return {EndpointKind::kTrigger, std::nullopt};
  }
  if (n == 2 && segments[0] == "states" && segments[1] == "enqueue") {
    return {EndpointKind::kEnqueue, std::nullopt};
  }
  if (n == 3 && segments[0] == "state") {
    static constexpr std::array<std::pair<const char*, EndpointKind>, 6> kActions = {{
        {"executed", EndpointKind::kExecuted},
        {"errored", EndpointKind::kErrored},
        {"prune", EndpointKind::kPrune},
        {"re-enqueue-after", EndpointKind::kReEnqueueAfter},
        {"manual-retry", EndpointKind::kManualRetry},
        {"secrets", EndpointKind::kSecrets},
    }};
    for (const auto& [action, kind] : kActions) {
      if (segments[2] == action) return {kind, std::string(segments[1])};
    }
    return {};
  }
  if ((n >= 1 && (segments[0] == "runs" || segments[0] == "graphs")) ||
      (n >= 3 && segments[0] == "states") ||
      (n >= 4 && segments[0] == "graph" && segments[2] == "run")) {
    return {EndpointKind::kInspection, std::nullopt};
  }
  return {};
}

}  // namespace

Endpoint ClassifyEndpoint(absl::string_view target) {
  const size_t query = target.find('?');
  const absl::string_view path = target.substr(0, query);
  if (path == "/health") return {EndpointKind::kHealth, std::nullopt};
  if (path == "/v0/namespaces") return {EndpointKind::kInspection, std::nullopt};
  constexpr absl::string_view kPrefix = "/v0/namespace/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return {};
  std::vector<absl::string_view> segments = absl::StrSplit(path.substr(kPrefix.size()), '/');
  // segments[0] is the namespace.
  if (segments.size() < 2 || segments[0].empty()) return {};
  segments.erase(segments.begin());
  return ClassifyNamespaced(segments);
}

std::string EndpointKindName(EndpointKind kind) {
  for (const auto& [value, name] : kNames) {
    if (value == kind) return name;
  }
  return "other";
}

std::optional<EndpointKind> ParseEndpointKind(absl::string_view name) {
  for (const auto& [value, text] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool IsReport(EndpointKind kind) {
  return kind == EndpointKind::kExecuted || kind == EndpointKind::kErrored ||
         kind == EndpointKind::kPrune || kind == EndpointKind::kReEnqueueAfter;
}

}  // namespace exosphere::reliability
