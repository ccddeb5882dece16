#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_RUNTIME_CORE_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_RUNTIME_CORE_H_

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "client/cpp/internal/logger.h"
#include "client/cpp/internal/session_listener.h"
#include "client/cpp/internal/task_executor.h"
#include "client/cpp/internal/worker_session.h"
#include "exosphere/client/base_node.h"
#include "exosphere/client/runtime_options.h"
#include "exosphere/sidecar/v1/node_host.pb.h"

namespace exosphere::client::internal {

namespace v1 = ::exosphere::sidecar::v1;

// Everything behind exosphere::client::Runtime: a connection thread that runs one WorkerSession
// after another (reconnecting with backoff), and the TaskExecutor whose threads run the nodes.
// Thread-safe. Owns its threads; shares the nodes with the user.
class RuntimeCore final : public SessionListener {
 public:
  // The arguments must have passed ValidateRuntime.
  RuntimeCore(const std::string& namespace_name, const std::string& runtime_name,
              const std::vector<std::shared_ptr<BaseNode>>& nodes, RuntimeOptions options);
  ~RuntimeCore() override;
  RuntimeCore(const RuntimeCore&) = delete;
  RuntimeCore& operator=(const RuntimeCore&) = delete;

  // The operations of Runtime, with the same contracts.
  absl::Status Start() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Wait() ABSL_LOCKS_EXCLUDED(mu_);
  void Stop(absl::Duration grace) ABSL_LOCKS_EXCLUDED(mu_, join_mu_);
  absl::Status WaitUntilRegistered(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  // SessionListener.
  void OnWelcome(const v1::Welcome& welcome) override;
  void OnRegistration(const v1::Registration& registration) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnTask(std::shared_ptr<WorkerSession> session, Task task) override;

 private:
  enum class Phase { kCreated, kRunning, kStopped };

  // The connection thread.
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<grpc::Channel> NewChannel() const;

  const std::string address_;
  const std::string worker_token_;
  const v1::Hello hello_;
  const std::map<std::string, std::shared_ptr<BaseNode>> nodes_;
  const RuntimeOptions options_;
  const Logger logger_;
  // Runs the nodes; its threads start with the runtime and are joined by Stop.
  TaskExecutor executor_;

  absl::Mutex mu_;
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kCreated;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool loop_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<WorkerSession> session_ ABSL_GUARDED_BY(mu_);
  bool registered_ ABSL_GUARDED_BY(mu_) = false;
  std::string registration_error_ ABSL_GUARDED_BY(mu_);

  // Serializes joining; taken after mu_ (Start) and alone (Stop), never before mu_.
  absl::Mutex join_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::thread loop_thread_ ABSL_GUARDED_BY(join_mu_);
};

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_RUNTIME_CORE_H_
