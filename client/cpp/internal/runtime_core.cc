#include "client/cpp/internal/runtime_core.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "client/cpp/internal/hello_builder.h"
#include "client/cpp/internal/node_invoker.h"
#include "client/cpp/internal/reconnect_backoff.h"
#include "client/cpp/internal/result_encoder.h"
#include "client/cpp/internal/sidecar_channel.h"

namespace exosphere::client::internal {
namespace {

// After the half-close the sidecar ends the stream at once; this only bounds Stop against a
// sidecar that hangs.
constexpr absl::Duration kCloseTimeout = absl::Seconds(5);

std::map<std::string, std::shared_ptr<BaseNode>> NodesByName(
    const std::vector<std::shared_ptr<BaseNode>>& nodes) {
  std::map<std::string, std::shared_ptr<BaseNode>> by_name;
  for (const std::shared_ptr<BaseNode>& node : nodes) by_name.emplace(node->name(), node);
  return by_name;
}

// The node protocol: these codes before the Welcome mean the Hello itself is wrong, and sending
// it again cannot help.
bool IsPermanentHelloError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument ||
         status.code() == absl::StatusCode::kFailedPrecondition ||
         status.code() == absl::StatusCode::kUnauthenticated;
}

std::string Describe(const absl::Status& status) {
  if (status.ok()) return "OK";
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
}

}  // namespace

RuntimeCore::RuntimeCore(const std::string& namespace_name, const std::string& runtime_name,
                         const std::vector<std::shared_ptr<BaseNode>>& nodes,
                         RuntimeOptions options)
    : address_(options.channel_factory ? "(custom channel)"
                                       : ResolveSidecarAddress(options.sidecar_address)),
      worker_token_(ResolveWorkerToken(options.worker_token)),
      hello_(
          BuildHello(namespace_name, runtime_name, nodes, options.workers, options.worker_label)),
      nodes_(NodesByName(nodes)),
      options_(std::move(options)),
      logger_(options_.log_sink),
      executor_(options_.workers) {}

RuntimeCore::~RuntimeCore() { Stop(absl::InfiniteDuration()); }

absl::Status RuntimeCore::Start() {
  absl::MutexLock lock(&mu_);
  if (phase_ != Phase::kCreated) {
    return absl::FailedPreconditionError(
        phase_ == Phase::kRunning ? "Runtime::Start: the runtime is already running"
                                  : "Runtime::Start: the runtime was stopped; create a new one");
  }
  phase_ = Phase::kRunning;
  absl::MutexLock join_lock(&join_mu_);
  loop_thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

absl::Status RuntimeCore::Wait() {
  absl::MutexLock lock(&mu_);
  if (phase_ == Phase::kCreated) {
    return absl::FailedPreconditionError("Runtime::Wait: the runtime was not started");
  }
  mu_.Await(absl::Condition(&loop_done_));
  return final_status_;
}

void RuntimeCore::Stop(absl::Duration grace) {
  std::shared_ptr<WorkerSession> session;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (phase_ == Phase::kCreated) {
      phase_ = Phase::kStopped;
      loop_done_ = true;
    }
    session = session_;
  }
  if (executor_.IsExecutorThread()) {
    // Called from a node: waiting here for the tasks in flight, this one included, would never
    // end. The stop is under way; the runtime's destructor (or a Stop elsewhere) joins.
    if (session != nullptr) session->Close(/*pause=*/true);
    return;
  }
  if (session != nullptr) {
    session->Close(/*pause=*/true);
    if (!session->AwaitClosed(grace)) {
      logger_.Warning(absl::StrCat("Runtime::Stop: tasks still running after ",
                                   absl::FormatDuration(grace),
                                   "; cancelling them (the sidecar gives them to another worker)"));
      session->Abort();
    }
    bool ended;
    {
      absl::MutexLock lock(&mu_);
      ended = mu_.AwaitWithTimeout(absl::Condition(&loop_done_), kCloseTimeout);
    }
    if (!ended) {
      logger_.Warning("Runtime::Stop: the sidecar did not close the stream; cancelling it");
      session->Abort();
    }
  }
  {
    absl::MutexLock lock(&join_mu_);
    if (loop_thread_.joinable()) loop_thread_.join();
  }
  // Waits for nodes still running (cancelled ones included) to return.
  executor_.Shutdown();
  absl::MutexLock lock(&mu_);
  phase_ = Phase::kStopped;
}

