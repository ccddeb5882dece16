#include "tests/reliability/fault_rule.h"

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace exosphere::reliability {
namespace {

constexpr std::array<std::pair<FaultKind, const char*>, 7> kKindNames = {{
    {FaultKind::kDelay, "delay"},
    {FaultKind::kDrop, "drop"},
    {FaultKind::kReset, "reset"},
    {FaultKind::kStatus, "status"},
    {FaultKind::kTruncate, "truncate"},
    {FaultKind::kMalformed, "malformed"},
    {FaultKind::kBlackhole, "blackhole"},
}};

absl::Status Invalid(const FaultRule& rule, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("fault rule '", rule.name, "' (", FaultKindName(rule.kind), "): ", problem));
}

}  // namespace

bool GlobMatches(absl::string_view glob, absl::string_view text) {
  // Iterative wildcard matching with backtracking to the last '*': linear in practice and free
  // of the exponential blow-up of the recursive form.
  size_t g = 0;
  size_t t = 0;
  size_t star = absl::string_view::npos;
  size_t resume = 0;
  while (t < text.size()) {
    if (g < glob.size() && glob[g] == '*') {
      star = g++;
      resume = t;
    } else if (g < glob.size() && glob[g] == text[t]) {
      ++g;
      ++t;
    } else if (star != absl::string_view::npos) {
      g = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

bool FaultRule::Matches(absl::string_view method, absl::string_view path, EndpointKind kind) const {
  if (!methods.empty() && methods.count(std::string(method)) == 0) return false;
  if (!endpoints.empty() && endpoints.count(kind) == 0) return false;
  if (!path_glob.empty()) {
    const absl::string_view bare = path.substr(0, path.find('?'));
    if (!GlobMatches(path_glob, bare)) return false;
  }
  return true;
}

absl::Status ValidateFaultRule(const FaultRule& rule) {
  if (!(rule.probability >= 0.0 && rule.probability <= 1.0)) {
    return Invalid(rule, "probability must be within [0, 1]");
  }
  if (rule.max_injections < 0) return Invalid(rule, "max_injections must not be negative");
  if (rule.delay < absl::ZeroDuration() || rule.max_delay < absl::ZeroDuration()) {
    return Invalid(rule, "delays must not be negative");
  }
  if (rule.max_delay != absl::ZeroDuration() && rule.max_delay < rule.delay) {
    return Invalid(rule, "max_delay must not be below delay");
  }
  if (rule.kind == FaultKind::kStatus && (rule.status < 400 || rule.status > 599)) {
    return Invalid(rule, "status must be within 400..599");
  }
  if (rule.kind == FaultKind::kTruncate && rule.phase != FaultPhase::kAfterForward) {
    return Invalid(rule, "a truncation needs the upstream response: use phase after_forward");
  }
  for (const std::string& method : rule.methods) {
    if (method.empty() || method != absl::AsciiStrToUpper(method)) {
      return Invalid(rule, absl::StrCat("method '", method, "' must be upper case"));
    }
  }
  return absl::OkStatus();
}

std::string FaultKindName(FaultKind kind) {
  for (const auto& [value, name] : kKindNames) {
    if (value == kind) return name;
  }
  return "unknown";
}

std::optional<FaultKind> ParseFaultKind(absl::string_view name) {
  for (const auto& [value, text] : kKindNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string FaultPhaseName(FaultPhase phase) {
  return phase == FaultPhase::kBeforeForward ? "before_forward" : "after_forward";
}

std::optional<FaultPhase> ParseFaultPhase(absl::string_view name) {
  if (name == "before_forward") return FaultPhase::kBeforeForward;
  if (name == "after_forward") return FaultPhase::kAfterForward;
  return std::nullopt;
}

}  // namespace exosphere::reliability
