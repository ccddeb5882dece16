#include "tests/fakes/fake_state_manager_client.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

#include "common/ids.h"

namespace exosphere::testing {

void FakeStateManagerClient::AddClaimable(const std::string& ns, sidecar::ClaimedState state) {
  absl::MutexLock lock(&mu_);
  claimable_.emplace_back(ns, std::move(state));
}

void FakeStateManagerClient::SetSecrets(const std::string& state_id, json::StringMap secrets) {
  absl::MutexLock lock(&mu_);
  secrets_[state_id] = std::move(secrets);
}

void FakeStateManagerClient::SetClaimHook(std::function<absl::Status(const ClaimCall&)> hook) {
  absl::MutexLock lock(&mu_);
  claim_hook_ = std::move(hook);
}

void FakeStateManagerClient::SetReportHook(std::function<absl::Status(const SentReport&)> hook) {
  absl::MutexLock lock(&mu_);
  report_hook_ = std::move(hook);
}

void FakeStateManagerClient::SetRegisterHook(
    std::function<absl::Status(const Registration&)> hook) {
  absl::MutexLock lock(&mu_);
  register_hook_ = std::move(hook);
}

void FakeStateManagerClient::SetSecretsHook(
    std::function<absl::Status(const std::string& state_id)> hook) {
  absl::MutexLock lock(&mu_);
  secrets_hook_ = std::move(hook);
}

std::vector<FakeStateManagerClient::ClaimCall> FakeStateManagerClient::claim_calls() const {
  absl::MutexLock lock(&mu_);
  return claim_calls_;
}

std::vector<FakeStateManagerClient::SentReport> FakeStateManagerClient::reports() const {
  absl::MutexLock lock(&mu_);
  return reports_;
}

int FakeStateManagerClient::report_attempts() const {
  absl::MutexLock lock(&mu_);
  return report_attempts_;
}

std::vector<FakeStateManagerClient::Registration> FakeStateManagerClient::registrations() const {
  absl::MutexLock lock(&mu_);
  return registrations_;
}

int FakeStateManagerClient::secrets_calls() const {
  absl::MutexLock lock(&mu_);
  return secrets_calls_;
}

size_t FakeStateManagerClient::claimable() const {
  absl::MutexLock lock(&mu_);
  return claimable_.size();
}

bool FakeStateManagerClient::AwaitReports(size_t count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return reports_.size() >= count; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

bool FakeStateManagerClient::AwaitClaimCalls(size_t count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return claim_calls_.size() >= count; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

bool FakeStateManagerClient::AwaitReportAttempts(int count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return report_attempts_ >= count; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

bool FakeStateManagerClient::AwaitRegistrations(size_t count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return registrations_.size() >= count; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

void FakeStateManagerClient::SetGraphPendingReads(int pending_reads) {
  absl::MutexLock lock(&mu_);
  graph_pending_reads_ = pending_reads;
}

void FakeStateManagerClient::SetRunGraph(const std::string& run_id, json::Json document) {
  absl::MutexLock lock(&mu_);
  run_graphs_[run_id] = std::move(document);
}

void FakeStateManagerClient::SetNodeDetails(const std::string& state_id, json::Json document) {
  absl::MutexLock lock(&mu_);
  node_details_[state_id] = std::move(document);
}

std::vector<json::Json> FakeStateManagerClient::upsert_bodies() const {
  absl::MutexLock lock(&mu_);
  return upsert_bodies_;
}

std::vector<json::Json> FakeStateManagerClient::trigger_bodies() const {
  absl::MutexLock lock(&mu_);
  return trigger_bodies_;
}

int FakeStateManagerClient::graph_reads() const {
  absl::MutexLock lock(&mu_);
  return graph_reads_total_;
}

void FakeStateManagerClient::SetNodeDetailsHook(
    std::function<absl::Status(const std::string& state_id)> hook) {
  absl::MutexLock lock(&mu_);
  node_details_hook_ = std::move(hook);
}

absl::Status FakeStateManagerClient::RegisterNodes(
    absl::string_view ns, absl::string_view runtime_name,
    const std::vector<sidecar::NodeRegistration>& nodes) {
  Registration registration{std::string(ns), std::string(runtime_name), nodes};
  std::function<absl::Status(const Registration&)> hook;
  {
    absl::MutexLock lock(&mu_);
    hook = register_hook_;
  }
  // Hooks run without the lock so that they may block on the test's own synchronization.
  if (hook) {
    absl::Status status = hook(registration);
    if (!status.ok()) return status;
  }
  absl::MutexLock lock(&mu_);
  registrations_.push_back(std::move(registration));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<sidecar::ClaimedState>> FakeStateManagerClient::ClaimStates(
    absl::string_view ns, const std::vector<std::string>& node_names, int batch_size) {
  ClaimCall call{std::string(ns), node_names, batch_size};
  std::function<absl::Status(const ClaimCall&)> hook;
  {
    absl::MutexLock lock(&mu_);
    hook = claim_hook_;
  }
  absl::Status hooked = hook ? hook(call) : absl::OkStatus();
  absl::MutexLock lock(&mu_);
  claim_calls_.push_back(call);
  if (!hooked.ok()) return hooked;
  std::vector<sidecar::ClaimedState> claimed;
  for (auto it = claimable_.begin();
       it != claimable_.end() && static_cast<int>(claimed.size()) < batch_size;) {
    const bool matches = it->first == ns && std::find(node_names.begin(), node_names.end(),
                                                      it->second.node_name) != node_names.end();
    if (matches) {
      claimed.push_back(std::move(it->second));
      it = claimable_.erase(it);
    } else {
      ++it;
    }
  }
  return claimed;
}

absl::StatusOr<json::StringMap> FakeStateManagerClient::GetSecrets(absl::string_view ns,
                                                                   absl::string_view state_id) {
  std::function<absl::Status(const std::string&)> hook;
  {
    absl::MutexLock lock(&mu_);
    ++secrets_calls_;
    hook = secrets_hook_;
  }
  if (hook) {
    absl::Status status = hook(std::string(state_id));
    if (!status.ok()) return status;
  }
  absl::MutexLock lock(&mu_);
  auto it = secrets_.find(std::string(state_id));
  if (it == secrets_.end()) return absl::UnavailableError("GET secrets: HTTP 500");
  return it->second;
}

absl::Status FakeStateManagerClient::SendReport(absl::string_view ns,
                                                const sidecar::Report& report) {
  SentReport sent{std::string(ns), report, 0};
  std::function<absl::Status(const SentReport&)> hook;
  {
    absl::MutexLock lock(&mu_);
    sent.attempt = ++attempts_by_state_[report.state_id];
    ++report_attempts_;
    hook = report_hook_;
  }
  if (hook) {
    absl::Status status = hook(sent);
    if (!status.ok()) return status;
  }
  absl::MutexLock lock(&mu_);
  reports_.push_back(std::move(sent));
  return absl::OkStatus();
}

absl::StatusOr<json::Json> FakeStateManagerClient::UpsertGraph(absl::string_view ns,
                                                               absl::string_view graph_name,
                                                               const json::Json& body) {
  absl::MutexLock lock(&mu_);
  upsert_bodies_.push_back(body);
  json::Json stored = body;
  stored["name"] = std::string(graph_name);
  stored["validation_status"] = "PENDING";
  stored["validation_errors"] = json::Json::array();
  stored["created_at"] = "2026-01-02T03:04:05";
  stored["updated_at"] = "2026-01-02T03:04:05";
  json::Json secrets = json::Json::object();
  for (auto it = body["secrets"].begin(); it != body["secrets"].end(); ++it)
    secrets[it.key()] = true;
  stored["secrets"] = secrets;
  graphs_[absl::StrCat(ns, "/", graph_name)] = stored;
  graph_reads_[absl::StrCat(ns, "/", graph_name)] = 0;
  return stored;
}

absl::StatusOr<json::Json> FakeStateManagerClient::GetGraph(absl::string_view ns,
                                                            absl::string_view graph_name) {
  absl::MutexLock lock(&mu_);
  ++graph_reads_total_;
  const std::string key = absl::StrCat(ns, "/", graph_name);
  auto it = graphs_.find(key);
  if (it == graphs_.end()) {
    return absl::NotFoundError(absl::StrCat("GET /v0/namespace/", ns, "/graph/", graph_name,
                                            ": HTTP 404: Graph template ", graph_name,
                                            " not found in namespace ", ns));
  }
  if (++graph_reads_[key] > graph_pending_reads_) it->second["validation_status"] = "VALID";
  // Like the real server, GET /graph hides the stored policies.
  json::Json shown = it->second;
  shown["retry_policy"] = {{"max_retries", 3},
                           {"strategy", "EXPONENTIAL"},
                           {"backoff_factor", 2000},
                           {"exponent", 2},
                           {"max_delay", nullptr}};
  shown["store_config"] = {{"required_keys", json::Json::array()},
                           {"default_values", json::Json::object()}};
  return shown;
}

absl::StatusOr<json::Json> FakeStateManagerClient::ListGraphs(absl::string_view ns) {
  absl::MutexLock lock(&mu_);
  json::Json templates = json::Json::array();
  for (const auto& [key, graph] : graphs_) {
    if (key.rfind(absl::StrCat(ns, "/"), 0) == 0) templates.push_back(graph);
  }
  return json::Json{
      {"namespace", std::string(ns)}, {"count", templates.size()}, {"templates", templates}};
}

absl::StatusOr<std::string> FakeStateManagerClient::TriggerRun(absl::string_view ns,
                                                               absl::string_view graph_name,
                                                               const json::Json& body) {
  absl::MutexLock lock(&mu_);
  trigger_bodies_.push_back(body);
  if (graphs_.count(absl::StrCat(ns, "/", graph_name)) == 0) {
    return absl::NotFoundError("POST trigger: HTTP 404: Graph template not found");
  }
  return absl::StrCat("run-", next_run_++);
}

absl::StatusOr<json::Json> FakeStateManagerClient::ListRuns(absl::string_view ns, int page,
                                                            int size) {
  return json::Json{{"namespace", std::string(ns)},
                    {"total", 0},
                    {"page", page},
                    {"size", size},
                    {"runs", json::Json::array()}};
}

absl::StatusOr<json::Json> FakeStateManagerClient::GetRunGraph(absl::string_view ns,
                                                               absl::string_view run_id) {
  absl::MutexLock lock(&mu_);
  auto it = run_graphs_.find(std::string(run_id));
  if (it == run_graphs_.end()) {
    return json::Json{
        {"graph_name", ""}, {"nodes", json::Json::array()}, {"edges", json::Json::array()}};
  }
  return it->second;
}

absl::StatusOr<json::Json> FakeStateManagerClient::GetNodeRunDetails(absl::string_view ns,
                                                                     absl::string_view graph_name,
                                                                     absl::string_view run_id,
                                                                     absl::string_view state_id) {
  std::function<absl::Status(const std::string&)> hook;
  {
    absl::MutexLock lock(&mu_);
    hook = node_details_hook_;
  }
  if (hook) {
    absl::Status status = hook(std::string(state_id));
    if (!status.ok()) return status;
  }
  absl::MutexLock lock(&mu_);
  auto it = node_details_.find(std::string(state_id));
  if (it == node_details_.end()) return absl::NotFoundError("node details: HTTP 404");
  return it->second;
}

}  // namespace exosphere::testing

namespace exosphere::testing {

absl::Status FakeStateManagerClient::CheckHealth(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return health_;
}

void FakeStateManagerClient::SetHealth(absl::Status health) {
  absl::MutexLock lock(&mu_);
  health_ = std::move(health);
}

}  // namespace exosphere::testing

namespace exosphere::testing {

void FakeStateManagerClient::SendReportAsync(absl::string_view ns, const sidecar::Report& report,
                                             std::function<void(absl::Status)> done) {
  async_.Submit([this, ns = std::string(ns), report, done = std::move(done)] {
    done(SendReport(ns, report));
  });
}

void FakeStateManagerClient::GetSecretsAsync(
    absl::string_view ns, absl::string_view state_id,
    std::function<void(absl::StatusOr<json::StringMap>)> done) {
  async_.Submit([this, ns = std::string(ns), state_id = std::string(state_id),
                 done = std::move(done)] { done(GetSecrets(ns, state_id)); });
}

absl::StatusOr<json::Json> FakeStateManagerClient::ListNodes(absl::string_view ns) {
  absl::MutexLock lock(&mu_);
  json::Json nodes = json::Json::array();
  for (const Registration& registration : registrations_) {
    if (registration.ns != ns) continue;
    for (const sidecar::NodeRegistration& node : registration.nodes) {
      nodes.push_back({{"name", node.name},
                       {"namespace", std::string(ns)},
                       {"runtime_name", registration.runtime_name},
                       {"inputs_schema", node.inputs_schema},
                       {"outputs_schema", node.outputs_schema},
                       {"secrets", node.secrets}});
    }
  }
  return json::Json{{"namespace", std::string(ns)}, {"count", nodes.size()}, {"nodes", nodes}};
}

absl::StatusOr<std::string> FakeStateManagerClient::ManualRetry(absl::string_view ns,
                                                                absl::string_view state_id,
                                                                absl::string_view fanout_id) {
  absl::MutexLock lock(&mu_);
  manual_retries_.emplace_back(state_id);
  return ids::NewObjectId();
}

std::vector<std::string> FakeStateManagerClient::manual_retries() const {
  absl::MutexLock lock(&mu_);
  return manual_retries_;
}

}  // namespace exosphere::testing
