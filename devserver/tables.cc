#include "devserver/tables.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace exosphere::devserver {
namespace {

const std::vector<std::string>& EmptyIds() {
  static const std::vector<std::string>* const empty = new std::vector<std::string>();
  return *empty;
}

}  // namespace

std::string Tables::UniqueKey(const State& state) {
  return absl::StrJoin({state.node_name, state.namespace_name, state.graph_name, state.identifier,
                        state.run_id, absl::StrCat(state.retry_count), state.fanout_id},
                       "\x1f");
}

// The state manager hashes a key-sorted JSON of these fields (SHA-256) and keeps the digest
// unique; the devserver keeps the canonical JSON itself, which is unique exactly when the hash is.
std::string Tables::Fingerprint(const State& state) {
  nlohmann::json parents = nlohmann::json::object();
  for (const auto& [identifier, id] : state.parents) parents[identifier] = id;
  nlohmann::json document = {
      {"node_name", state.node_name},
      {"namespace_name", state.namespace_name},
      {"identifier", state.identifier},
      {"graph_name", state.graph_name},
      {"run_id", state.run_id},
      {"retry_count", state.retry_count},
      {"parents", parents},
      {"manual_retry_fanout_id", state.manual_retry_fanout_id},
  };
  return document.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

Tables::CronKey Tables::CronKeyOf(const CronRecord& record) {
  return CronKey(record.expression, record.graph_name, record.namespace_name,
                 absl::ToUnixMicros(record.trigger_time));
}

absl::Status Tables::LoadFrom(PersistedDocuments documents) {
  for (RegisteredNode& node : documents.nodes) {
    NameKey key(node.namespace_name, node.name);
    nodes_[key] = std::move(node);
  }
  for (GraphTemplate& graph : documents.graphs) {
    NameKey key(graph.namespace_name, graph.name);
    graphs_[key] = std::move(graph);
  }
  for (RunRow& row : documents.runs) {
    next_run_seq_ = std::max(next_run_seq_, row.seq + 1);
    InsertRunEntry(std::move(row.run), row.seq);
  }
  for (StateRow& row : documents.states) {
    if (states_.count(row.state.id) > 0) {
      return absl::DataLossError(absl::StrCat("duplicate state id ", row.state.id, " in database"));
    }
    next_state_seq_ = std::max(next_state_seq_, row.seq + 1);
    InsertStateEntry(std::move(row.state), row.seq);
  }
  for (StoreEntry& entry : documents.store_entries) {
    store_[StoreKey(entry.run_id, entry.namespace_name, entry.graph_name, entry.key)] =
        std::move(entry.value);
  }
  for (CronRecord& record : documents.cron_records) {
    cron_keys_.insert(CronKeyOf(record));
    std::string id = record.id;
    cron_records_[id] = std::move(record);
  }
  return absl::OkStatus();
}

PersistedDocuments Tables::TakeChanges() {
  PersistedDocuments changes;
  if (!track_changes_) return changes;
  for (const NameKey& key : changed_nodes_) changes.nodes.push_back(nodes_.at(key));
  for (const NameKey& key : changed_graphs_) changes.graphs.push_back(graphs_.at(key));
  for (const std::string& id : changed_states_) {
    const StateEntry& entry = states_.at(id);
    changes.states.push_back({entry.state, entry.seq});
  }
  for (const std::string& id : changed_runs_) {
    const RunEntry& entry = runs_.at(id);
    changes.runs.push_back({entry.run, entry.seq});
  }
  for (const StoreKey& key : changed_store_) {
    changes.store_entries.push_back(
        {std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key), store_.at(key)});
  }
  for (const std::string& id : changed_cron_records_) {
    auto it = cron_records_.find(id);
    if (it != cron_records_.end()) changes.cron_records.push_back(it->second);
  }
  changes.deleted_cron_record_ids.assign(deleted_cron_records_.begin(),
                                         deleted_cron_records_.end());
  changed_nodes_.clear();
  changed_graphs_.clear();
  changed_states_.clear();
  changed_runs_.clear();
  changed_store_.clear();
  changed_cron_records_.clear();
  deleted_cron_records_.clear();
  return changes;
}

const RegisteredNode* Tables::FindNode(const std::string& namespace_name,
                                       const std::string& name) const {
  auto it = nodes_.find(NameKey(namespace_name, name));
  return it == nodes_.end() ? nullptr : &it->second;
}

