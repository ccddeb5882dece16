#ifndef EXOSPHERE_TESTS_CLI_TEST_WORKER_H_
#define EXOSPHERE_TESTS_CLI_TEST_WORKER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"

#include "sidecar/transport/curl_http_client.h"
#include "sidecar/transport/rest_states_client.h"

namespace exosphere::cli::testing {

// Stands in for the example C++ worker and its sidecar in exospherectl's end-to-end tests: it
// registers the example nodes (normalize, split_words, shout, summarize; see
// examples/cpp/example_nodes.h) in a namespace of a state manager, then claims and executes
// their states over REST on a thread of its own, with the same behaviour (normalize fails on a
// text without words). Much cheaper than a sidecar and a worker process per test. Thread-safe.
class TestWorker {
 public:
  // Registers the nodes (blocking) and starts the thread. Errors: the registration's.
  static absl::StatusOr<std::unique_ptr<TestWorker>> Start(const std::string& base_url,
                                                           const std::string& api_key,
                                                           const std::string& ns);
  // Stops and joins the thread.
  ~TestWorker();
  TestWorker(const TestWorker&) = delete;
  TestWorker& operator=(const TestWorker&) = delete;

 private:
  TestWorker(std::unique_ptr<sidecar::CurlHttpClient> http, const std::string& base_url,
             const std::string& api_key, std::string ns);
  void Loop();

  const std::string ns_;
  std::unique_ptr<sidecar::CurlHttpClient> http_;
  sidecar::RestStatesClient client_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace exosphere::cli::testing

#endif  // EXOSPHERE_TESTS_CLI_TEST_WORKER_H_
