#ifndef EXOSPHERE_CLIENT_TASK_H_
#define EXOSPHERE_CLIENT_TASK_H_

#include <memory>
#include <string>

#include "absl/time/time.h"

#include "exosphere/client/cancellation_token.h"
#include "exosphere/client/string_map.h"

namespace exosphere::client {

// One execution of a node: a state of a run that the sidecar claimed for this worker. Immutable
// apart from its cancellation token; a node may read it from several threads. Tests of a node
// can build one directly.
class Task {
 public:
  // `cancellation` may be null (a fresh token is made). `deadline` is when the sidecar gives up
  // on the task (absl::InfiniteFuture(): none).
  Task(std::string state_id, std::string node_name, std::string identifier, StringMap inputs,
       StringMap secrets, std::shared_ptr<CancellationToken> cancellation = nullptr,
       absl::Time deadline = absl::InfiniteFuture());

  // The state's id in the state manager.
  const std::string& state_id() const { return state_id_; }
  // The registered node name (BaseNode::name()).
  const std::string& node_name() const { return node_name_; }
  // The node's identifier within the graph (one node may appear several times in a graph).
  const std::string& identifier() const { return identifier_; }
  const StringMap& inputs() const { return inputs_; }
  // Only the secrets the node declared.
  const StringMap& secrets() const { return secrets_; }

  // The value of one input or secret; "" when absent (the sidecar guarantees that every
  // declared input and secret is present).
  const std::string& input(const std::string& name) const;
  const std::string& secret(const std::string& name) const;

  absl::Time deadline() const { return deadline_; }

  // True once the task was cancelled: its result will be discarded, so a long node should check
  // this between steps and return early (any result will do).
  bool IsCancelled() const { return cancellation_->IsCancelled(); }
  // An interruptible sleep: blocks up to `timeout`, returns true early when the task is cancelled.
  bool WaitForCancellation(absl::Duration timeout) const {
    return cancellation_->WaitForCancellation(timeout);
  }
  // The token itself, shared with the runtime that sets it (and with anything the node hands it
  // to, such as a helper thread), hence a shared_ptr.
  const std::shared_ptr<CancellationToken>& cancellation() const { return cancellation_; }

 private:
  std::string state_id_;
  std::string node_name_;
  std::string identifier_;
  StringMap inputs_;
  StringMap secrets_;
  std::shared_ptr<CancellationToken> cancellation_;
  absl::Time deadline_;
};

}  // namespace exosphere::client

#endif  // EXOSPHERE_CLIENT_TASK_H_
