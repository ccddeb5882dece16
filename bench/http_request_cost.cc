// http-request-cost: the CPU one keep-alive HTTP request costs the thread that sends it, for the
// sidecar's libcurl client (CurlHttpClient::Send, the code that sends every report) next to
// cpp-httplib's client (what devserver-bench and sidecar-bench's raw phase use) and the sidecar's
// own PlainHttpClient (what it uses for http:// state managers), in the same run
// against the same in-process devserver. The request has the shape of a report: a POST of
// {"outputs": []} to a state's executed endpoint. Prints one parseable line per client and round
// (see bench/README.md).

#include <httplib.h>
#include <time.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "common/flags.h"
#include "common/log.h"
#include "devserver/devserver.h"
#include "sidecar/transport/curl_http_client.h"
#include "sidecar/transport/plain_http_client.h"

ABSL_FLAG(int32_t, requests, 20000, "Requests per client and round.");
ABSL_FLAG(int32_t, rounds, 3, "Rounds; each runs every client once, interleaved.");

namespace {

constexpr char kApiKey[] = "bench-key";
// A well-formed state id that does not exist: the devserver answers 404 after one lookup, so
// the server does as little as it can and the client's cost stands out.
constexpr char kPath[] = "/v0/namespace/bench/state/0123456789abcdef01234567/executed";
constexpr char kBody[] = R"({"outputs": []})";
constexpr int kExpectedStatus = 404;

double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "http-request-cost: %s\n", message.c_str());
  return 1;
}

// Sends one request and returns its HTTP status, 0 on a transport error.
using SendOnce = std::function<int()>;

// Runs `requests` sends on this thread; prints the line; false if any answer was unexpected.
bool Measure(const std::string& client, int requests, const SendOnce& send) {
  if (send() != kExpectedStatus) return false;  // opens the keep-alive connection first
  const double cpu_before = ThreadCpuSeconds();
  const absl::Time wall_before = absl::Now();
  for (int i = 0; i < requests; ++i) {
    if (send() != kExpectedStatus) return false;
  }
  const double cpu = ThreadCpuSeconds() - cpu_before;
  const double wall = absl::ToDoubleSeconds(absl::Now() - wall_before);
  std::printf(
      "http_request_cost client=%s requests=%d cpu_us_per_request=%.1f "
      "wall_us_per_request=%.1f\n",
      client.c_str(), requests, cpu * 1e6 / requests, wall * 1e6 / requests);
  std::fflush(stdout);
  return true;
}

int Run() {
  exosphere::devserver::DevserverOptions options;
  options.port = 0;
  options.api_key = kApiKey;
  absl::StatusOr<std::unique_ptr<exosphere::devserver::Devserver>> server =
      exosphere::devserver::Devserver::Start(options);
  if (!server.ok()) return Fail(std::string(server.status().message()));

  exosphere::sidecar::CurlHttpClientOptions curl_options;
  curl_options.max_connections = 1;
  absl::StatusOr<std::unique_ptr<exosphere::sidecar::CurlHttpClient>> curl =
      exosphere::sidecar::CurlHttpClient::Create(curl_options);
  if (!curl.ok()) return Fail(std::string(curl.status().message()));
  exosphere::sidecar::HttpRequest request;
  request.method = "POST";
  request.url = absl::StrCat((*server)->base_url(), kPath);
  // The headers the sidecar's reports carry.
  request.headers = {{"x-api-key", kApiKey}, {"Content-Type", "application/json"}};
  request.body = kBody;
  const SendOnce send_with_curl = [&] {
    absl::StatusOr<exosphere::sidecar::HttpResponse> response = (*curl)->Send(request);
    return response.ok() ? response->status : 0;
  };
  absl::StatusOr<std::unique_ptr<exosphere::sidecar::PlainHttpClient>> plain =
      exosphere::sidecar::PlainHttpClient::Create(curl_options);
  if (!plain.ok()) return Fail(std::string(plain.status().message()));
  const SendOnce send_with_plain = [&] {
    absl::StatusOr<exosphere::sidecar::HttpResponse> response = (*plain)->Send(request);
    return response.ok() ? response->status : 0;
  };

  httplib::Client httplib_client("127.0.0.1", (*server)->port());
  httplib_client.set_keep_alive(true);
  httplib_client.set_tcp_nodelay(true);  // as devserver-bench does; without it Nagle adds ~40 ms
  const httplib::Headers httplib_headers = {{"x-api-key", kApiKey}};
  const SendOnce send_with_httplib = [&] {
    httplib::Result response =
        httplib_client.Post(kPath, httplib_headers, kBody, "application/json");
    return response ? response->status : 0;
  };

  std::printf("# http-request-cost: POST %s (answered %d) from one thread, keep-alive\n", kPath,
              kExpectedStatus);
  const int requests = absl::GetFlag(FLAGS_requests);
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    if (!Measure("libcurl", requests, send_with_curl)) return Fail("libcurl: unexpected answer");
    if (!Measure("cpp-httplib", requests, send_with_httplib)) {
      return Fail("cpp-httplib: unexpected answer");
    }
    if (!Measure("plain", requests, send_with_plain)) return Fail("plain: unexpected answer");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "CPU per keep-alive HTTP request: libcurl, cpp-httplib and the sidecar's PlainHttpClient.\n"
      "Usage: http-request-cost [--requests=N] [--rounds=R]");
  std::vector<std::string> storage;
  std::vector<char*> normalized = exosphere::NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(argc, normalized.data());
  exosphere::log::SetLevel(exosphere::log::Level::kWarning);
  return Run();
}
