// Uses the installed exosphere client: declares nodes both ways, checks node validation, starts
// and stops a Runtime with no sidecar around, and calls the graph client. Exits 0 on success.
#include <cstdio>
#include <memory>

#include "exosphere/client/client.h"

namespace {

using exosphere::client::BaseNode;
using exosphere::client::NodeResult;
using exosphere::client::StringMap;
using exosphere::client::Task;

class Greet : public BaseNode {
 public:
  Greet() : BaseNode({"greet", {"name"}, {"greeting"}}) {}
  NodeResult Execute(const Task& task) override {
    return StringMap{{"greeting", "hello " + task.input("name")}};
  }
};

int Fail(const char* what) {
  std::fprintf(stderr, "consumer: %s\n", what);
  return 1;
}

}  // namespace

int main() {
  exosphere::client::RuntimeOptions options;
  options.sidecar_address = "unix:/nonexistent-exosphere-dir/sidecar.sock";
  options.log_sink = [](exosphere::client::LogSeverity, const std::string&) {};

  auto invalid = exosphere::client::Runtime::Create(
      "ns", "rt", {std::make_shared<Greet>(), std::make_shared<Greet>()}, options);
  if (invalid.ok()) return Fail("duplicate node names were accepted");

  auto runtime = exosphere::client::Runtime::Create(
      "ns", "rt",
      {std::make_shared<Greet>(),
       exosphere::client::MakeNode({"noop"}, [](const Task&) { return NodeResult(); })},
      options);
  if (!runtime.ok()) return Fail("a valid runtime was refused");
  if (!(*runtime)->Start().ok()) return Fail("Start failed");
  (*runtime)->Stop();
  if (!(*runtime)->Wait().ok()) return Fail("Wait after Stop failed");

  exosphere::client::StateManagerOptions graph_options;
  graph_options.sidecar_address = options.sidecar_address;
  exosphere::client::StateManager state_manager("ns", graph_options);
  if (state_manager.GetGraph("g").status().code() != absl::StatusCode::kUnavailable) {
    return Fail("GetGraph without a sidecar was not UNAVAILABLE");
  }
  std::printf("consumer ok\n");
  return 0;
}
