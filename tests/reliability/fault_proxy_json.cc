#include "tests/reliability/fault_proxy_json.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"

namespace exosphere::reliability {
namespace {

using json::Json;

absl::Status FieldError(const std::string& rule, absl::string_view field,
                        absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("fault rule ", rule, ": field '", field, "' ", problem));
}

absl::StatusOr<std::set<std::string>> StringSet(const Json& value, const std::string& rule,
                                                absl::string_view field) {
  if (!value.is_array()) return FieldError(rule, field, "must be an array of strings");
  std::set<std::string> items;
  for (const Json& item : value) {
    if (!item.is_string()) return FieldError(rule, field, "must be an array of strings");
    items.insert(item.get<std::string>());
  }
  return items;
}

absl::StatusOr<absl::Duration> Millis(const Json& value, const std::string& rule,
                                      absl::string_view field) {
  if (!value.is_number_integer()) return FieldError(rule, field, "must be an integer (ms)");
  return absl::Milliseconds(value.get<int64_t>());
}

absl::Status ApplyField(const std::string& key, const Json& value, const std::string& label,
                        FaultRule& rule) {
  if (key == "name") {
    if (!value.is_string()) return FieldError(label, key, "must be a string");
    rule.name = value.get<std::string>();
  } else if (key == "kind") {
    std::optional<FaultKind> kind =
        value.is_string() ? ParseFaultKind(value.get<std::string>()) : std::nullopt;
    if (!kind.has_value()) {
      return FieldError(label, key,
                        "must be one of delay, drop, reset, status, truncate, malformed, "
                        "blackhole");
    }
    rule.kind = *kind;
  } else if (key == "phase") {
    std::optional<FaultPhase> phase =
        value.is_string() ? ParseFaultPhase(value.get<std::string>()) : std::nullopt;
    if (!phase.has_value()) {
      return FieldError(label, key, "must be before_forward or after_forward");
    }
    rule.phase = *phase;
  } else if (key == "probability") {
    if (!value.is_number()) return FieldError(label, key, "must be a number");
    rule.probability = value.get<double>();
  } else if (key == "enabled") {
    if (!value.is_boolean()) return FieldError(label, key, "must be a boolean");
    rule.enabled = value.get<bool>();
  } else if (key == "max_injections") {
    if (!value.is_number_integer()) return FieldError(label, key, "must be an integer");
    rule.max_injections = value.get<int64_t>();
  } else if (key == "methods") {
    absl::StatusOr<std::set<std::string>> methods = StringSet(value, label, key);
    if (!methods.ok()) return methods.status();
    rule.methods = *std::move(methods);
  } else if (key == "endpoints") {
    absl::StatusOr<std::set<std::string>> names = StringSet(value, label, key);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      std::optional<EndpointKind> endpoint = ParseEndpointKind(name);
      if (!endpoint.has_value()) {
        return FieldError(label, key, absl::StrCat("names an unknown endpoint '", name, "'"));
      }
      rule.endpoints.insert(*endpoint);
    }
  } else if (key == "path") {
    if (!value.is_string()) return FieldError(label, key, "must be a string");
    rule.path_glob = value.get<std::string>();
  } else if (key == "delay_ms") {
    absl::StatusOr<absl::Duration> delay = Millis(value, label, key);
    if (!delay.ok()) return delay.status();
    rule.delay = *delay;
  } else if (key == "max_delay_ms") {
    absl::StatusOr<absl::Duration> delay = Millis(value, label, key);
    if (!delay.ok()) return delay.status();
    rule.max_delay = *delay;
  } else if (key == "status") {
    if (!value.is_number_integer()) return FieldError(label, key, "must be an integer");
    rule.status = value.get<int>();
  } else {
    return FieldError(label, key, "is not a rule field");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FaultRule> FaultRuleFromJson(const Json& value) {
  if (!value.is_object()) return absl::InvalidArgumentError("a fault rule must be a JSON object");
  const std::string label = value.contains("name") && value["name"].is_string()
                                ? absl::StrCat("'", value["name"].get<std::string>(), "'")
                                : std::string("(unnamed)");
  if (!value.contains("kind")) return FieldError(label, "kind", "is required");
  FaultRule rule;
  for (const auto& [key, field] : value.items()) {
    absl::Status applied = ApplyField(key, field, label, rule);
    if (!applied.ok()) return applied;
  }
  return rule;
}

absl::StatusOr<std::vector<FaultRule>> FaultRulesFromJson(const Json& value) {
  const Json* list = &value;
  if (value.is_object()) {
    if (!value.contains("rules") || value.size() != 1) {
      return absl::InvalidArgumentError("a rule set is an array or an object {\"rules\": [...]}");
    }
    list = &value["rules"];
  }
  if (!list->is_array()) return absl::InvalidArgumentError("\"rules\" must be an array");
  std::vector<FaultRule> rules;
  for (const Json& item : *list) {
    absl::StatusOr<FaultRule> rule = FaultRuleFromJson(item);
    if (!rule.ok()) return rule.status();
    rules.push_back(*std::move(rule));
  }
  return rules;
}

absl::StatusOr<std::vector<FaultRule>> ParseFaultRules(absl::string_view text) {
  absl::StatusOr<Json> value = json::Parse(text, "fault rules");
  if (!value.ok()) return value.status();
  return FaultRulesFromJson(*value);
}

Json FaultRuleToJson(const FaultRule& rule) {
  Json methods = Json::array();
  for (const std::string& method : rule.methods) methods.push_back(method);
  Json endpoints = Json::array();
  for (EndpointKind endpoint : rule.endpoints) endpoints.push_back(EndpointKindName(endpoint));
  return Json{{"name", rule.name},
              {"kind", FaultKindName(rule.kind)},
              {"phase", FaultPhaseName(rule.phase)},
              {"probability", rule.probability},
              {"enabled", rule.enabled},
              {"max_injections", rule.max_injections},
              {"methods", methods},
              {"endpoints", endpoints},
              {"path", rule.path_glob},
              {"delay_ms", absl::ToInt64Milliseconds(rule.delay)},
              {"max_delay_ms", absl::ToInt64Milliseconds(rule.max_delay)},
              {"status", rule.status}};
}

Json FaultRulesToJson(const std::vector<FaultRule>& rules) {
  Json list = Json::array();
  for (const FaultRule& rule : rules) list.push_back(FaultRuleToJson(rule));
  return Json{{"rules", list}};
}

Json StatsToJson(const FaultProxyStats& stats, bool per_state) {
  Json requests = Json::object();
  for (const auto& [key, count] : stats.requests) {
    requests[absl::StrCat(key.first, " ", EndpointKindName(key.second))] = count;
  }
  Json statuses = Json::object();
  for (const auto& [status, count] : stats.upstream_statuses) {
    statuses[absl::StrCat(status)] = count;
  }
  Json by_kind = Json::object();
  for (const auto& [kind, count] : stats.faults_by_kind) by_kind[FaultKindName(kind)] = count;
  Json by_rule = Json::object();
  for (const auto& [name, count] : stats.faults_by_rule) by_rule[name] = count;
  Json undelivered = Json::array();
  for (const std::string& id : stats.StatesWithUndeliveredClaims()) undelivered.push_back(id);
  Json duplicates = Json::array();
  for (const std::string& id : stats.StatesWithDuplicateExecuted()) duplicates.push_back(id);
  Json result{
      {"connections_accepted", stats.connections_accepted},
      {"connections_open", stats.connections_open},
      {"upstream_failures", stats.upstream_failures},
      {"requests", requests},
      {"upstream_statuses", statuses},
      {"faults_by_kind", by_kind},
      {"faults_by_rule", by_rule},
      {"faults_total", stats.TotalFaults()},
      {"applied",
       {{"executed", stats.TotalApplied(EndpointKind::kExecuted)},
        {"errored", stats.TotalApplied(EndpointKind::kErrored)},
        {"prune", stats.TotalApplied(EndpointKind::kPrune)},
        {"re_enqueue_after", stats.TotalApplied(EndpointKind::kReEnqueueAfter)},
        {"states", static_cast<int64_t>(stats.applied_reports.size())}}},
      {"duplicate_executed_states", duplicates},
      {"claimed_states", static_cast<int64_t>(stats.claims.size())},
      {"undelivered_claim_states", undelivered},
  };
  if (per_state) {
    Json by_state = Json::object();
    for (const auto& [id, reports] : stats.applied_reports) {
      by_state[id] = Json{{"executed", reports.executed},
                          {"errored", reports.errored},
                          {"prune", reports.prune},
                          {"re_enqueue_after", reports.re_enqueue_after}};
    }
    result["applied_reports"] = by_state;
  }
  return result;
}

}  // namespace exosphere::reliability
