#ifndef EXOSPHERE_SIDECAR_CORE_WORKER_REGISTRY_H_
#define EXOSPHERE_SIDECAR_CORE_WORKER_REGISTRY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "sidecar/core/component_stats.h"
#include "sidecar/core/node_spec.h"
#include "sidecar/core/poll_group.h"
#include "sidecar/core/registration_requester.h"
#include "sidecar/core/router_effects.h"
#include "sidecar/core/worker_sink.h"

namespace exosphere::sidecar {

// One connected worker, as the registry knows it.
struct RegisteredWorker {
  std::string id;
  WorkerSpec spec;
  WorkerSink* sink = nullptr;
  uint32_t slots = 0;
  // Slots taken by tasks (one per state id in `tasks`).
  int in_flight = 0;
  // The registration generation of its runtime that includes this worker's nodes.
  uint64_t join_generation = 0;
  bool registered = false;
  bool registration_failed = false;
  absl::flat_hash_map<std::string, std::shared_ptr<const NodeSpec>> nodes;
  absl::flat_hash_set<std::string> tasks;

  int64_t FreeSlots() const;
};

// The workers connected to the sidecar, the nodes they serve, and the registration of each
// runtime's node set with the state manager: who may connect (conflicting definitions are
// refused), which worker runs a state (the least-loaded one with a free slot), and what the
// pollers may claim (PlanPolls).
//
// Not thread-safe: the TaskRouter's lock guards it. It never calls out; what it decides to send
// or request is appended to the RouterEffects it is given.
class WorkerRegistry {
 public:
  WorkerRegistry() = default;
  WorkerRegistry(const WorkerRegistry&) = delete;
  WorkerRegistry& operator=(const WorkerRegistry&) = delete;

  // Adds a worker whose Hello was validated, welcomes it and, when its nodes are new to its
  // runtime, asks for the runtime's node set to be registered. Errors: kFailedPrecondition when
  // a node conflicts with one served by another worker (different definition or runtime).
  absl::StatusOr<RegisteredWorker*> Add(WorkerSpec spec, WorkerSink* sink,
                                        uint32_t max_message_bytes, RouterEffects& effects);
  // Forgets a worker; returns it (its tasks are the caller's to move), or null if unknown.
  std::unique_ptr<RegisteredWorker> Remove(absl::string_view worker_id);
  RegisteredWorker* Find(absl::string_view worker_id);

  // A registrar outcome. Workers whose nodes the state manager refused for good are closed and
  // removed (they are not registered, so they have no task); the namespace's capacity is
  // signalled when workers became registered.
  void OnRegistration(const RegistrationOutcome& outcome, RouterEffects& effects);

  // The eligible worker serving `node` in `ns` with a free slot and the lowest load, or null.
  // Workers labelled like one in `avoid_labels` are taken only when no other worker qualifies.
  RegisteredWorker* Pick(absl::string_view ns, absl::string_view node,
                         const absl::flat_hash_set<std::string>& avoid_labels = {});
  // Takes one slot of `worker` for `state_id`; Release gives it back (no-op if not taken).
  void Reserve(RegisteredWorker& worker, const std::string& state_id);
  void Release(absl::string_view worker_id, const std::string& state_id);

  // Whether some worker serves `node` in `ns` (node names are metric labels only then).
  bool Serves(absl::string_view ns, absl::string_view node) const;
  // What a namespace's poller may claim now, largest capacity first; empty while draining.
  std::vector<PollGroup> PlanPolls(absl::string_view ns) const;
  // Namespaces that have at least one registered worker.
  std::vector<std::string> ActiveNamespaces() const;

  // From now on no worker is eligible for new tasks and every worker is told to drain.
  void BeginDrain(absl::Duration timeout, RouterEffects& effects);
  bool draining() const { return draining_; }
  size_t size() const { return workers_.size(); }
  // The worker fields of the router's statistics.
  void AddStats(RouterStats& stats) const;

 private:
  using NodeSet = std::map<std::string, std::shared_ptr<const NodeSpec>>;
  struct Runtime {
    uint64_t generation = 0;
    uint64_t registered_generation = 0;
    // The node specs of the newest registration request.
    NodeSet requested;
    // The node specs of each request whose outcome has not arrived, by generation.
    std::map<uint64_t, NodeSet> unanswered;
    // The node specs of the newest request the state manager accepted.
    NodeSet registered;
    // Nodes whose workers were refused because the state manager would not register them; a
    // later refusal of a request that still held one is explained by it.
    absl::flat_hash_set<std::string> refused_nodes;
  };
  struct ServedNode {
    std::string runtime_name;
    std::shared_ptr<const NodeSpec> spec;
    std::vector<std::string> worker_ids;
  };

  // Asks the registrar to register every node `runtime_name` serves in `ns` now.
  void RequestRegistration(const std::string& ns, const std::string& runtime_name, Runtime& runtime,
                           RouterEffects& effects);
  // A registration refused for good (`sent` is what it asked for): closes and removes the
  // workers that brought the nodes the state manager had not accepted before and registers the
  // rest.
  void Refuse(const RegistrationOutcome& outcome, Runtime& runtime, const NodeSet& sent,
              RouterEffects& effects);
  bool Eligible(const RegisteredWorker& worker) const;

  bool draining_ = false;
  uint64_t next_worker_number_ = 1;
  absl::flat_hash_map<std::string, std::unique_ptr<RegisteredWorker>> workers_;
  // Keyed by namespace, then runtime name.
  std::map<std::string, std::map<std::string, Runtime, std::less<>>, std::less<>> runtimes_;
  // Keyed by namespace, then node name.
  std::map<std::string, std::map<std::string, ServedNode, std::less<>>, std::less<>> served_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_WORKER_REGISTRY_H_
