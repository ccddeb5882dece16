#include "sidecar/operations/registrar.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "common/log.h"

namespace exosphere::sidecar {

Registrar::Registrar(StatesClient& client, ThreadPool& pool, Scheduler& scheduler,
                     RegistrarOptions options, OutcomeCallback on_outcome)
    : client_(client),
      pool_(pool),
      scheduler_(scheduler),
      options_(options),
      on_outcome_(std::move(on_outcome)) {}

void Registrar::Request(RegistrationRequest request) {
  Key key(request.ns, request.runtime_name);
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_.try_emplace(key, options_).first->second;
  entry.latest = std::move(request);
  if (entry.busy) return;  // the running attempt picks up the newest request when it ends
  entry.busy = true;
  pool_.Submit([this, key] { Attempt(key); });
}

void Registrar::Attempt(const Key& key) {
  RegistrationRequest request;
  {
    absl::MutexLock lock(&mu_);
    request = entries_.at(key).latest;
  }
  const absl::Status status =
      client_.RegisterNodes(request.ns, request.runtime_name, request.nodes);
  RegistrationOutcome outcome;
  outcome.ns = request.ns;
  outcome.runtime_name = request.runtime_name;
  outcome.generation = request.generation;
  outcome.status = status;
  bool newer_waiting = false;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_.at(key);
    if (status.ok() || IsPermanentRegistrationFailure(status)) {
      entry.backoff.Reset();
      newer_waiting = entry.latest.generation > request.generation;
      entry.busy = newer_waiting;
    } else {
      outcome.retry_in = entry.backoff.Next();
    }
  }
  const bool retry = !status.ok() && !IsPermanentRegistrationFailure(status);
  if (status.ok()) {
    EXO_LOG(kInfo, "nodes_registered", "",
            {{"namespace", request.ns},
             {"runtime", request.runtime_name},
             {"nodes", absl::StrCat(request.nodes.size())}});
  } else {
    EXO_LOG(kWarning, "registration_failed", std::string(status.message()),
            {{"namespace", request.ns},
             {"runtime", request.runtime_name},
             {"retry_in_ms", retry ? absl::StrCat(absl::ToInt64Milliseconds(outcome.retry_in))
                                   : "never (refused for good)"}});
  }
  // Outcomes of one runtime reach the callback in attempt order: the next attempt starts only
  // after this one's outcome was delivered.
  on_outcome_(outcome);
  if (retry) {
    scheduler_.ScheduleAfter(outcome.retry_in,
                             [this, key] { pool_.Submit([this, key] { Attempt(key); }); });
  } else if (newer_waiting) {
    pool_.Submit([this, key] { Attempt(key); });
  }
}

}  // namespace exosphere::sidecar
