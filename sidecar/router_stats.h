#ifndef EXOSPHERE_SIDECAR_ROUTER_STATS_H_
#define EXOSPHERE_SIDECAR_ROUTER_STATS_H_

#include <cstdint>
#include <map>
#include <string>

namespace exosphere::sidecar {

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

#endif  // EXOSPHERE_SIDECAR_ROUTER_STATS_H_
