#include "tests/cli/test_worker.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace exosphere::cli::testing {
namespace {

json::Json Schema(const std::vector<std::string>& fields) {
  json::Json properties = json::Json::object();
  for (const std::string& field : fields) properties[field] = {{"type", "string"}};
  return {{"type", "object"}, {"properties", properties}, {"required", fields}};
}

std::vector<std::string> Words(const std::string& text) {
  return absl::StrSplit(text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
}

std::string Input(const sidecar::ClaimedState& state, const char* key) {
  auto it = state.inputs.find(key);
  return it != state.inputs.end() && it->is_string() ? it->get<std::string>() : "";
}

sidecar::Report Execute(const sidecar::ClaimedState& state) {
  if (state.node_name == "normalize") {
    const std::vector<std::string> words = Words(Input(state, "text"));
    if (words.empty()) return sidecar::Report::Errored(state.state_id, "the text has no words");
    return sidecar::Report::Executed(state.state_id, {{{"text", absl::StrJoin(words, " ")}}});
  }
  if (state.node_name == "split_words") {
    std::vector<json::StringMap> outputs;
    for (const std::string& word : Words(Input(state, "text"))) outputs.push_back({{"word", word}});
    return sidecar::Report::Executed(state.state_id, std::move(outputs));
  }
  if (state.node_name == "shout") {
    return sidecar::Report::Executed(
        state.state_id,
        {{{"loud", absl::AsciiStrToUpper(Input(state, "word")) + Input(state, "suffix")}}});
  }
  const std::string text = Input(state, "text");
  return sidecar::Report::Executed(
      state.state_id,
      {{{"summary", absl::StrCat(Words(text).size(), " words shouted: \"", text, "\"")}}});
}

sidecar::RestClientOptions Options(const std::string& base_url, const std::string& api_key) {
  sidecar::RestClientOptions options;
  options.base_url = base_url;
  options.api_key = [api_key] { return api_key; };
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestWorker>> TestWorker::Start(const std::string& base_url,
                                                              const std::string& api_key,
                                                              const std::string& ns) {
  absl::StatusOr<std::unique_ptr<sidecar::CurlHttpClient>> http =
      sidecar::CurlHttpClient::Create({});
  if (!http.ok()) return http.status();
  std::unique_ptr<TestWorker> worker(new TestWorker(*std::move(http), base_url, api_key, ns));
  const std::vector<sidecar::NodeRegistration> nodes = {
      {"normalize", Schema({"text"}), Schema({"text"}), {}},
      {"split_words", Schema({"text"}), Schema({"word"}), {}},
      {"shout", Schema({"word", "suffix"}), Schema({"loud"}), {}},
      {"summarize", Schema({"text"}), Schema({"summary"}), {}},
  };
  if (absl::Status registered = worker->client_.RegisterNodes(ns, "cli-test-worker", nodes);
      !registered.ok()) {
    return registered;
  }
  worker->thread_ = std::thread([raw = worker.get()] { raw->Loop(); });
  return worker;
}

TestWorker::TestWorker(std::unique_ptr<sidecar::CurlHttpClient> http, const std::string& base_url,
                       const std::string& api_key, std::string ns)
    : ns_(std::move(ns)), http_(std::move(http)), client_(*http_, Options(base_url, api_key)) {}

TestWorker::~TestWorker() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void TestWorker::Loop() {
  const std::vector<std::string> nodes = {"normalize", "split_words", "shout", "summarize"};
  while (!stop_.HasBeenNotified()) {
    absl::StatusOr<std::vector<sidecar::ClaimedState>> claimed =
        client_.ClaimStates(ns_, nodes, 16);
    if (claimed.ok()) {
      for (const sidecar::ClaimedState& state : *claimed) {
        // A failed report leaves the state QUEUED and the test's watch times out, naming it.
        (void)client_.SendReport(ns_, Execute(state));
      }
    }
    // Like a sidecar's poller: claim again at once after a full batch, else shortly.
    if (!claimed.ok() || claimed->empty())
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(20));
  }
}

}  // namespace exosphere::cli::testing
