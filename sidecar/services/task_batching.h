#ifndef EXOSPHERE_SIDECAR_SERVICES_TASK_BATCHING_H_
#define EXOSPHERE_SIDECAR_SERVICES_TASK_BATCHING_H_

#include <cstddef>
#include <deque>

#include "exosphere/sidecar/v1/node_host.pb.h"

namespace exosphere::sidecar {

// The largest TaskBatch message the sidecar writes (node_host.proto promises workers "under
// 1 MiB", well below gRPC's default 4 MiB receive limit).
inline constexpr size_t kMaxTaskBatchBytes = 1 << 20;

// Replaces the Task messages at the front of `outbox`, when there are at least two of them, by one
// TaskBatch message that carries them in the same order, taking as many as fit in `max_bytes`
// serialized. Returns how many tasks went into the batch; 0 when the outbox was left as it was (its
// front is not a task, or is a lone task, or the second task would not fit). Messages of other
// kinds are never crossed, so the stream's order is kept.
size_t CoalesceLeadingTasks(std::deque<sidecar::v1::SidecarMessage>& outbox,
                            size_t max_bytes = kMaxTaskBatchBytes);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SERVICES_TASK_BATCHING_H_
