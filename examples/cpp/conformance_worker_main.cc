// exosphere-conformance-worker: the C++ worker of the cross-language conformance suite
// (tests/conformance/README.md). Serves cf_start, cf_split, cf_transform and cf_collect (or those
// named in CONFORMANCE_NODES) in namespace "conformance" as runtime "conformance-cpp", through the
// sidecar at EXOSPHERE_SIDECAR_ADDRESS. Prints "ready" once registered, serves until SIGTERM,
// finishes what it runs and exits 0.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#include "exosphere/client/client.h"

namespace exo = exosphere::client;

namespace {

// True for exactly one caller per marker across every worker process of a run.
bool FirstTime(const std::string& marker) {
  const char* dir = std::getenv("CONFORMANCE_MARKER_DIR");
  const std::string path = absl::StrCat(dir != nullptr ? dir : ".", "/", marker);
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

std::vector<std::shared_ptr<exo::BaseNode>> AllNodes() {
  std::vector<std::shared_ptr<exo::BaseNode>> nodes;
  nodes.push_back(exo::MakeNode({"cf_start", {"text"}, {"text"}}, [](const exo::Task& task) {
    return exo::NodeResult::Output(
        {{"text", std::string(absl::StripAsciiWhitespace(task.input("text")))}});
  }));
  nodes.push_back(exo::MakeNode({"cf_split", {"text"}, {"item"}}, [](const exo::Task& task) {
    std::vector<exo::StringMap> outputs;
    for (absl::string_view item : absl::StrSplit(task.input("text"), ',')) {
      outputs.push_back({{"item", std::string(absl::StripAsciiWhitespace(item))}});
    }
    return exo::NodeResult::Outputs(std::move(outputs));
  }));
  nodes.push_back(exo::MakeNode(
      {"cf_transform", {"item", "suffix"}, {"value"}, {"salt"}}, [](const exo::Task& task) {
        const std::string& item = task.input("item");
        if (item == "skip") return exo::NodeResult::Prune({{"reason", "skip"}});
        if (item == "flaky" && FirstTime("flaky")) {
          return exo::NodeResult::Error("transient failure");
        }
        if (item == "later" && FirstTime("later")) {
          return exo::NodeResult::RequeueAfter(absl::Milliseconds(500));
        }
        return exo::NodeResult::Output(
            {{"value", absl::StrCat(absl::AsciiStrToUpper(item), task.input("suffix"), "/",
                                    task.secret("salt").size())}});
      }));
  nodes.push_back(
      exo::MakeNode({"cf_collect", {"text", "suffix"}, {"summary"}}, [](const exo::Task& task) {
        return exo::NodeResult::Output({{"summary", task.input("text") + task.input("suffix")}});
      }));
  return nodes;
}

}  // namespace

int main() {
  // Taken synchronously below; blocked before the runtime starts its threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::set<std::string> wanted;
  if (const char* names = std::getenv("CONFORMANCE_NODES"); names != nullptr && *names != '\0') {
    for (absl::string_view name : absl::StrSplit(names, ',', absl::SkipWhitespace())) {
      wanted.insert(std::string(absl::StripAsciiWhitespace(name)));
    }
  }
  std::vector<std::shared_ptr<exo::BaseNode>> nodes;
  for (auto& node : AllNodes()) {
    if (wanted.empty() || wanted.count(node->name()) > 0) nodes.push_back(std::move(node));
  }
  absl::StatusOr<std::unique_ptr<exo::Runtime>> runtime =
      exo::Runtime::Create("conformance", "conformance-cpp", nodes);
  if (!runtime.ok()) {
    std::fprintf(stderr, "conformance worker: %s\n",
                 std::string(runtime.status().message()).c_str());
    return 1;
  }
  if (absl::Status started = (*runtime)->Start(); !started.ok()) {
    std::fprintf(stderr, "conformance worker: %s\n", std::string(started.message()).c_str());
    return 1;
  }
  if (absl::Status registered = (*runtime)->WaitUntilRegistered(absl::Seconds(60));
      !registered.ok()) {
    std::fprintf(stderr, "conformance worker: %s\n", std::string(registered.message()).c_str());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  // If the runtime ends on its own (the sidecar refused the Hello), wake the sigwait below.
  absl::Status ended;
  std::thread waiter([&] {
    ended = (*runtime)->Wait();
    if (!ended.ok()) kill(getpid(), SIGTERM);
  });
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  (*runtime)->Stop(absl::Seconds(30));
  waiter.join();
  if (!ended.ok()) {
    std::fprintf(stderr, "conformance worker: %s\n", std::string(ended.message()).c_str());
    return 1;
  }
  return 0;
}