void Tables::PutNode(RegisteredNode node) {
  NameKey key(node.namespace_name, node.name);
  nodes_[key] = std::move(node);
  if (track_changes_) changed_nodes_.insert(key);
}

std::vector<const RegisteredNode*> Tables::NodesInNamespace(
    const std::string& namespace_name) const {
  std::vector<const RegisteredNode*> result;
  for (auto it = nodes_.lower_bound(NameKey(namespace_name, ""));
       it != nodes_.end() && it->first.first == namespace_name; ++it) {
    result.push_back(&it->second);
  }
  return result;
}

std::vector<std::string> Tables::NamespacesWithNodes() const {
  std::vector<std::string> namespaces;
  for (const auto& [key, node] : nodes_) {
    if (namespaces.empty() || namespaces.back() != key.first) namespaces.push_back(key.first);
  }
  return namespaces;
}

const GraphTemplate* Tables::FindGraph(const std::string& namespace_name,
                                       const std::string& name) const {
  auto it = graphs_.find(NameKey(namespace_name, name));
  return it == graphs_.end() ? nullptr : &it->second;
}

void Tables::PutGraph(GraphTemplate graph) {
  NameKey key(graph.namespace_name, graph.name);
  graphs_[key] = std::move(graph);
  if (track_changes_) changed_graphs_.insert(key);
}

std::vector<const GraphTemplate*> Tables::GraphsInNamespace(
    const std::string& namespace_name) const {
  std::vector<const GraphTemplate*> result;
  for (auto it = graphs_.lower_bound(NameKey(namespace_name, ""));
       it != graphs_.end() && it->first.first == namespace_name; ++it) {
    result.push_back(&it->second);
  }
  return result;
}

std::vector<const GraphTemplate*> Tables::AllGraphs() const {
  std::vector<const GraphTemplate*> result;
  for (const auto& [key, graph] : graphs_) result.push_back(&graph);
  return result;
}

const State* Tables::FindState(const std::string& id) const {
  auto it = states_.find(id);
  return it == states_.end() ? nullptr : &it->second.state;
}

void Tables::IndexReady(const State& state, uint64_t seq) {
  if (state.status != StateStatus::kCreated) return;
  ready_[NameKey(state.namespace_name, state.node_name)][ReadyKey(state.enqueue_after, seq)] =
      state.id;
}

void Tables::UnindexReady(const State& state, uint64_t seq) {
  if (state.status != StateStatus::kCreated) return;
  auto it = ready_.find(NameKey(state.namespace_name, state.node_name));
  if (it == ready_.end()) return;
  it->second.erase(ReadyKey(state.enqueue_after, seq));
  if (it->second.empty()) ready_.erase(it);
}

void Tables::InsertStateEntry(State state, uint64_t seq) {
  unique_keys_.insert(UniqueKey(state));
  if (state.does_unites) fingerprints_.insert(Fingerprint(state));
  IndexReady(state, seq);
  states_by_run_[state.run_id].push_back(state.id);
  for (const auto& [identifier, ancestor_id] : state.parents) {
    descendants_[ancestor_id].push_back(state.id);
  }
  std::string id = state.id;
  states_.emplace(std::move(id), StateEntry{std::move(state), seq});
}

absl::Status Tables::InsertState(State state) {
  if (states_.count(state.id) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("state ", state.id, " already exists"));
  }
  if (unique_keys_.count(UniqueKey(state)) > 0) {
    return absl::AlreadyExistsError("duplicate state (unique key)");
  }
  if (state.does_unites && fingerprints_.count(Fingerprint(state)) > 0) {
    return absl::AlreadyExistsError("duplicate state (fingerprint)");
  }
  if (track_changes_) changed_states_.insert(state.id);
  InsertStateEntry(std::move(state), next_state_seq_++);
  return absl::OkStatus();
}

void Tables::PutState(const State& state) {
  auto it = states_.find(state.id);
  if (it == states_.end()) return;
  UnindexReady(it->second.state, it->second.seq);
  it->second.state = state;
  IndexReady(it->second.state, it->second.seq);
  if (track_changes_) changed_states_.insert(state.id);
}

