#include "devserver/models.h"

#include <array>
#include <limits>

namespace exosphere::devserver {
namespace {

template <typename Enum, size_t N>
std::optional<Enum> ParseByName(absl::string_view name,
                                const std::array<std::pair<Enum, absl::string_view>, N>& table) {
  for (const auto& [value, text] : table) {
    if (text == name) return value;
  }
  return std::nullopt;
}

template <typename Enum, size_t N>
absl::string_view NameOf(Enum value,
                         const std::array<std::pair<Enum, absl::string_view>, N>& table) {
  for (const auto& [candidate, text] : table) {
    if (candidate == value) return text;
  }
  return "";
}

constexpr std::array<std::pair<StateStatus, absl::string_view>, 8> kStateStatusNames = {{
    {StateStatus::kCreated, "CREATED"},
    {StateStatus::kQueued, "QUEUED"},
    {StateStatus::kExecuted, "EXECUTED"},
    {StateStatus::kErrored, "ERRORED"},
    {StateStatus::kNextCreatedError, "NEXT_CREATED_ERROR"},
    {StateStatus::kSuccess, "SUCCESS"},
    {StateStatus::kPruned, "PRUNED"},
    {StateStatus::kRetryCreated, "RETRY_CREATED"},
}};

constexpr std::array<std::pair<ValidationStatus, absl::string_view>, 3> kValidationStatusNames = {{
    {ValidationStatus::kPending, "PENDING"},
    {ValidationStatus::kValid, "VALID"},
    {ValidationStatus::kInvalid, "INVALID"},
}};

constexpr std::array<std::pair<UnitesStrategy, absl::string_view>, 2> kUnitesStrategyNames = {{
    {UnitesStrategy::kAllSuccess, "ALL_SUCCESS"},
    {UnitesStrategy::kAllDone, "ALL_DONE"},
}};

constexpr std::array<std::pair<RetryStrategy, absl::string_view>, 9> kRetryStrategyNames = {{
    {RetryStrategy::kExponential, "EXPONENTIAL"},
    {RetryStrategy::kExponentialFullJitter, "EXPONENTIAL_FULL_JITTER"},
    {RetryStrategy::kExponentialEqualJitter, "EXPONENTIAL_EQUAL_JITTER"},
    {RetryStrategy::kLinear, "LINEAR"},
    {RetryStrategy::kLinearFullJitter, "LINEAR_FULL_JITTER"},
    {RetryStrategy::kLinearEqualJitter, "LINEAR_EQUAL_JITTER"},
    {RetryStrategy::kFixed, "FIXED"},
    {RetryStrategy::kFixedFullJitter, "FIXED_FULL_JITTER"},
    {RetryStrategy::kFixedEqualJitter, "FIXED_EQUAL_JITTER"},
}};

constexpr std::array<std::pair<CronRecordStatus, absl::string_view>, 5> kCronRecordStatusNames = {{
    {CronRecordStatus::kPending, "PENDING"},
    {CronRecordStatus::kTriggering, "TRIGGERING"},
    {CronRecordStatus::kTriggered, "TRIGGERED"},
    {CronRecordStatus::kFailed, "FAILED"},
    {CronRecordStatus::kCancelled, "CANCELLED"},
}};

}  // namespace

absl::string_view StateStatusName(StateStatus status) { return NameOf(status, kStateStatusNames); }
std::optional<StateStatus> ParseStateStatus(absl::string_view name) {
  return ParseByName(name, kStateStatusNames);
}

absl::string_view ValidationStatusName(ValidationStatus status) {
  return NameOf(status, kValidationStatusNames);
}
std::optional<ValidationStatus> ParseValidationStatus(absl::string_view name) {
  return ParseByName(name, kValidationStatusNames);
}

absl::string_view UnitesStrategyName(UnitesStrategy strategy) {
  return NameOf(strategy, kUnitesStrategyNames);
}
std::optional<UnitesStrategy> ParseUnitesStrategy(absl::string_view name) {
  return ParseByName(name, kUnitesStrategyNames);
}

absl::string_view RetryStrategyName(RetryStrategy strategy) {
  return NameOf(strategy, kRetryStrategyNames);
}
std::optional<RetryStrategy> ParseRetryStrategy(absl::string_view name) {
  return ParseByName(name, kRetryStrategyNames);
}
std::vector<absl::string_view> RetryStrategyNames() {
  std::vector<absl::string_view> names;
  names.reserve(kRetryStrategyNames.size());
  for (const auto& entry : kRetryStrategyNames) names.push_back(entry.second);
  return names;
}

absl::string_view CronRecordStatusName(CronRecordStatus status) {
  return NameOf(status, kCronRecordStatusNames);
}
std::optional<CronRecordStatus> ParseCronRecordStatus(absl::string_view name) {
  return ParseByName(name, kCronRecordStatusNames);
}

const NodeTemplate* GraphTemplate::FindNode(absl::string_view identifier) const {
  for (const NodeTemplate& node : nodes) {
    if (node.identifier == identifier) return &node;
  }
  return nullptr;
}

const std::string* State::FindParent(absl::string_view parent_identifier) const {
  for (const auto& [identifier, state_id] : parents) {
    if (identifier == parent_identifier) return &state_id;
  }
  return nullptr;
}

int64_t ToEpochMillis(absl::Time time) { return absl::ToUnixMillis(time); }

int64_t SaturatingAdd(int64_t a, int64_t b) {
  const __int128 sum = static_cast<__int128>(a) + b;
  if (sum > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (sum < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(sum);
}

}  // namespace exosphere::devserver
