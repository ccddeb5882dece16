#include "sidecar/operations/http_secrets_fetcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "common/log.h"

namespace exosphere::sidecar {

struct HttpSecretsFetcher::Pending {
  std::string ns;
  std::string state_id;
  Callback done;
  int attempt = 0;
};

HttpSecretsFetcher::HttpSecretsFetcher(StatesClient& client, Scheduler& scheduler,
                                       HttpSecretsFetcherOptions options)
    : client_(client), scheduler_(scheduler), options_(options) {}

void HttpSecretsFetcher::Fetch(std::string ns, std::string state_id, Callback done) {
  auto fetch = std::make_shared<Pending>();
  fetch->ns = std::move(ns);
  fetch->state_id = std::move(state_id);
  fetch->done = std::move(done);
  Attempt(fetch);
}

void HttpSecretsFetcher::Attempt(const std::shared_ptr<Pending>& fetch) {
  ++fetch->attempt;
  client_.GetSecretsAsync(
      fetch->ns, fetch->state_id, [this, fetch](absl::StatusOr<json::StringMap> secrets) {
        const absl::StatusCode code = secrets.status().code();
        const bool retryable = !secrets.ok() && code != absl::StatusCode::kNotFound &&
                               code != absl::StatusCode::kInvalidArgument &&
                               code != absl::StatusCode::kCancelled;
        if (!retryable || fetch->attempt >= options_.max_attempts) {
          fetch->done(std::move(secrets));
          return;
        }
        // Exponential with a cap; no jitter needed for a handful of attempts of one state.
        absl::Duration delay = options_.initial_backoff;
        for (int i = 1; i < fetch->attempt && delay < options_.max_backoff; ++i) delay *= 2;
        delay = std::min(delay, options_.max_backoff);
        EXO_LOG(kWarning, "secrets_retry", std::string(secrets.status().message()),
                {{"state_id", fetch->state_id}, {"attempt", absl::StrCat(fetch->attempt)}});
        scheduler_.ScheduleAfter(delay, [this, fetch] { Attempt(fetch); });
      });
}

}  // namespace exosphere::sidecar
