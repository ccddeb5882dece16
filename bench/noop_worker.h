#ifndef EXOSPHERE_BENCH_NOOP_WORKER_H_
#define EXOSPHERE_BENCH_NOOP_WORKER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

#include "exosphere/sidecar/v1/node_host.grpc.pb.h"

namespace exosphere::bench {

struct NoopWorkerOptions {
  std::string ns;
  int slots = 1;
  std::string node_name = "BenchNode";
  std::vector<std::string> input_fields = {"n"};
  std::string worker_label = "bench";
  // Connect with 0 slots and take tasks only after Start(), so that preloading is not raced.
  bool start_paused = true;
  // Hold every task this long before answering it (a slow worker); zero answers at once. The
  // reader thread only queues the task: a timer thread answers it at its deadline, so that many
  // tasks can be held at once (up to `slots`).
  absl::Duration answer_delay = absl::ZeroDuration();
};

// A no-op worker on one NodeHost stream, written from the proto (it takes TaskBatch messages):
// answers every task with executed (one output, empty unless SetOutputBytes), at once or after
// `answer_delay`, and records how long each task took from the sidecar's claim reply to its
// arrival here. Thread-safe.
class NoopWorker {
 public:
  // Runs on the stream's reader thread for every task, before it is answered; must be quick.
  using OnTask = std::function<void(const sidecar::v1::Task&)>;

  NoopWorker(std::shared_ptr<grpc::Channel> channel, NoopWorkerOptions options,
             OnTask on_task = nullptr);
  ~NoopWorker();
  NoopWorker(const NoopWorker&) = delete;
  NoopWorker& operator=(const NoopWorker&) = delete;

  void Start() { SetSlots(options_.slots); }
  void Pause() { SetSlots(0); }
  // From now on every result carries one output with a field of `bytes` characters (0: none).
  void SetOutputBytes(int64_t bytes) ABSL_LOCKS_EXCLUDED(mu_);

  bool AwaitRegistered(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  int64_t answered() const ABSL_LOCKS_EXCLUDED(mu_);
  // Tasks received and not yet answered (held by the answer delay).
  int64_t in_flight() const ABSL_LOCKS_EXCLUDED(mu_);
  absl::Time last_answer() const ABSL_LOCKS_EXCLUDED(mu_);
  // Claim reply to task arrival, in milliseconds, in arrival order.
  std::vector<double> latencies_ms() const ABSL_LOCKS_EXCLUDED(mu_);
  void Reset() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void SetSlots(int slots) ABSL_LOCKS_EXCLUDED(write_mu_);
  void Read() ABSL_LOCKS_EXCLUDED(mu_, write_mu_);
  // The delayed mode's timer thread: answers each held task once its deadline passed.
  void AnswerHeld() ABSL_LOCKS_EXCLUDED(mu_, write_mu_);
  bool HasHeldOrStoppingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records one task that arrived at `now` and answers it, or holds it for the answer delay.
  void Take(const sidecar::v1::Task& task, absl::Time now, sidecar::v1::WorkerMessage& result)
      ABSL_LOCKS_EXCLUDED(mu_, write_mu_);
  // Writes the executed result of `state_id` and counts it as answered.
  void Answer(const std::string& state_id, sidecar::v1::WorkerMessage& result)
      ABSL_LOCKS_EXCLUDED(mu_, write_mu_);

  struct HeldTask {
    absl::Time deadline;
    std::string state_id;
  };

  const NoopWorkerOptions options_;
  const OnTask on_task_;
  std::unique_ptr<sidecar::v1::NodeHost::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<sidecar::v1::WorkerMessage, sidecar::v1::SidecarMessage>>
      stream_;
  absl::Mutex write_mu_;
  mutable absl::Mutex mu_;
  bool registered_ ABSL_GUARDED_BY(mu_) = false;
  int64_t answered_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_answer_ ABSL_GUARDED_BY(mu_);
  int64_t output_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<double> latencies_ms_ ABSL_GUARDED_BY(mu_);
  int64_t received_ ABSL_GUARDED_BY(mu_) = 0;
  // Deadlines grow in arrival order, as the delay is the same for every task.
  std::deque<HeldTask> held_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
  std::thread answerer_;  // only with an answer delay
};

}  // namespace exosphere::bench

#endif  // EXOSPHERE_BENCH_NOOP_WORKER_H_
