#ifndef EXOSPHERE_DEVSERVER_TABLES_H_
#define EXOSPHERE_DEVSERVER_TABLES_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"

#include "devserver/models.h"
#include "devserver/persistence.h"

namespace exosphere::devserver {

// The devserver's collections (nodes, graph templates, states, runs, stores, cron records) with
// the indexes the endpoints need: ready states per (namespace, node) ordered by enqueue_after,
// states per run, descendants per ancestor state, and the state manager's unique keys. Every
// mutation goes through a method so indexes stay consistent, and (when tracking is on) records
// which documents changed for write-through persistence. Not thread-safe: Store guards it.
class Tables {
 public:
  explicit Tables(bool track_changes) : track_changes_(track_changes) {}
  Tables(const Tables&) = delete;
  Tables& operator=(const Tables&) = delete;

  // Replaces the contents with persisted documents (startup). kDataLoss on inconsistent data.
  absl::Status LoadFrom(PersistedDocuments documents);
  // The documents changed since the last call (copies), and forgets the changes.
  PersistedDocuments TakeChanges();

  // Registered nodes, unique on (namespace, name).
  const RegisteredNode* FindNode(const std::string& namespace_name, const std::string& name) const;
  void PutNode(RegisteredNode node);
  std::vector<const RegisteredNode*> NodesInNamespace(const std::string& namespace_name) const;
  // Distinct namespaces that have registered nodes, sorted.
  std::vector<std::string> NamespacesWithNodes() const;

  // Graph templates, unique on (namespace, name).
  const GraphTemplate* FindGraph(const std::string& namespace_name, const std::string& name) const;
  void PutGraph(GraphTemplate graph);
  std::vector<const GraphTemplate*> GraphsInNamespace(const std::string& namespace_name) const;
  std::vector<const GraphTemplate*> AllGraphs() const;

  // States. InsertState fails with kAlreadyExists when the state collides with the unique key
  // (node_name, namespace, graph, identifier, run_id, retry_count, fanout_id) or, for a unite
  // state, with another state's fingerprint.
  const State* FindState(const std::string& id) const;
  absl::Status InsertState(State state);
  // Replaces a stored state (same id) and re-indexes it. Unique-key fields must not change.
  void PutState(const State& state);
  // Atomically moves up to `limit` CREATED states of `namespace_name` whose node is in
  // `node_names` and whose enqueue_after <= now_ms to QUEUED, oldest enqueue_after first.
  // Returns their ids.
  std::vector<std::string> ClaimStates(const std::string& namespace_name,
                                       const std::vector<std::string>& node_names, int64_t now_ms,
                                       int64_t limit);
  // Ids of the states of a run in insertion order.
  const std::vector<std::string>& StateIdsOfRun(const std::string& run_id) const;
  // Ids of the states that list `ancestor_id` in their parents.
  const std::vector<std::string>& DescendantIds(const std::string& ancestor_id) const;
  std::vector<std::string> StateIdsWithStatus(StateStatus status) const;
  size_t state_count() const { return states_.size(); }

  // Runs.
  const Run* FindRun(const std::string& run_id) const;
  void InsertRun(Run run);
  // Runs of a namespace, newest created_at first.
  std::vector<const Run*> RunsNewestFirst(const std::string& namespace_name) const;

  // Run stores.
  void PutStoreValue(const StoreEntry& entry);
  const std::string* FindStoreValue(const std::string& run_id, const std::string& namespace_name,
                                    const std::string& graph_name, const std::string& key) const;

  // Cron records; unique on (expression, graph, namespace, trigger_time).
  absl::Status InsertCronRecord(CronRecord record);
  void PutCronRecord(const CronRecord& record);
  void DeleteCronRecord(const std::string& id);
  std::vector<const CronRecord*> CronRecords() const;

 private:
  using NameKey = std::pair<std::string, std::string>;  // (namespace, name)
  using ReadyKey = std::pair<int64_t, uint64_t>;        // (enqueue_after, seq)
  using StoreKey = std::tuple<std::string, std::string, std::string, std::string>;
  using CronKey = std::tuple<std::string, std::string, std::string, int64_t>;

  struct StateEntry {
    State state;
    uint64_t seq = 0;
  };
  struct RunEntry {
    Run run;
    uint64_t seq = 0;
  };

  static std::string UniqueKey(const State& state);
  static std::string Fingerprint(const State& state);
  static CronKey CronKeyOf(const CronRecord& record);
  void IndexReady(const State& state, uint64_t seq);
  void UnindexReady(const State& state, uint64_t seq);
  void InsertStateEntry(State state, uint64_t seq);
  void InsertRunEntry(Run run, uint64_t seq);

  const bool track_changes_;

  std::map<NameKey, RegisteredNode> nodes_;
  std::map<NameKey, GraphTemplate> graphs_;

  std::unordered_map<std::string, StateEntry> states_;
  uint64_t next_state_seq_ = 1;
  std::map<NameKey, std::map<ReadyKey, std::string>> ready_;
  std::unordered_map<std::string, std::vector<std::string>> states_by_run_;
  std::unordered_map<std::string, std::vector<std::string>> descendants_;
  std::unordered_set<std::string> unique_keys_;
  std::unordered_set<std::string> fingerprints_;

  std::unordered_map<std::string, RunEntry> runs_;
  uint64_t next_run_seq_ = 1;
  // namespace -> (created_at in µs, seq) -> run_id
  std::map<std::string, std::map<std::pair<int64_t, uint64_t>, std::string>> runs_by_namespace_;

  std::map<StoreKey, std::string> store_;

  std::map<std::string, CronRecord> cron_records_;
  std::set<CronKey> cron_keys_;

  // Keys of documents changed since the last TakeChanges().
  std::set<NameKey> changed_nodes_;
  std::set<NameKey> changed_graphs_;
  std::set<std::string> changed_states_;
  std::set<std::string> changed_runs_;
  std::set<StoreKey> changed_store_;
  std::set<std::string> changed_cron_records_;
  std::set<std::string> deleted_cron_records_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_TABLES_H_
