// http-idle-race: how often the sidecar's HTTP client sends a request twice because the kept-alive
// connection it reused was being closed by the server's keep-alive timeout at that moment (the
// server got the request and dropped it with the connection; the client, having no answer, sent
// it again on a new connection). For a claim, that strands the states of the first one.
//
// Clients (threads, each with its own HTTP client of --http-client's kind, as the sidecar's
// pollers and reporters are) send a report-shaped POST to an in-process devserver, then wait for a
// time drawn uniformly from [keep-alive - window, keep-alive + window] and send again, for
// --duration-s; once with each --max-idle-ms setting. Prints one line per setting (see
// bench/README.md).

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

#include "common/flags.h"
#include "common/log.h"
#include "devserver/devserver.h"
#include "sidecar/transport/curl_http_client.h"
#include "sidecar/transport/plain_http_client.h"

ABSL_FLAG(int32_t, keep_alive_s, 1,
          "The devserver's keep-alive timeout in seconds (uvicorn's default is 5).");
ABSL_FLAG(int32_t, window_ms, 2,
          "Each wait between two requests of a client is the keep-alive timeout plus or minus up "
          "to this many milliseconds.");
ABSL_FLAG(int32_t, clients, 32, "Concurrent clients, each with its own connection.");
ABSL_FLAG(int32_t, duration_s, 30, "How long each setting runs.");
ABSL_FLAG(std::string, max_idle_ms, "off,300",
          "Comma-separated HttpClientOptions::max_idle settings to measure, in milliseconds; "
          "'off' is no limit of ours (libcurl: reuse up to 118 s idle), as before max_idle "
          "existed.");
ABSL_FLAG(std::string, http_client, "plain",
          "The client measured: plain (PlainHttpClient, the sidecar's for http://) or curl.");

