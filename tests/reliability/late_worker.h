#ifndef EXOSPHERE_TESTS_RELIABILITY_LATE_WORKER_H_
#define EXOSPHERE_TESTS_RELIABILITY_LATE_WORKER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "exosphere/sidecar/v1/node_host.grpc.pb.h"

namespace exosphere::reliability {

// The node a LateWorker serves: input and output "value", declaring the worker's deadline.
inline constexpr char kLateNode[] = "rel-late";

struct LateWorkerOptions {
  std::string sidecar_address;  // "unix:/path" or "host:port"
  std::string ns;
  uint32_t slots = 4;
  // Declared as the node's deadline.
  absl::Duration deadline = absl::Milliseconds(400);
  // Each task is answered (executed, {"value": input value}) this long after it arrived,
  // whatever the sidecar says in between.
  absl::Duration answer_after = absl::Milliseconds(800);
};

// A misbehaving worker speaking the NodeHost protocol directly (no client library, which drops
// the results of cancelled tasks): it ignores CancelTask and answers every task late, so that a
// test sees what the sidecar does with a result that arrives after the deadline. Thread-safe;
// owns its stream and its two threads (reader and answerer), joined on destruction.
class LateWorker {
 public:
  // Connects, says Hello and waits (bounded by `timeout`) until the nodes are registered.
  // kUnavailable when the stream fails, kDeadlineExceeded when registration does not come.
  static absl::StatusOr<std::unique_ptr<LateWorker>> Start(LateWorkerOptions options,
                                                           absl::Duration timeout);
  ~LateWorker();
  LateWorker(const LateWorker&) = delete;
  LateWorker& operator=(const LateWorker&) = delete;

  struct Counts {
    int64_t tasks = 0;
    int64_t cancels = 0;
    int64_t results_sent = 0;
    // ResultRejected{UNKNOWN_TASK}: the sidecar discarded a result.
    int64_t rejected_unknown = 0;
  };
  Counts counts() const ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until `predicate` holds on the counts or `timeout` passes; returns whether it held.
  bool AwaitCounts(const std::function<bool(const Counts&)>& predicate,
                   absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);
  // The state ids of every task received, in order.
  std::vector<std::string> task_ids() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit LateWorker(LateWorkerOptions options);
  void ReadLoop();
  void AnswerLoop();

  struct Pending {
    std::string state_id;
    std::string value;
    absl::Time answer_at;
  };

  const LateWorkerOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<sidecar::v1::NodeHost::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<sidecar::v1::WorkerMessage, sidecar::v1::SidecarMessage>>
      stream_;
  // Serializes writes: gRPC allows one outstanding Write on a sync stream.
  absl::Mutex write_mu_;

  mutable absl::Mutex mu_;
  Counts counts_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> task_ids_ ABSL_GUARDED_BY(mu_);
  std::vector<Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool registered_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::thread reader_;
  std::thread answerer_;
};

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_LATE_WORKER_H_
