#ifndef EXOSPHERE_SIDECAR_CORE_POLL_GROUP_H_
#define EXOSPHERE_SIDECAR_CORE_POLL_GROUP_H_

#include <string>
#include <vector>

namespace exosphere::sidecar {

// Nodes of one namespace that are served by exactly the same workers, so that claiming up to
// `capacity` states of any mix of them can never claim more than those workers can run.
struct PollGroup {
  std::vector<std::string> node_names;  // sorted
  int capacity = 0;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_POLL_GROUP_H_
