#include "sidecar/config.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::IsOk;
using ::exosphere::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

SidecarConfig Valid() {
  SidecarConfig config;
  config.state_manager_uri = "http://sm:8000";
  config.api_key = "sk-very-secret";
  return config;
}

TEST(ConfigTest, AValidConfigPasses) { EXPECT_THAT(ValidateConfig(Valid()), IsOk()); }

TEST(ConfigTest, MissingStateManagerOrKeyIsExplainedUnlessDevMode) {
  SidecarConfig config = Valid();
  config.state_manager_uri.clear();
  EXPECT_THAT(ValidateConfig(config), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("EXOSPHERE_STATE_MANAGER_URI")));
  config = Valid();
  config.state_manager_uri = "sm:8000";
  EXPECT_THAT(ValidateConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http://")));
  config = Valid();
  config.api_key.clear();
  EXPECT_THAT(ValidateConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("EXOSPHERE_API_KEY")));
  SidecarConfig dev;
  dev.dev = true;
  EXPECT_THAT(ValidateConfig(dev), IsOk());
}

TEST(ConfigTest, BadNumbersAndAddressesNameTheFlag) {
  SidecarConfig config = Valid();
  config.max_batch = 0;
  EXPECT_THAT(ValidateConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--max-batch")));
  config = Valid();
  config.listen = "no-port";
  EXPECT_THAT(ValidateConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--listen")));
  config = Valid();
  config.listen = "unix:/" + std::string(200, 'x');
  EXPECT_THAT(ValidateConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("107 bytes")));
  config = Valid();
  config.poll_interval = absl::Milliseconds(1);
  EXPECT_THAT(ValidateConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--poll-interval-ms")));
  config = Valid();
  config.http_client = "libcurl";
  EXPECT_THAT(ValidateConfig(config), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("--http-client must be auto or curl")));
  config.http_client = "curl";
  EXPECT_THAT(ValidateConfig(config), IsOk());
  EXPECT_THAT(DescribeConfig(config), HasSubstr("http_client=curl"));
}

TEST(ConfigTest, BusyPollingFlagsAreCheckedAndDescribed) {
  SidecarConfig config = Valid();
  config.busy_poll_interval = absl::Milliseconds(9);
  EXPECT_THAT(ValidateConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--busy-poll-interval-ms")));
  config = Valid();
  config.busy_window = absl::Milliseconds(-1);
  EXPECT_THAT(ValidateConfig(config),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--busy-window-ms")));
  // No window is valid (the plain back-off), and so is a busy interval above the poll interval
  // (it is capped at it): tests run sidecars with --poll-interval-ms=50.
  config = Valid();
  config.busy_window = absl::ZeroDuration();
  config.poll_interval = absl::Milliseconds(50);
  EXPECT_THAT(ValidateConfig(config), IsOk());
  EXPECT_THAT(DescribeConfig(Valid()),
              AllOf(HasSubstr("busy_poll_interval=100ms"), HasSubstr("busy_window=30000ms")));
}

TEST(ConfigTest, ListenAddressesAreUnixSocketsOrHostPorts) {
  EXPECT_EQ(GrpcListenAddress("unix:/tmp/s.sock"), "unix:/tmp/s.sock");
  EXPECT_EQ(GrpcListenAddress("/tmp/s.sock"), "unix:/tmp/s.sock");
  EXPECT_EQ(GrpcListenAddress("127.0.0.1:0"), "127.0.0.1:0");
  EXPECT_EQ(UnixSocketPath("unix:/tmp/s.sock"), "/tmp/s.sock");
  EXPECT_EQ(UnixSocketPath("127.0.0.1:0"), "");
}

TEST(ConfigTest, TheDescriptionNeverContainsTheKeyOrToken) {
  SidecarConfig config = Valid();
  config.worker_token = "wt-secret-token";
  const std::string description = DescribeConfig(config);
  EXPECT_THAT(description, Not(HasSubstr("sk-very-secret")));
  EXPECT_THAT(description, Not(HasSubstr("wt-secret-token")));
  EXPECT_THAT(description, HasSubstr("api_key=set (env)"));
  EXPECT_THAT(description, HasSubstr("state_manager=http://sm:8000"));
}

TEST(ConfigTest, KeyFilesAreTrimmedAndProblemsNamed) {
  const std::string path = ::testing::TempDir() + "/config_test_key";
  std::ofstream(path) << "  sk-from-file\n";
  ASSERT_OK_AND_ASSIGN(std::string key, ReadKeyFile(path));
  EXPECT_EQ(key, "sk-from-file");
  std::ofstream(path) << "\n";
  EXPECT_THAT(ReadKeyFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is empty")));
  std::remove(path.c_str());
  EXPECT_THAT(ReadKeyFile(path), StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TEST(ConfigTest, WorkerTokenFileErrorsNameTheWorkerTokenFlag) {
  const std::string path = ::testing::TempDir() + "/config_test_missing_token";
  std::remove(path.c_str());
  const absl::StatusOr<std::string> missing = ReadKeyFile(path, KeyFileKind::kWorkerToken);
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr("--worker-token-file")));
  EXPECT_THAT(missing.status().message(), Not(HasSubstr("API key")));
  std::ofstream(path) << " \n";
  EXPECT_THAT(ReadKeyFile(path, KeyFileKind::kWorkerToken),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("worker token file"), HasSubstr("is empty"))));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace exosphere::sidecar
