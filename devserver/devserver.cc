#include "devserver/devserver.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

#include "common/log.h"
#include "devserver/api.h"
#include "devserver/cron_scheduler.h"
#include "devserver/graph_service.h"
#include "devserver/http_server.h"
#include "devserver/inspection_service.h"
#include "devserver/next_state_creator.h"
#include "devserver/request_dispatcher.h"
#include "devserver/router.h"
#include "devserver/run_service.h"
#include "devserver/secret_cipher.h"
#include "devserver/sqlite_persistence.h"
#include "devserver/state_service.h"
#include "devserver/store.h"
#include "devserver/task_runner.h"

namespace exosphere::devserver {
namespace {

// The key of the secrets' encryption: the configured one, else the one kept next to the database
// (created on first start), else a key for this process only.
absl::StatusOr<SecretCipher> MakeSecretCipher(const DevserverOptions& options) {
  std::string key = options.secrets_encryption_key;
  if (key.empty() && !options.db_path.empty()) {
    absl::StatusOr<std::string> stored =
        SecretCipher::LoadOrCreateKeyFile(SecretsKeyPath(options.db_path));
    if (!stored.ok()) return stored.status();
    key = *std::move(stored);
  } else if (key.empty()) {
    absl::StatusOr<std::string> generated = SecretCipher::GenerateKey();
    if (!generated.ok()) return generated.status();
    key = *std::move(generated);
  }
  log::RegisterSensitiveValue(key);
  return SecretCipher::FromKey(key);
}

// Secrets written under another key, or by a devserver that only obfuscated them, cannot be
// served; say so once at startup instead of only with a 500 from the secrets endpoint.
void ReportUndecryptableSecrets(Store& store, const SecretCipher& cipher) {
  store.Transact([&](Tables& tables) {
    for (const GraphTemplate* graph : tables.AllGraphs()) {
      for (const auto& [name, encrypted] : graph->secrets) {
        if (cipher.Decrypt(encrypted).ok()) continue;
        EXO_LOG(kWarning, "undecryptable_secrets",
                "this graph's secrets were stored under another secrets key or by a devserver "
                "older than the AES-GCM encryption; GET .../secrets answers 500 for its states "
                "until the graph is upserted again with its secrets",
                {{"namespace", graph->namespace_name}, {"graph", graph->name}});
        break;
      }
    }
  });
}

}  // namespace

std::vector<std::string> DefaultCorsOrigins() {
  return {"http://localhost:3000", "http://localhost:3001", "http://127.0.0.1:3000",
          "http://127.0.0.1:3001"};
}

std::vector<std::string> ParseCorsOrigins(const std::string& comma_separated) {
  std::vector<std::string> origins;
  for (absl::string_view origin : absl::StrSplit(comma_separated, ',')) {
    origin = absl::StripAsciiWhitespace(origin);
    if (!origin.empty()) origins.emplace_back(origin);
  }
  return origins;
}

std::string SecretsKeyPath(const std::string& db_path) {
  return absl::StrCat(db_path, ".secrets-key");
}

absl::StatusOr<std::unique_ptr<Devserver>> Devserver::Start(const DevserverOptions& options) {
  if (options.api_key.empty()) return absl::InvalidArgumentError("an API key is required");
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("invalid port ", options.port));
  }
  if (options.http_threads < 1) return absl::InvalidArgumentError("http_threads must be >= 1");
  if (options.max_body_bytes == 0) return absl::InvalidArgumentError("max_body_bytes must be > 0");
  if (options.verify_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("verify_delay must not be negative");
  }
  if (options.cron_check_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("cron_check_interval must be positive");
  }
  Clock& clock = options.clock != nullptr ? *options.clock : RealClock::Get();
  log::RegisterSensitiveValue(options.api_key);

  absl::StatusOr<SecretCipher> cipher = MakeSecretCipher(options);
  if (!cipher.ok()) return cipher.status();

  std::unique_ptr<Devserver> server(new Devserver());
  server->cipher_ = std::make_unique<SecretCipher>(*std::move(cipher));
  std::unique_ptr<Persistence> persistence;
  if (!options.db_path.empty()) {
    absl::StatusOr<std::unique_ptr<SqlitePersistence>> sqlite =
        SqlitePersistence::Open(options.db_path);
    if (!sqlite.ok()) return sqlite.status();
    persistence = *std::move(sqlite);
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(std::move(persistence));
  if (!store.ok()) return store.status();
  server->store_ = *std::move(store);
  ReportUndecryptableSecrets(*server->store_, *server->cipher_);
  server->tasks_ = std::make_unique<TaskRunner>(clock, options.background_threads);
  server->graphs_ = std::make_unique<GraphService>(*server->store_, *server->tasks_, clock,
                                                   *server->cipher_, options.verify_delay);
  server->runs_ = std::make_unique<RunService>(*server->store_, clock);
  server->next_states_ =
      std::make_unique<NextStateCreator>(*server->store_, *server->tasks_, clock);
  server->states_ = std::make_unique<StateService>(*server->store_, *server->next_states_, clock,
                                                   *server->cipher_);
  server->inspection_ = std::make_unique<InspectionService>(*server->store_);
  server->cron_ = std::make_unique<CronScheduler>(*server->store_, *server->runs_, clock,
                                                  options.cron_check_interval);
  server->api_ = std::make_unique<Api>(options.api_key, *server->graphs_, *server->runs_,
                                       *server->states_, *server->inspection_);
  server->router_ = std::make_unique<Router>();
  server->api_->Register(*server->router_);
  server->dispatcher_ =
      std::make_unique<RequestDispatcher>(*server->router_, Cors(options.cors_origins));

  // Background work a previous process did not get to (only possible with --db).
  server->graphs_->ResumePendingVerifications();
  server->next_states_->ResumeExecutedStates();
  server->cron_->Start();

  HttpServer::Options http;
  http.host = options.host;
  http.port = options.port;
  http.threads = options.http_threads;
  http.max_body_bytes = options.max_body_bytes;
  http.keep_alive_timeout = options.keep_alive_timeout;
  absl::StatusOr<std::unique_ptr<HttpServer>> started =
      HttpServer::Start(http, *server->dispatcher_);
  if (!started.ok()) return started.status();
  server->http_ = *std::move(started);
  server->host_ = options.host;
  server->port_ = server->http_->port();
  EXO_LOG(kInfo, "devserver_started", "",
          {{"url", server->base_url()},
           {"db", options.db_path.empty() ? "memory" : options.db_path},
           {"secrets_key", !options.secrets_encryption_key.empty() ? "configured"
                           : options.db_path.empty()               ? "generated for this process"
                                                     : SecretsKeyPath(options.db_path)}});
  return server;
}

Devserver::~Devserver() { Shutdown(); }

std::string Devserver::base_url() const {
  if (absl::StrContains(host_, ':')) return absl::StrCat("http://[", host_, "]:", port_);
  return absl::StrCat("http://", host_, ":", port_);
}

void Devserver::Shutdown() {
  if (stopped_.exchange(true)) return;
  if (http_ != nullptr) http_->Shutdown();
  if (cron_ != nullptr) cron_->Shutdown();
  if (tasks_ != nullptr) tasks_->Shutdown();
  EXO_LOG(kInfo, "devserver_stopped", "");
}

}  // namespace exosphere::devserver
