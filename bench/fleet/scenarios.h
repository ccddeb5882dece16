#ifndef EXOSPHERE_BENCH_FLEET_SCENARIOS_H_
#define EXOSPHERE_BENCH_FLEET_SCENARIOS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "bench/fleet/fleet.h"

// The four fleet scenarios of bench/README.md ("Fleet"). Each runs on a started Fleet, leaves it
// idle and undamaged for the next one, and returns one parseable line,
// "fleet_<scenario> pods=N key=value ...", and whether every state came through.
namespace exosphere::bench {

// What every load scenario checks once its arrivals ended and the fleet drained.
struct Outcome {
  int64_t triggered = 0;
  int64_t executed = 0;  // distinct states the workers ran
  int64_t lost = 0;      // triggered but never ran, or ran but never reported executed
  // Of those, how many a claim whose reply the proxy did not deliver (the server going down
  // under it) left QUEUED: v0 cannot recover them (contract 6.1), no sidecar can prevent it.
  int64_t stranded_by_lost_reply = 0;
  int64_t duplicates = 0;  // states that ran more than once, or were reported executed twice
  absl::Duration drained;  // arrivals' end to the last report applied

  // Nothing lost that the sidecars could have kept, nothing twice.
  bool Clean() const { return lost <= stranded_by_lost_reply && duplicates == 0; }
};

struct ScenarioResult {
  std::string line;
  bool clean = true;  // see Outcome::Clean; always true for idle
};

struct IdleOptions {
  absl::Duration settle = absl::Seconds(60);  // idle before measuring
  absl::Duration window = absl::Seconds(10);  // measured
};
absl::StatusOr<ScenarioResult> RunIdle(Fleet& fleet, const IdleOptions& options);

struct SteadyOptions {
  double runs_per_second = 200;
  absl::Duration duration = absl::Seconds(20);
};
absl::StatusOr<ScenarioResult> RunSteady(Fleet& fleet, const SteadyOptions& options);

struct SaturationOptions {
  double runs_per_second = 300;
  absl::Duration duration = absl::Seconds(20);
  // The throttled state manager: this many requests served at once, each taking service_time.
  int server_workers = 2;
  absl::Duration service_time = absl::Milliseconds(10);
};
absl::StatusOr<ScenarioResult> RunSaturation(Fleet& fleet, const SaturationOptions& options);

struct RestartOptions {
  double runs_per_second = 100;
  absl::Duration before = absl::Seconds(5);  // steady arrivals before the outage
  absl::Duration down = absl::Seconds(30);
  absl::Duration after = absl::Seconds(10);  // arrivals go on this long after it is back
};
absl::StatusOr<ScenarioResult> RunRestart(Fleet& fleet, const RestartOptions& options);

}  // namespace exosphere::bench

#endif  // EXOSPHERE_BENCH_FLEET_SCENARIOS_H_
