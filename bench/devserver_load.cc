#include "bench/devserver_load.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace exosphere::bench {
namespace {

using Json = nlohmann::json;

constexpr char kGraph[] = "bench-graph";
constexpr int64_t kMaxFanOut = 50000;

std::unique_ptr<httplib::Client> Connect(const LoadTarget& target) {
  auto client = std::make_unique<httplib::Client>(target.host, target.port);
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(10);
  client->set_read_timeout(60);
  client->set_write_timeout(60);
  return client;
}

httplib::Headers Headers(const LoadTarget& target) { return {{"x-api-key", target.api_key}}; }

std::string Path(const LoadTarget& target, const std::string& suffix) {
  return absl::StrCat("/v0/namespace/", target.namespace_name, suffix);
}

absl::StatusOr<Json> Call(httplib::Client& client, const LoadTarget& target,
                          const std::string& method, const std::string& path, const Json& body,
                          int expected_status) {
  httplib::Result result =
      method == "GET" ? client.Get(path.c_str(), Headers(target))
      : method == "PUT"
          ? client.Put(path.c_str(), Headers(target), body.dump(), "application/json")
          : client.Post(path.c_str(), Headers(target), body.dump(), "application/json");
  if (!result) {
    return absl::UnavailableError(
        absl::StrCat(method, " ", path, ": ", httplib::to_string(result.error())));
  }
  if (result->status != expected_status) {
    return absl::UnavailableError(
        absl::StrCat(method, " ", path, " answered ", result->status, ": ", result->body));
  }
  Json parsed = Json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return absl::UnavailableError(absl::StrCat(path, ": not JSON"));
  return parsed;
}

Json StringSchema(const std::vector<std::string>& fields) {
  Json properties = Json::object();
  for (const std::string& field : fields) properties[field] = {{"type", "string"}};
  return {{"type", "object"}, {"properties", properties}};
}

// Whether every preload run has its seed finished and all of its children created.
absl::StatusOr<bool> PreloadDone(httplib::Client& client, const LoadTarget& target,
                                 const std::map<std::string, int64_t>& expected) {
  absl::StatusOr<Json> runs = Call(client, target, "GET", Path(target, "/runs/1/0"), nullptr, 200);
  if (!runs.ok()) return runs.status();
  size_t done = 0;
  for (const Json& run : (*runs)["runs"]) {
    auto it = expected.find(run["run_id"].get<std::string>());
    if (it == expected.end()) continue;
    if (run["success_count"].get<int64_t>() >= 1 &&
        run["pending_count"].get<int64_t>() >= it->second) {
      ++done;
    }
  }
  return done == expected.size();
}

}  // namespace

absl::Status PrepareGraph(const LoadTarget& target) {
  std::unique_ptr<httplib::Client> client = Connect(target);
  Json nodes = Json::array();
  nodes.push_back({{"name", "BenchSeed"},
                   {"inputs_schema", StringSchema({})},
                   {"outputs_schema", StringSchema({"n"})},
                   {"secrets", Json::array()}});
  nodes.push_back({{"name", target.node_name},
                   {"inputs_schema", StringSchema({"n"})},
                   {"outputs_schema", StringSchema({})},
                   {"secrets", Json::array()}});
  absl::StatusOr<Json> registered = Call(*client, target, "PUT", Path(target, "/nodes/"),
                                         {{"runtime_name", "bench"}, {"nodes", nodes}}, 200);
  if (!registered.ok()) return registered.status();
  Json graph = {{"secrets", Json::object()},
                {"nodes",
                 {{{"node_name", "BenchSeed"},
                   {"namespace", target.namespace_name},
                   {"identifier", "seed"},
                   {"inputs", Json::object()},
                   {"next_nodes", {"work"}}},
                  {{"node_name", target.node_name},
                   {"namespace", target.namespace_name},
                   {"identifier", "work"},
                   {"inputs", {{"n", "${{ seed.outputs.n }}"}}}}}}};
  absl::StatusOr<Json> upserted =
      Call(*client, target, "PUT", Path(target, absl::StrCat("/graph/", kGraph)), graph, 201);
  if (!upserted.ok()) return upserted.status();
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    absl::StatusOr<Json> current =
        Call(*client, target, "GET", Path(target, absl::StrCat("/graph/", kGraph)), nullptr, 200);
    if (!current.ok()) return current.status();
    if ((*current)["validation_status"] == "VALID") return absl::OkStatus();
    if ((*current)["validation_status"] == "INVALID") {
      return absl::FailedPreconditionError(absl::StrCat("bench graph INVALID: ", current->dump()));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("bench graph stayed PENDING");
}

absl::Status PreloadStates(const LoadTarget& target, int64_t count) {
  std::unique_ptr<httplib::Client> client = Connect(target);
  // run_id -> children expected in that run.
  std::map<std::string, int64_t> expected;
  for (int64_t created = 0; created < count;) {
    const int64_t chunk = std::min(kMaxFanOut, count - created);
    absl::StatusOr<Json> run =
        Call(*client, target, "POST", Path(target, absl::StrCat("/graph/", kGraph, "/trigger")),
             Json::object(), 200);
    if (!run.ok()) return run.status();
    Json seed;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      absl::StatusOr<Json> claimed = Call(*client, target, "POST", Path(target, "/states/enqueue"),
                                          {{"nodes", {"BenchSeed"}}, {"batch_size", 1}}, 200);
      if (!claimed.ok()) return claimed.status();
      if (!(*claimed)["states"].empty()) {
        seed = (*claimed)["states"][0];
        break;
      }
      if (absl::Now() > deadline) return absl::DeadlineExceededError("seed state never appeared");
      absl::SleepFor(absl::Milliseconds(5));
    }
    Json outputs = Json::array();
    for (int64_t i = 0; i < chunk; ++i) outputs.push_back({{"n", std::to_string(created + i)}});
    absl::StatusOr<Json> executed = Call(
        *client, target, "POST",
        Path(target, absl::StrCat("/state/", seed["state_id"].get<std::string>(), "/executed")),
        {{"outputs", outputs}}, 200);
    if (!executed.ok()) return executed.status();
    expected[(*run)["run_id"].get<std::string>()] = chunk;
    created += chunk;
  }
  // Fan-out children are created in the background; wait until every one exists.
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (true) {
    absl::StatusOr<bool> done = PreloadDone(*client, target, expected);
    if (!done.ok()) return done.status();
    if (*done) return absl::OkStatus();
    if (absl::Now() > deadline) return absl::DeadlineExceededError("preload did not finish");
    absl::SleepFor(absl::Milliseconds(20));
  }
}

