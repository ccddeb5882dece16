#include "tests/reliability/reliability_nodes.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

#include "exosphere/client/node_result.h"
#include "exosphere/client/task.h"
#include "tests/reliability/node_names.h"

namespace exosphere::reliability {
namespace {

using client::NodeResult;
using client::NodeSpec;
using client::StringMap;
using client::Task;

void PrintTask(const ReliabilityNodeOptions& options, const Task& task) {
  if (!options.print_tasks) return;
  // One write per line, flushed at once: a test may kill the process right after reading it.
  std::printf("task %s %s\n", task.node_name().c_str(), task.state_id().c_str());
  std::fflush(stdout);
}

NodeResult Noop(const Task& task) { return StringMap{{"value", task.input("value")}}; }

NodeResult Sleep(const ReliabilityNodeOptions& options, const Task& task) {
  int64_t millis = 0;
  if (!absl::SimpleAtoi(task.input("sleep_ms"), &millis) || millis < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rel-sleep: sleep_ms '", task.input("sleep_ms"), "' is not a duration"));
  }
  if (options.sleep_ignores_cancel) {
    absl::SleepFor(absl::Milliseconds(millis));
  } else if (task.WaitForCancellation(absl::Milliseconds(millis))) {
    return absl::CancelledError("rel-sleep: cancelled");
  }
  return StringMap{{"value", task.input("value")}};
}

// Creates the marker of `state_id`; false when it existed already (an earlier worker died on it).
bool CreateMarker(const std::string& dir, const std::string& state_id) {
  const std::string path = absl::StrCat(dir, "/", state_id);
  const int fd = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  fsync(fd);  // the process dies right after; the marker must outlive it
  close(fd);
  return true;
}

NodeResult Poison(const ReliabilityNodeOptions& options, const Task& task) {
  const std::string& poison = task.input("poison");
  if (poison == "abort" ||
      (poison == "abort_once" &&
       (options.marker_dir.empty() || CreateMarker(options.marker_dir, task.state_id())))) {
    std::abort();
  }
  if (poison == "exit") _exit(kPoisonExitCode);
  return StringMap{{"value", task.input("value")}};
}

NodeResult Hang(const ReliabilityNodeOptions& options, const Task& task) {
  if (options.hang_ignores_cancel) {
    absl::Notification never;
    never.WaitForNotification();
  }
  task.WaitForCancellation(absl::InfiniteDuration());
  return absl::CancelledError("rel-hang: cancelled");
}

NodeResult FanOut(const Task& task) {
  int count = 0;
  if (!absl::SimpleAtoi(task.input("count"), &count) || count < 0 || count > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat("rel-fanout: count '", task.input("count"), "' is not 0..100000"));
  }
  std::vector<StringMap> outputs;
  outputs.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) outputs.push_back({{"value", absl::StrCat(i)}});
  return outputs;
}

}  // namespace

absl::StatusOr<std::vector<std::shared_ptr<client::BaseNode>>> MakeReliabilityNodes(
    const ReliabilityNodeOptions& options) {
  const std::map<std::string, std::string> short_names = {{"noop", kNoopNode},
                                                          {"sleep", kSleepNode},
                                                          {"poison", kPoisonNode},
                                                          {"hang", kHangNode},
                                                          {"fanout", kFanOutNode}};
  std::vector<std::string> wanted;
  if (options.nodes.empty()) {
    wanted = {kNoopNode, kSleepNode, kPoisonNode, kHangNode, kFanOutNode};
  }
  for (const std::string& name : options.nodes) {
    auto it = short_names.find(name);
    wanted.push_back(it != short_names.end() ? it->second : name);
  }
  std::vector<std::shared_ptr<client::BaseNode>> nodes;
  for (const std::string& name : wanted) {
    NodeSpec spec;
    spec.name = name;
    spec.outputs = {"value"};
    spec.deadline = options.deadline;
    client::ExecuteFunction body;
    // The lambdas copy the options: the nodes outlive this call.
    if (name == kNoopNode) {
      spec.inputs = {"value"};
      body = [options](const Task& task) {
        PrintTask(options, task);
        return Noop(task);
      };
    } else if (name == kSleepNode) {
      spec.inputs = {"value", "sleep_ms"};
      body = [options](const Task& task) {
        PrintTask(options, task);
        return Sleep(options, task);
      };
    } else if (name == kPoisonNode) {
      spec.inputs = {"value", "poison"};
      body = [options](const Task& task) {
        PrintTask(options, task);
        return Poison(options, task);
      };
    } else if (name == kHangNode) {
      spec.inputs = {"value"};
      body = [options](const Task& task) {
        PrintTask(options, task);
        return Hang(options, task);
      };
    } else if (name == kFanOutNode) {
      spec.inputs = {"count"};
      body = [options](const Task& task) {
        PrintTask(options, task);
        return FanOut(task);
      };
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown node '", name, "' (known: noop, sleep, poison, hang, fanout)"));
    }
    nodes.push_back(client::MakeNode(std::move(spec), std::move(body)));
  }
  return nodes;
}

}  // namespace exosphere::reliability
