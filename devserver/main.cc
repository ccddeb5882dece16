// exosphere-devserver: a local, self-contained ExosphereHost state manager (v0 REST API).

#include <signal.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "common/flags.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "devserver/devserver.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8000",
          "Address to serve on, HOST:PORT (IPv6 as [HOST]:PORT). Port 0 picks a free port. The "
          "first line on stdout is always `listening on http://HOST:PORT` with the real port.");
ABSL_FLAG(std::string, api_key, "",
          "The API key clients must send as the x-api-key header. If empty, the environment "
          "variable STATE_MANAGER_SECRET is used, then EXOSPHERE_API_KEY; without any key the "
          "devserver refuses to start (exit code 2).");
ABSL_FLAG(std::string, db, "",
          "SQLite file for persistence: nodes, graphs, runs, states, stores and cron records "
          "survive a restart and runs continue after it. Created if missing. Default: in memory.");
ABSL_FLAG(std::string, secrets_encryption_key, "",
          "Key of the AES-256-GCM encryption of graph secrets: 32 bytes in URL-safe base64 (44 "
          "characters), the state manager's format. If empty, the environment variable "
          "SECRETS_ENCRYPTION_KEY is used; without either, a key is generated and kept in "
          "DB.secrets-key next to the --db file (or for this process only, in memory).");
ABSL_FLAG(std::string, cors_origins, "",
          "Comma-separated origins a browser app may call the devserver from (\"*\": any). If "
          "empty, the environment variable CORS_ORIGINS is used, else the state manager's "
          "defaults: http://localhost:3000, http://localhost:3001, http://127.0.0.1:3000, "
          "http://127.0.0.1:3001.");
ABSL_FLAG(
    int64_t, verify_delay_ms, 0,
    "Delay in milliseconds before a graph upsert's asynchronous verification runs; the graph "
    "stays PENDING (and trigger answers 400) until then. Useful to observe PENDING in tests.");
ABSL_FLAG(int32_t, http_threads, 64,
          "HTTP worker threads. Each open keep-alive connection occupies one, so this bounds the "
          "number of concurrently connected clients.");
ABSL_FLAG(int64_t, max_body_bytes, int64_t{8} * 1024 * 1024,
          "Largest accepted request body in bytes; larger bodies are answered with 413.");
ABSL_FLAG(int64_t, cron_check_interval_ms, 60000,
          "How often due cron triggers are fired, in milliseconds (checks run at multiples of the "
          "interval; the state manager checks every minute).");
ABSL_FLAG(int64_t, keep_alive_timeout_s, 5,
          "Seconds an idle keep-alive connection stays open (uvicorn's default is 5).");
ABSL_FLAG(std::string, log_level, "info", "Log level on stderr: debug, info, warn or error.");
ABSL_FLAG(std::string, log_format, "text", "Log format on stderr: text or json.");

namespace {

constexpr char kUsage[] =
    "A faithful local implementation of the ExosphereHost state manager's v0 REST API.\n"
    "\n"
    "Usage: exosphere-devserver [--listen=HOST:PORT] [--api-key=KEY] [--db=PATH] [flags...]\n"
    "Flag names may be written with dashes (--api-key) or underscores (--api_key).\n"
    "\n"
    "Serves /v0/namespace/{namespace}/... (nodes, graphs, runs, states, store, secrets, cron\n"
    "triggers), /health, /openapi.json and /docs. Prints `listening on http://HOST:PORT` as its\n"
    "first stdout line, logs to stderr, and stops cleanly (exit 0) on SIGINT or SIGTERM.";

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "exosphere-devserver: %s\n", message.c_str());
  return code;
}

