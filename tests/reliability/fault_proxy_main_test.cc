// The exosphere-fault-proxy binary: started as a process, controlled over its control port.
#include <httplib.h>
#include <signal.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "harness/child_process.h"
#include "harness/scratch_dir.h"
#include "tests/reliability/proxy_test_peers.h"
#include "tests/support/status_matchers.h"
#include <sys/wait.h>

namespace exosphere::reliability {
namespace {

using ::exosphere::harness::BinaryPath;
using ::exosphere::harness::ChildProcess;
using ::exosphere::harness::ScratchDir;

constexpr absl::Duration kStartTimeout = absl::Seconds(20);

// The port at the end of the first stdout line starting with `prefix`.
int PortFromLine(ChildProcess& process, const std::string& prefix) {
  absl::StatusOr<std::string> line = process.WaitForStdoutLine(
      [&](const std::string& text) { return absl::StartsWith(text, prefix); }, kStartTimeout);
  EXPECT_TRUE(line.ok()) << line.status();
  int port = 0;
  if (line.ok()) {
    EXPECT_TRUE(absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &port));
  }
  return port;
}

TEST(FaultProxyMainTest, ServesRulesFromAFileAndTheControlPortThenStopsOnSigterm) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestUpstream> upstream, TestUpstream::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ScratchDir> dir, ScratchDir::Create());
  std::ofstream(dir->File("rules.json")) << R"([{"name": "busy", "kind": "status",
                                                 "status": 503, "path": "/busy"}])";
  ChildProcess::Options options;
  options.argv = {BinaryPath("exosphere-fault-proxy"),
                  absl::StrCat("--upstream=127.0.0.1:", upstream->port()),
                  absl::StrCat("--rules-file=", dir->File("rules.json")), "--seed=7"};
  options.label = "fault-proxy";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ChildProcess> process, ChildProcess::Start(options));
  const int proxy_port = PortFromLine(*process, "listening on 127.0.0.1:");
  const int control_port = PortFromLine(*process, "control on 127.0.0.1:");
  ASSERT_GT(proxy_port, 0);
  ASSERT_GT(control_port, 0);

  httplib::Client through("127.0.0.1", proxy_port);
  EXPECT_EQ(through.Get("/busy")->status, 503);
  EXPECT_EQ(through.Get("/fine")->status, 200);
  httplib::Client control("127.0.0.1", control_port);
  ASSERT_EQ(
      control.Put("/faults", R"([{"kind": "status", "status": 429}])", "application/json")->status,
      200);
  EXPECT_EQ(through.Get("/fine")->status, 429);
  httplib::Result stats = control.Get("/stats");
  ASSERT_TRUE(stats);
  EXPECT_THAT(stats->body, ::testing::HasSubstr(R"("faults_total":2)"));

  process->Signal(SIGTERM);
  ASSERT_OK_AND_ASSIGN(int status, process->Wait(absl::Seconds(10)));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(FaultProxyMainTest, RefusesAnUpstreamOffThisMachine) {
  ChildProcess::Options options;
  options.argv = {BinaryPath("exosphere-fault-proxy"), "--upstream=192.0.2.1:80"};
  options.label = "fault-proxy";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ChildProcess> process, ChildProcess::Start(options));
  ASSERT_OK_AND_ASSIGN(int status, process->Wait(absl::Seconds(10)));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_OK(process
                ->WaitForStderrLine(
                    [](const std::string& line) { return absl::StrContains(line, "loopback"); },
                    absl::Seconds(5))
                .status());
}

}  // namespace
}  // namespace exosphere::reliability