absl::Status RuntimeCore::WaitUntilRegistered(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  if (phase_ == Phase::kCreated) {
    return absl::FailedPreconditionError(
        "Runtime::WaitUntilRegistered: the runtime was not started");
  }
  auto registered_or_done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return registered_ || loop_done_;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&registered_or_done), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "The nodes were not registered with the state manager within ",
        absl::FormatDuration(timeout),
        registration_error_.empty() ? "" : absl::StrCat("; last error: ", registration_error_)));
  }
  if (registered_) return absl::OkStatus();
  if (!final_status_.ok()) return final_status_;
  return absl::FailedPreconditionError(
      "The runtime stopped before its nodes were registered with the state manager");
}

std::shared_ptr<grpc::Channel> RuntimeCore::NewChannel() const {
  if (options_.channel_factory) return options_.channel_factory();
  return CreateSidecarChannel(address_);
}

void RuntimeCore::Loop() {
  ReconnectBackoff backoff(options_.initial_backoff, options_.max_backoff);
  absl::Status final_status;
  while (true) {
    std::shared_ptr<grpc::Channel> channel = NewChannel();
    std::shared_ptr<WorkerSession> session;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
      if (channel != nullptr) {
        session = std::make_shared<WorkerSession>(channel, hello_, worker_token_, *this, logger_);
        session_ = session;
      }
    }
    WorkerSession::Outcome outcome;
    if (session != nullptr) {
      logger_.Debug(absl::StrCat("Connecting to the sidecar at ", address_));
      outcome = session->Run();
    } else {
      outcome.status = absl::InternalError("RuntimeOptions::channel_factory returned no channel");
    }
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      session_.reset();
      registered_ = false;
      stopping = stopping_;
    }
    if (stopping) break;
    if (outcome.welcomed) {
      backoff.Reset();
    } else if (IsPermanentHelloError(outcome.status)) {
      final_status = absl::Status(
          outcome.status.code(),
          absl::StrCat("The sidecar at ", address_, " rejected the Hello of runtime \"",
                       hello_.runtime_name(), "\": ", outcome.status.message()));
      logger_.Error(std::string(final_status.message()));
      break;
    }
    const absl::Duration delay = backoff.Next();
    logger_.Log(outcome.welcomed ? LogSeverity::kInfo : LogSeverity::kWarning,
                absl::StrCat(outcome.welcomed ? "The stream to the sidecar at "
                                              : "Could not connect to the sidecar at ",
                             address_, " (", Describe(outcome.status), "); reconnecting in ",
                             absl::FormatDuration(absl::Trunc(delay, absl::Milliseconds(1)))));
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay)) break;
  }
  absl::MutexLock lock(&mu_);
  final_status_ = final_status;
  loop_done_ = true;
}

void RuntimeCore::OnWelcome(const v1::Welcome& welcome) {
  logger_.Info(absl::StrCat("Connected to the sidecar at ", address_, " (version ",
                            welcome.sidecar_version(), ") as worker ", welcome.worker_id(),
                            " in namespace \"", welcome.namespace_(), "\" with ", hello_.slots(),
                            " slot(s)"));
}

void RuntimeCore::OnRegistration(const v1::Registration& registration) {
  {
    absl::MutexLock lock(&mu_);
    registered_ = registration.registered();
    registration_error_ = registration.error();
  }
  if (registration.registered()) {
    logger_.Info(absl::StrCat("Nodes of runtime \"", hello_.runtime_name(),
                              "\" registered with the state manager"));
  } else {
    logger_.Warning(
        absl::StrCat("Registering the nodes with the state manager failed: ", registration.error(),
                     "; the sidecar retries in ", registration.retry_in_ms(), " ms"));
  }
}

void RuntimeCore::OnTask(std::shared_ptr<WorkerSession> session, Task task) {
  auto it = nodes_.find(task.node_name());
  std::shared_ptr<BaseNode> node = it == nodes_.end() ? nullptr : it->second;
  const std::string state_id = task.state_id();
  const bool queued = executor_.Submit([session, node = std::move(node), task = std::move(task)]() {
    // Cancelled while queued: the sidecar expects no result.
    if (task.IsCancelled()) return;
    if (node == nullptr) {
      session->SendResult(
          ErroredResult(task.state_id(), absl::StrCat("Unknown node \"", task.node_name(), "\"")));
      return;
    }
    session->SendResult(InvokeNode(*node, task));
  });
  if (!queued) {
    // Only after Stop joined the connection thread, which is the only caller; kept for safety.
    logger_.Warning(absl::StrCat("Dropped task ", state_id, ": the runtime is stopping"));
  }
}

}  // namespace exosphere::client::internal
