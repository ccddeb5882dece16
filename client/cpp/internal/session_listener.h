#ifndef EXOSPHERE_CLIENT_CPP_INTERNAL_SESSION_LISTENER_H_
#define EXOSPHERE_CLIENT_CPP_INTERNAL_SESSION_LISTENER_H_

#include <memory>

#include "exosphere/client/task.h"
#include "exosphere/sidecar/v1/node_host.pb.h"

namespace exosphere::client::internal {

namespace v1 = ::exosphere::sidecar::v1;

class WorkerSession;

// What a WorkerSession reports to its owner. Called on the session's reading thread, one call
// at a time; implementations must return quickly (hand tasks to an executor).
class SessionListener {
 public:
  virtual ~SessionListener() = default;

  // The sidecar accepted the Hello.
  virtual void OnWelcome(const v1::Welcome& welcome) = 0;
  // The registration of the nodes with the state manager succeeded or failed.
  virtual void OnRegistration(const v1::Registration& registration) = 0;
  // A task to run; its result goes back through session->SendResult.
  virtual void OnTask(std::shared_ptr<WorkerSession> session, Task task) = 0;
};

}  // namespace exosphere::client::internal

#endif  // EXOSPHERE_CLIENT_CPP_INTERNAL_SESSION_LISTENER_H_