bool ParseListen(const std::string& text, std::string* host, int* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host_part = text.substr(0, colon);
  if (host_part.size() >= 2 && host_part.front() == '[' && host_part.back() == ']') {
    host_part = host_part.substr(1, host_part.size() - 2);
  }
  int value;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &value) || value < 0 || value > 65535) {
    return false;
  }
  *host = host_part;
  *port = value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  // --help lists the flags of this file; --version prints the project's version.
  exosphere::ConfigureFlagsUsage(absl::StrCat("exosphere-devserver ", EXOSPHERE_VERSION));
  // Flags may be written --api-key or --api_key (abseil only knows the latter).
  std::vector<std::string> storage;
  std::vector<char*> normalized = exosphere::NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(argc, normalized.data());
  // --api-key falls back to STATE_MANAGER_SECRET (the server's own variable), then
  // EXOSPHERE_API_KEY (the SDKs'); later pairs win, and empty variables count as unset.
  absl::Status fallbacks = exosphere::ApplyEnvironmentFallbacks(
      {{"api_key", "EXOSPHERE_API_KEY"},
       {"api_key", "STATE_MANAGER_SECRET"},
       {"secrets_encryption_key", "SECRETS_ENCRYPTION_KEY"},
       {"cors_origins", "CORS_ORIGINS"}},
      [](const std::string& name) -> std::optional<std::string> {
        std::optional<std::string> value = exosphere::GetEnv(name);
        if (value.has_value() && value->empty()) return std::nullopt;
        return value;
      },
      normalized);
  if (!fallbacks.ok()) return Fail(2, std::string(fallbacks.message()));

  absl::StatusOr<exosphere::log::Level> level =
      exosphere::log::ParseLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) return Fail(2, std::string(level.status().message()));
  absl::StatusOr<exosphere::log::Format> format =
      exosphere::log::ParseFormat(absl::GetFlag(FLAGS_log_format));
  if (!format.ok()) return Fail(2, std::string(format.status().message()));
  exosphere::log::SetLevel(*level);
  exosphere::log::SetFormat(*format);

  exosphere::devserver::DevserverOptions options;
  if (!ParseListen(absl::GetFlag(FLAGS_listen), &options.host, &options.port)) {
    return Fail(2, absl::StrCat("invalid --listen '", absl::GetFlag(FLAGS_listen),
                                "': expected HOST:PORT with a port from 0 to 65535"));
  }
  options.api_key = absl::GetFlag(FLAGS_api_key);
  if (options.api_key.empty()) {
    return Fail(2,
                "no API key: pass --api-key or set STATE_MANAGER_SECRET or EXOSPHERE_API_KEY "
                "(clients must send it as the x-api-key header)");
  }
  options.db_path = absl::GetFlag(FLAGS_db);
  options.secrets_encryption_key = absl::GetFlag(FLAGS_secrets_encryption_key);
  if (!absl::GetFlag(FLAGS_cors_origins).empty()) {
    options.cors_origins =
        exosphere::devserver::ParseCorsOrigins(absl::GetFlag(FLAGS_cors_origins));
  }
  const int64_t verify_delay_ms = absl::GetFlag(FLAGS_verify_delay_ms);
  const int64_t max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  const int64_t cron_interval_ms = absl::GetFlag(FLAGS_cron_check_interval_ms);
  const int64_t keep_alive_s = absl::GetFlag(FLAGS_keep_alive_timeout_s);
  if (verify_delay_ms < 0) return Fail(2, "--verify-delay-ms must be >= 0");
  if (max_body_bytes <= 0) return Fail(2, "--max-body-bytes must be > 0");
  if (cron_interval_ms <= 0) return Fail(2, "--cron-check-interval-ms must be > 0");
  if (keep_alive_s <= 0) return Fail(2, "--keep-alive-timeout-s must be > 0");
  if (absl::GetFlag(FLAGS_http_threads) < 1) return Fail(2, "--http-threads must be >= 1");
  options.verify_delay = absl::Milliseconds(verify_delay_ms);
  options.http_threads = absl::GetFlag(FLAGS_http_threads);
  options.max_body_bytes = static_cast<size_t>(max_body_bytes);
  options.cron_check_interval = absl::Milliseconds(cron_interval_ms);
  options.keep_alive_timeout = absl::Seconds(keep_alive_s);

  // Block the stop signals in every thread; the main thread collects them with WaitForStopSignal.
  exosphere::BlockStopSignals();
  // A client closing its connection mid-response must not kill the process.
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<exosphere::devserver::Devserver>> server =
      exosphere::devserver::Devserver::Start(options);
  if (!server.ok()) {
    // A malformed key is a configuration error like a bad flag.
    const int code = server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
    return Fail(code, absl::StrCat("cannot start: ", server.status().ToString()));
  }

  std::printf("listening on %s\n", (*server)->base_url().c_str());
  std::fflush(stdout);

  const int received = exosphere::WaitForStopSignal();
  EXO_LOG(kInfo, "devserver_stopping", "", {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  (*server)->Shutdown();
  return 0;
}
