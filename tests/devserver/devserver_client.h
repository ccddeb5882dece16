#ifndef EXOSPHERE_TESTS_DEVSERVER_DEVSERVER_CLIENT_H_
#define EXOSPHERE_TESTS_DEVSERVER_DEVSERVER_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

#include "devserver/json.h"

namespace httplib {
class Client;
}

namespace exosphere::devserver::testing {

// One HTTP reply as a test sees it.
struct Reply {
  int status = 0;  // 0 when the request failed at the transport level
  std::string raw;
  Json body;  // null when `raw` is not JSON
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header named `name` (case-insensitive), or "".
  std::string Header(const std::string& name) const;
};

// A keep-alive HTTP client for end-to-end tests that plays a runtime and an operator against a
// devserver: JSON requests with the API key, and helpers for every endpoint of the contract.
// Not thread-safe: use one client per thread.
class DevserverClient {
 public:
  DevserverClient(std::string host, int port, std::string api_key, std::string ns = "e2e");
  ~DevserverClient();
  DevserverClient(const DevserverClient&) = delete;
  DevserverClient& operator=(const DevserverClient&) = delete;

  const std::string& ns() const { return ns_; }

  // A request with an arbitrary body and content type; `with_key` adds x-api-key.
  Reply Raw(const std::string& method, const std::string& path, const std::string& body,
            const std::string& content_type = "application/json", bool with_key = true,
            std::vector<std::pair<std::string, std::string>> headers = {});
  Reply Get(const std::string& path);
  Reply Put(const std::string& path, const Json& body);
  Reply Post(const std::string& path, const Json& body);

  // Paths under /v0/namespace/{ns}.
  std::string Path(const std::string& suffix) const;

  // PUT /nodes/ with string-only schemas: each node is (name, input fields, output fields,
  // secret names).
  struct NodeSpec {
    std::string name;
    std::vector<std::string> inputs;
    std::vector<std::string> outputs;
    std::vector<std::string> secrets;
  };
  Reply RegisterNodes(const std::vector<NodeSpec>& nodes);
  Reply UpsertGraph(const std::string& graph, const Json& body);
  // Polls GET /graph/{name} until validation_status is not PENDING; returns the last body.
  Json AwaitValidation(const std::string& graph, absl::Duration timeout = absl::Seconds(20));
  // Trigger; returns the run_id (empty on failure, with the reply in `reply` if given).
  std::string Trigger(const std::string& graph, const Json& body = Json::object(),
                      Reply* reply = nullptr);
  // POST /states/enqueue; returns the claimed states.
  Json Enqueue(const std::vector<std::string>& nodes, int batch_size);
  // Enqueues until `count` states were claimed or `timeout` passed.
  Json AwaitClaims(const std::vector<std::string>& nodes, size_t count,
                   absl::Duration timeout = absl::Seconds(20));
  Reply Executed(const std::string& state_id, const Json& outputs);
  Reply Errored(const std::string& state_id, const std::string& error);
  Reply Prune(const std::string& state_id, const Json& data);
  Reply ReEnqueueAfter(const std::string& state_id, int64_t delay_ms);
  Reply ManualRetry(const std::string& state_id, const std::string& fanout_id);
  Reply Secrets(const std::string& state_id);

  // GET /states/run/{run_id}/graph.
  Json RunGraph(const std::string& run_id);
  // GET /graph/{graph}/run/{run_id}/node/{state_id}.
  Json NodeDetails(const std::string& graph, const std::string& run_id, const std::string& id);
  // The runs list entry of `run_id` (null when absent).
  Json RunSummary(const std::string& run_id);
  // Polls the run's graph until `predicate` holds on it; returns the last graph.
  Json AwaitRunGraph(const std::string& run_id, const std::function<bool(const Json&)>& predicate,
                     absl::Duration timeout = absl::Seconds(20));

 private:
  std::unique_ptr<httplib::Client> client_;
  const std::string api_key_;
  const std::string ns_;
};

// Counts the nodes of a run graph with `identifier` and (optionally) `status`.
int CountNodes(const Json& run_graph, const std::string& identifier,
               const std::string& status = "");

}  // namespace exosphere::devserver::testing

#endif  // EXOSPHERE_TESTS_DEVSERVER_DEVSERVER_CLIENT_H_