namespace {

constexpr char kApiKey[] = "bench-key";
// A state id that does not exist: the devserver answers 404 after one lookup.
constexpr char kPath[] = "/v0/namespace/bench/state/0123456789abcdef01234567/executed";
constexpr int kExpectedStatus = 404;

int Fail(const std::string& message) {
  std::fprintf(stderr, "http-idle-race: %s\n", message.c_str());
  return 1;
}

struct Totals {
  int64_t requests = 0;
  int64_t resent = 0;  // went out more than once (HttpResponse::sends > 1)
  int64_t errors = 0;  // transport errors or an unexpected status
};

// One client: send, wait around the keep-alive timeout, send again, until `end`.
void RunClient(const std::string& url, absl::Duration max_idle, absl::Duration keep_alive,
               absl::Duration window, absl::Time end, uint32_t seed, Totals* totals,
               absl::Mutex* mu) {
  exosphere::sidecar::CurlHttpClientOptions options;
  options.max_connections = 1;
  options.max_idle = max_idle;
  absl::StatusOr<std::unique_ptr<exosphere::sidecar::HttpClient>> client;
  if (absl::GetFlag(FLAGS_http_client) == "curl") {
    client = exosphere::sidecar::CurlHttpClient::Create(options);
  } else {
    client = exosphere::sidecar::PlainHttpClient::Create(options);
  }
  Totals mine;
  if (!client.ok()) {
    mine.errors = 1;
  } else {
    exosphere::sidecar::HttpRequest request{
        "POST",
        url,
        {{"x-api-key", kApiKey}, {"Content-Type", "application/json"}},
        R"({"outputs": []})"};
    std::mt19937 random(seed);
    std::uniform_int_distribution<int64_t> offset_us(-absl::ToInt64Microseconds(window),
                                                     absl::ToInt64Microseconds(window));
    while (absl::Now() < end) {
      absl::StatusOr<exosphere::sidecar::HttpResponse> response = (*client)->Send(request);
      ++mine.requests;
      if (!response.ok() || response->status != kExpectedStatus) ++mine.errors;
      if (response.ok() && response->sends > 1) ++mine.resent;
      absl::SleepFor(keep_alive + absl::Microseconds(offset_us(random)));
    }
  }
  absl::MutexLock lock(mu);
  totals->requests += mine.requests;
  totals->resent += mine.resent;
  totals->errors += mine.errors;
}

int Run() {
  const absl::Duration keep_alive = absl::Seconds(absl::GetFlag(FLAGS_keep_alive_s));
  const absl::Duration window = absl::Milliseconds(absl::GetFlag(FLAGS_window_ms));
  const int clients = absl::GetFlag(FLAGS_clients);
  if (keep_alive < absl::Seconds(1) || window >= keep_alive || clients < 1) {
    return Fail("need --keep-alive-s >= 1, --window-ms below it and --clients >= 1");
  }
  const std::string kind = absl::GetFlag(FLAGS_http_client);
  if (kind != "plain" && kind != "curl") return Fail("--http-client must be plain or curl");
  std::vector<absl::Duration> settings;
  for (absl::string_view item : absl::StrSplit(absl::GetFlag(FLAGS_max_idle_ms), ',')) {
    int64_t millis = 0;
    if (item == "off") {
      settings.push_back(absl::InfiniteDuration());
    } else if (absl::SimpleAtoi(item, &millis) && millis >= 0) {
      settings.push_back(absl::Milliseconds(millis));
    } else {
      return Fail(absl::StrCat("--max-idle-ms: '", item, "' is neither 'off' nor milliseconds"));
    }
  }

  exosphere::devserver::DevserverOptions options;
  options.port = 0;
  options.api_key = kApiKey;
  options.keep_alive_timeout = keep_alive;
  options.http_threads = clients + 8;  // each open connection holds a server thread
  absl::StatusOr<std::unique_ptr<exosphere::devserver::Devserver>> server =
      exosphere::devserver::Devserver::Start(options);
  if (!server.ok()) return Fail(std::string(server.status().message()));
  const std::string url = absl::StrCat((*server)->base_url(), kPath);

  const absl::Duration duration = absl::Seconds(absl::GetFlag(FLAGS_duration_s));
  for (const absl::Duration max_idle : settings) {
    Totals totals;
    absl::Mutex mu;
    const absl::Time end = absl::Now() + duration;
    std::vector<std::thread> threads;
    threads.reserve(static_cast<size_t>(clients));
    for (int i = 0; i < clients; ++i) {
      threads.emplace_back(RunClient, url, max_idle, keep_alive, window, end,
                           static_cast<uint32_t>(i + 1), &totals, &mu);
      // Spread the clients' phases over the interval so that the server's closes do not bunch.
      absl::SleepFor(keep_alive / clients);
    }
    for (std::thread& thread : threads) thread.join();
    const std::string idle = max_idle == absl::InfiniteDuration()
                                 ? "off"
                                 : absl::StrCat(absl::ToInt64Milliseconds(max_idle));
    std::printf(
        "http_idle_race client=%s keep_alive_s=%d window_ms=%d clients=%d max_idle_ms=%s "
        "requests=%lld resent=%lld errors=%lld resent_per_1000=%.2f\n",
        kind.c_str(), absl::GetFlag(FLAGS_keep_alive_s), absl::GetFlag(FLAGS_window_ms), clients,
        idle.c_str(), static_cast<long long>(totals.requests),
        static_cast<long long>(totals.resent), static_cast<long long>(totals.errors),
        totals.requests > 0
            ? 1000.0 * static_cast<double>(totals.resent) / static_cast<double>(totals.requests)
            : 0.0);
    std::fflush(stdout);
    if (totals.errors > 0) return Fail("some requests failed or got an unexpected status");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "How often a request is re-sent because its kept-alive connection was closed by the "
      "server's keep-alive timeout as it went out.\n"
      "Usage: http-idle-race [--keep-alive-s=1] [--window-ms=2] [--clients=32] "
      "[--duration-s=30] [--max-idle-ms=off,300] [--http-client=plain|curl]");
  std::vector<std::string> storage;
  std::vector<char*> normalized = exosphere::NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(argc, normalized.data());
  exosphere::log::SetLevel(exosphere::log::Level::kWarning);
  return Run();
}
