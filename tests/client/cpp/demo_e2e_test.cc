// End to end, the way the product demo (scripts/demo.sh) runs it: exosphere-sidecar --dev (with
// its embedded devserver), exosphere-example-worker and exosphere-demo as separate processes.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "harness/child_process.h"
#include "tests/support/sidecar_stack.h"
#include "tests/support/status_matchers.h"
#include <sys/wait.h>

namespace exosphere::client {
namespace {

using ::exosphere::harness::BinaryPath;
using ::exosphere::harness::ChildProcess;
using ::exosphere::testing::SidecarStack;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr absl::Duration kTimeout = absl::Seconds(60);

absl::StatusOr<std::unique_ptr<ChildProcess>> StartBinary(const std::string& name,
                                                          std::vector<std::string> args) {
  ChildProcess::Options options;
  options.argv = {BinaryPath(name)};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.label = name;
  // The binaries must not pick up an address from the environment of the test.
  options.env["EXOSPHERE_SIDECAR_ADDRESS"] = std::nullopt;
  return ChildProcess::Start(std::move(options));
}

// The exit code of a process that exited normally, -1 otherwise.
int ExitCode(int wait_status) { return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1; }

TEST(DemoE2eTest, WorkerAndDemoRunTheDemoGraphThroughADevSidecar) {
  SidecarStack::Options options;
  options.mode = SidecarStack::Mode::kEmbeddedDevserver;
  // Quiet, and quick to stop when the test ends.
  options.sidecar_flags = {"--drain-timeout-ms=2000", "--log-level=warn"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SidecarStack> stack,
                       SidecarStack::Start(std::move(options)));
  const std::string sidecar = "--sidecar=" + stack->sidecar_address();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ChildProcess> worker,
                       StartBinary("exosphere-example-worker", {sidecar, "--namespace=demo-e2e"}));
  ASSERT_OK(worker
                ->WaitForStdoutLine(
                    [](const std::string& line) { return line == "worker registered"; }, kTimeout)
                .status());

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ChildProcess> demo,
                       StartBinary("exosphere-demo",
                                   {sidecar, "--namespace=demo-e2e", "--text=fast small workers"}));
  ASSERT_OK_AND_ASSIGN(int demo_status, demo->Wait(kTimeout));
  const std::vector<std::string> lines = demo->StdoutLines();
  EXPECT_EQ(ExitCode(demo_status), 0)
      << absl::StrJoin(lines, "\n") << absl::StrJoin(demo->StderrLines(), "\n");
  EXPECT_THAT(lines, Contains(MatchesRegex("Run .* SUCCESS \\(9 states\\)")));
  EXPECT_THAT(lines, Contains(MatchesRegex("shout +shout +SUCCESS +loud=SMALL!")));
  EXPECT_THAT(lines, Contains(MatchesRegex("collect +summarize +SUCCESS +summary=3 words.*")));
  EXPECT_THAT(lines, Contains(MatchesRegex("sign +sign_text +SUCCESS +signature=[0-9a-f]{16}")));

  // SIGTERM stops the worker gracefully.
  worker->Signal(SIGTERM);
  ASSERT_OK_AND_ASSIGN(int worker_status, worker->Wait(kTimeout));
  EXPECT_EQ(ExitCode(worker_status), 0) << absl::StrJoin(worker->StderrLines(), "\n");
}

TEST(DemoE2eTest, BinariesFailClearlyWithoutASidecar) {
  const std::string nowhere = "--sidecar=unix:/nonexistent-exosphere-dir/sidecar.sock";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ChildProcess> demo,
                       StartBinary("exosphere-demo", {nowhere, "--wait_for_worker_s=0"}));
  ASSERT_OK_AND_ASSIGN(int demo_status, demo->Wait(kTimeout));
  EXPECT_EQ(ExitCode(demo_status), 1);
  EXPECT_THAT(demo->StderrLines(),
              Contains(AllOf(HasSubstr("exosphere-demo: could not create graph \"cpp-demo\""),
                             HasSubstr("is exosphere-sidecar running at unix:/nonexistent"))));

  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ChildProcess> worker,
      StartBinary("exosphere-example-worker", {nowhere, "--register_timeout_s=1"}));
  ASSERT_OK_AND_ASSIGN(int worker_status, worker->Wait(kTimeout));
  EXPECT_EQ(ExitCode(worker_status), 1);
  EXPECT_THAT(worker->StderrLines(),
              Contains(HasSubstr("exosphere-example-worker: stopped: DEADLINE_EXCEEDED: The "
                                 "nodes were not registered")));
}

}  // namespace
}  // namespace exosphere::client