LoadResult RunClaimExecuteLoad(const LoadTarget& target, int clients, int batch,
                               absl::Duration duration) {
  struct PerClient {
    int64_t claimed = 0;
    int64_t executed = 0;
    int64_t errors = 0;
    bool exhausted = false;
    std::vector<double> enqueue_ms;
    std::vector<double> executed_ms;
  };
  std::vector<PerClient> per_client(static_cast<size_t>(clients));
  std::atomic<bool> stop{false};
  const std::string enqueue_body =
      Json({{"nodes", {target.node_name}}, {"batch_size", batch}}).dump();
  const std::string executed_body = R"({"outputs":[]})";
  const httplib::Headers headers = Headers(target);
  const std::string enqueue_path = Path(target, "/states/enqueue");

  const absl::Time start = absl::Now();
  const absl::Time deadline = start + duration;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      PerClient& mine = per_client[static_cast<size_t>(c)];
      std::unique_ptr<httplib::Client> client = Connect(target);
      while (!stop.load(std::memory_order_relaxed) && absl::Now() < deadline) {
        const absl::Time call_start = absl::Now();
        httplib::Result result =
            client->Post(enqueue_path.c_str(), headers, enqueue_body, "application/json");
        mine.enqueue_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - call_start));
        if (!result || result->status != 200) {
          ++mine.errors;
          continue;
        }
        Json claimed = Json::parse(result->body, nullptr, false);
        if (claimed.is_discarded() || claimed["states"].empty()) {
          mine.exhausted = true;
          stop = true;
          break;
        }
        for (const Json& state : claimed["states"]) {
          ++mine.claimed;
          const std::string path = Path(
              target, absl::StrCat("/state/", state["state_id"].get<std::string>(), "/executed"));
          const absl::Time executed_start = absl::Now();
          httplib::Result reported =
              client->Post(path.c_str(), headers, executed_body, "application/json");
          mine.executed_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - executed_start));
          if (reported && reported->status == 200) {
            ++mine.executed;
          } else {
            ++mine.errors;
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  LoadResult result;
  result.clients = clients;
  result.batch = batch;
  result.elapsed = absl::Now() - start;
  for (PerClient& client : per_client) {
    result.claimed += client.claimed;
    result.executed += client.executed;
    result.errors += client.errors;
    result.exhausted = result.exhausted || client.exhausted;
    result.enqueue_ms.insert(result.enqueue_ms.end(), client.enqueue_ms.begin(),
                             client.enqueue_ms.end());
    result.executed_ms.insert(result.executed_ms.end(), client.executed_ms.begin(),
                              client.executed_ms.end());
  }
  std::sort(result.enqueue_ms.begin(), result.enqueue_ms.end());
  std::sort(result.executed_ms.begin(), result.executed_ms.end());
  return result;
}

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t index =
      std::min(sorted.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted.size())));
  return sorted[index];
}

double LoadResult::StatesPerSecond() const {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(executed) / seconds : 0;
}

double LoadResult::CallsPerSecond() const {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(enqueue_ms.size() + executed_ms.size()) / seconds : 0;
}

std::string LoadResult::Line() const {
  return absl::StrFormat(
      "devserver_capacity clients=%d batch=%d seconds=%.2f claimed=%d executed=%d errors=%d "
      "exhausted=%d states_per_s=%.0f calls_per_s=%.0f enqueue_p50_ms=%.3f enqueue_p99_ms=%.3f "
      "executed_p50_ms=%.3f executed_p99_ms=%.3f",
      clients, batch, absl::ToDoubleSeconds(elapsed), claimed, executed, errors, exhausted ? 1 : 0,
      StatesPerSecond(), CallsPerSecond(), Percentile(enqueue_ms, 0.5),
      Percentile(enqueue_ms, 0.99), Percentile(executed_ms, 0.5), Percentile(executed_ms, 0.99));
}

}  // namespace exosphere::bench
