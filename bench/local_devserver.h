#ifndef EXOSPHERE_BENCH_LOCAL_DEVSERVER_H_
#define EXOSPHERE_BENCH_LOCAL_DEVSERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "harness/child_process.h"
#include "sidecar/transport/curl_http_client.h"
#include "sidecar/transport/rest_graph_api_client.h"

namespace exosphere::bench {

// A child process with EXOSPHERE_API_KEY set to `api_key`; its stderr is echoed (prefixed with
// `label`) only when `echo` is set.
absl::StatusOr<std::unique_ptr<harness::ChildProcess>> LaunchWithApiKey(
    std::vector<std::string> argv, std::string label, const std::string& api_key, bool echo);

// exosphere-devserver started as a child process on a free loopback port, and a graph-API client
// on it: what the multi-process benchmarks (fleet-bench, chain-bench) start first.
struct LocalDevserver {
  std::unique_ptr<harness::ChildProcess> process;
  std::string url;
  int port = 0;
  std::unique_ptr<sidecar::CurlHttpClient> http;
  std::unique_ptr<sidecar::RestGraphApiClient> graphs;  // uses `http`
};

// Starts it with `extra_args` after the listen, key and log flags, and waits up to `timeout` for
// its address.
absl::StatusOr<LocalDevserver> StartLocalDevserver(const std::string& api_key,
                                                   const std::vector<std::string>& extra_args,
                                                   const std::string& user_agent,
                                                   absl::Duration timeout);

}  // namespace exosphere::bench

#endif  // EXOSPHERE_BENCH_LOCAL_DEVSERVER_H_