std::vector<std::string> Tables::ClaimStates(const std::string& namespace_name,
                                             const std::vector<std::string>& node_names,
                                             int64_t now_ms, int64_t limit) {
  std::vector<std::string> claimed;
  if (limit <= 0) return claimed;
  std::set<std::string> distinct(node_names.begin(), node_names.end());
  std::vector<std::pair<ReadyKey, std::string>> candidates;
  for (const std::string& node_name : distinct) {
    auto ready = ready_.find(NameKey(namespace_name, node_name));
    if (ready == ready_.end()) continue;
    int64_t taken = 0;
    for (auto it = ready->second.begin();
         it != ready->second.end() && it->first.first <= now_ms && taken < limit; ++it, ++taken) {
      candidates.emplace_back(it->first, it->second);
    }
  }
  std::sort(candidates.begin(), candidates.end());
  for (const auto& [key, id] : candidates) {
    if (static_cast<int64_t>(claimed.size()) >= limit) break;
    StateEntry& entry = states_.at(id);
    UnindexReady(entry.state, entry.seq);
    entry.state.status = StateStatus::kQueued;
    if (track_changes_) changed_states_.insert(id);
    claimed.push_back(id);
  }
  return claimed;
}

const std::vector<std::string>& Tables::StateIdsOfRun(const std::string& run_id) const {
  auto it = states_by_run_.find(run_id);
  return it == states_by_run_.end() ? EmptyIds() : it->second;
}

const std::vector<std::string>& Tables::DescendantIds(const std::string& ancestor_id) const {
  auto it = descendants_.find(ancestor_id);
  return it == descendants_.end() ? EmptyIds() : it->second;
}

std::vector<std::string> Tables::StateIdsWithStatus(StateStatus status) const {
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const auto& [id, entry] : states_) {
    if (entry.state.status == status) found.emplace_back(entry.seq, id);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> ids;
  ids.reserve(found.size());
  for (auto& [seq, id] : found) ids.push_back(std::move(id));
  return ids;
}

const Run* Tables::FindRun(const std::string& run_id) const {
  auto it = runs_.find(run_id);
  return it == runs_.end() ? nullptr : &it->second.run;
}

void Tables::InsertRunEntry(Run run, uint64_t seq) {
  runs_by_namespace_[run.namespace_name][{absl::ToUnixMicros(run.created_at), seq}] = run.run_id;
  std::string id = run.run_id;
  runs_[id] = RunEntry{std::move(run), seq};
}

void Tables::InsertRun(Run run) {
  if (track_changes_) changed_runs_.insert(run.run_id);
  InsertRunEntry(std::move(run), next_run_seq_++);
}

std::vector<const Run*> Tables::RunsNewestFirst(const std::string& namespace_name) const {
  std::vector<const Run*> result;
  auto it = runs_by_namespace_.find(namespace_name);
  if (it == runs_by_namespace_.end()) return result;
  for (auto run = it->second.rbegin(); run != it->second.rend(); ++run) {
    result.push_back(&runs_.at(run->second).run);
  }
  return result;
}

void Tables::PutStoreValue(const StoreEntry& entry) {
  StoreKey key(entry.run_id, entry.namespace_name, entry.graph_name, entry.key);
  store_[key] = entry.value;
  if (track_changes_) changed_store_.insert(key);
}

const std::string* Tables::FindStoreValue(const std::string& run_id,
                                          const std::string& namespace_name,
                                          const std::string& graph_name,
                                          const std::string& key) const {
  auto it = store_.find(StoreKey(run_id, namespace_name, graph_name, key));
  return it == store_.end() ? nullptr : &it->second;
}

absl::Status Tables::InsertCronRecord(CronRecord record) {
  if (!cron_keys_.insert(CronKeyOf(record)).second) {
    return absl::AlreadyExistsError("duplicate cron record");
  }
  if (track_changes_) {
    changed_cron_records_.insert(record.id);
    deleted_cron_records_.erase(record.id);
  }
  std::string id = record.id;
  cron_records_[id] = std::move(record);
  return absl::OkStatus();
}

void Tables::PutCronRecord(const CronRecord& record) {
  auto it = cron_records_.find(record.id);
  if (it == cron_records_.end()) return;
  it->second = record;
  if (track_changes_) changed_cron_records_.insert(record.id);
}

void Tables::DeleteCronRecord(const std::string& id) {
  auto it = cron_records_.find(id);
  if (it == cron_records_.end()) return;
  cron_keys_.erase(CronKeyOf(it->second));
  cron_records_.erase(it);
  if (track_changes_) {
    changed_cron_records_.erase(id);
    deleted_cron_records_.insert(id);
  }
}

std::vector<const CronRecord*> Tables::CronRecords() const {
  std::vector<const CronRecord*> result;
  for (const auto& [id, record] : cron_records_) result.push_back(&record);
  return result;
}

}  // namespace exosphere::devserver
