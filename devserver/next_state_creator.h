#ifndef EXOSPHERE_DEVSERVER_NEXT_STATE_CREATOR_H_
#define EXOSPHERE_DEVSERVER_NEXT_STATE_CREATOR_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

#include "common/clock.h"
#include "devserver/store.h"
#include "devserver/task_runner.h"

namespace exosphere::devserver {

// The background step after an executed report (contract 4.6, 4.7): creates the next states of
// the executed state and its fan-out siblings, marks them SUCCESS (or NEXT_CREATED_ERROR with the
// state manager's message), and creates unite states whose targets' descendants are all done.
// Children and the SUCCESS marks appear together in one transaction. While the template is
// PENDING the step is retried every second for up to 300 s, like the server's "wait for valid".
// Thread-safe; work runs on the TaskRunner.
class NextStateCreator {
 public:
  struct Task {
    std::vector<std::string> state_ids;  // the executed state, then its fan-out siblings
    std::string identifier;
    std::string namespace_name;  // the executed state's namespace
    std::string graph_name;
    std::vector<std::pair<std::string, std::string>> parents;  // the executed state's parents
    absl::Time first_attempt;
  };

  // `store`, `tasks` and `clock` must outlive the creator.
  NextStateCreator(Store& store, TaskRunner& tasks, const Clock& clock)
      : store_(store), tasks_(tasks), clock_(clock) {}
  NextStateCreator(const NextStateCreator&) = delete;
  NextStateCreator& operator=(const NextStateCreator&) = delete;

  // Queues `task` for immediate background execution.
  void Schedule(Task task);
  // Schedules the step for every state left EXECUTED (after a restart with --db).
  void ResumeExecutedStates();

 private:
  // Returns true when the step must be retried later (template still PENDING).
  bool Run(const Task& task);

  Store& store_;
  TaskRunner& tasks_;
  const Clock& clock_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_NEXT_STATE_CREATOR_H_
