#ifndef EXOSPHERE_SIDECAR_CORE_COMPONENT_STATS_H_
#define EXOSPHERE_SIDECAR_CORE_COMPONENT_STATS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

// The statistics the sidecar's components return from their Stats() methods: plain values,
// copied out under each component's lock. They live apart from the components so that
// SidecarMetrics (and anything else that reads them) depends on no component code.
namespace exosphere::sidecar {

// Journal::Stats().
struct JournalStats {
  size_t live_entries = 0;
  uint64_t file_bytes = 0;
  uint64_t compactions = 0;
  uint64_t write_errors = 0;
};

// Poller::Stats(), per namespace in PollerSet::Stats().
struct PollerStats {
  uint64_t polls = 0;
  uint64_t full = 0;
  uint64_t partial = 0;
  uint64_t empty = 0;
  uint64_t errors = 0;
  uint64_t claimed = 0;
  uint64_t backpressure_waits = 0;
};

// Reporter::Stats().
struct ReporterStats {
  uint64_t submitted = 0;
  uint64_t delivered = 0;
  // Retried reports the server said were applied already (400 "not queued" on a retry).
  uint64_t already_applied = 0;
  uint64_t retries = 0;
  // Reports of a previous run sent again after a restart.
  uint64_t resent = 0;
  // Refused for good and replaced by the next report of the fallback (refusal_fallback.h):
  // reported errored instead, errored again with the message cut, handed back.
  uint64_t reported_errored_after_refusal = 0;
  uint64_t error_truncated_after_refusal = 0;
  uint64_t handed_back_after_refusal = 0;
  // Settled without any report accepted: the state was not QUEUED any more (another report or
  // the server moved it on), or even the hand-back was refused. Logged as errors.
  uint64_t rejected = 0;
  uint64_t unsent = 0;
};

// TaskRouter::Stats().
struct RouterStats {
  struct Namespace {
    int workers = 0;
    int64_t slots = 0;
    int64_t busy_slots = 0;
  };
  int workers = 0;
  int registered_workers = 0;
  // Workers waiting for a registration that failed at least once.
  int registration_failures = 0;
  int64_t slots = 0;
  int64_t busy_slots = 0;
  int tasks_in_flight = 0;  // claimed, not yet handed to the report queue
  int orphaned_tasks = 0;   // waiting for a worker after theirs was lost
  bool draining = false;
  std::map<std::string, Namespace> by_namespace;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_COMPONENT_STATS_H_
