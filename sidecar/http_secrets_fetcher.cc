#include "sidecar/http_secrets_fetcher.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

#include "common/log.h"

namespace exosphere::sidecar {

HttpSecretsFetcher::HttpSecretsFetcher(StateManagerClient& client, ThreadPool& pool,
                                       Scheduler& scheduler, HttpSecretsFetcherOptions options)
    : client_(client), pool_(pool), scheduler_(scheduler), options_(options) {}

void HttpSecretsFetcher::Fetch(std::string ns, std::string state_id, Callback done) {
  pool_.Submit(
      [this, ns = std::move(ns), state_id = std::move(state_id), done = std::move(done)]() mutable {
        Attempt(std::move(ns), std::move(state_id), std::move(done), 1);
      });
}

void HttpSecretsFetcher::Attempt(std::string ns, std::string state_id, Callback done, int attempt) {
  absl::StatusOr<json::StringMap> secrets = client_.GetSecrets(ns, state_id);
  const bool retryable = !secrets.ok() && secrets.status().code() != absl::StatusCode::kNotFound &&
                         secrets.status().code() != absl::StatusCode::kInvalidArgument;
  if (!retryable || attempt >= options_.max_attempts) {
    done(std::move(secrets));
    return;
  }
  // Exponential with a cap; no jitter needed for a handful of attempts of one state.
  absl::Duration delay = options_.initial_backoff;
  for (int i = 1; i < attempt && delay < options_.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, options_.max_backoff);
  EXO_LOG(kWarning, "secrets_retry", std::string(secrets.status().message()),
          {{"state_id", state_id}, {"attempt", absl::StrCat(attempt)}});
  // std::function must be copyable, so the move-only state travels in a shared_ptr.
  auto next = std::make_shared<std::tuple<std::string, std::string, Callback>>(
      std::move(ns), std::move(state_id), std::move(done));
  scheduler_.ScheduleAfter(delay, [this, next, attempt] {
    pool_.Submit([this, next, attempt] {
      Attempt(std::move(std::get<0>(*next)), std::move(std::get<1>(*next)),
              std::move(std::get<2>(*next)), attempt + 1);
    });
  });
}

}  // namespace exosphere::sidecar
