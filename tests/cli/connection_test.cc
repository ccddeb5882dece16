#include "cli/connection.h"

#include <fstream>
#include <map>

#include "harness/scratch_dir.h"
#include "tests/support/status_matchers.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace exosphere::cli {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

EnvGetter Env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

ParsedArgs Args(const std::vector<std::string>& args) {
  const std::vector<FlagSpec> flags = {{"state-manager-uri", 0, "URI", ""},
                                       {"api-key-file", 0, "FILE", ""},
                                       {"namespace", 'n', "NS", ""}};
  return *ParseArgs(args, flags);
}

TEST(ConnectionTest, FromTheEnvironment) {
  ASSERT_OK_AND_ASSIGN(
      Connection connection,
      ResolveConnection(Args({}), Env({{"EXOSPHERE_STATE_MANAGER_URI", "http://h:1"},
                                       {"EXOSPHERE_API_KEY", "k"},
                                       {"EXOSPHERE_NAMESPACE", "ns"}})));
  EXPECT_EQ(connection.uri, "http://h:1");
  EXPECT_EQ(connection.api_key, "k");
  EXPECT_EQ(connection.ns, "ns");
}

TEST(ConnectionTest, FlagsWinAndTheKeyFileWinsOverTheKey) {
  ASSERT_OK_AND_ASSIGN(auto scratch, harness::ScratchDir::Create());
  std::ofstream(scratch->File("key")) << "from-file\n";
  ASSERT_OK_AND_ASSIGN(
      Connection connection,
      ResolveConnection(Args({"--state-manager-uri", "https://flag", "--api-key-file",
                              scratch->File("key"), "-n", "flagged"}),
                        Env({{"EXOSPHERE_STATE_MANAGER_URI", "http://env"},
                             {"EXOSPHERE_API_KEY", "from-env"},
                             {"EXOSPHERE_NAMESPACE", "env"}})));
  EXPECT_EQ(connection.uri, "https://flag");
  EXPECT_EQ(connection.api_key, "from-file");
  EXPECT_EQ(connection.ns, "flagged");
}

TEST(ConnectionTest, EachMissingSettingIsNamed) {
  EXPECT_THAT(
      ResolveConnection(Args({}), Env({})).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("EXOSPHERE_STATE_MANAGER_URI")));
  EXPECT_THAT(ResolveConnection(Args({}), Env({{"EXOSPHERE_STATE_MANAGER_URI", "h:1"}})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected an http://")));
  EXPECT_THAT(
      ResolveConnection(Args({}), Env({{"EXOSPHERE_STATE_MANAGER_URI", "http://h"}})).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("EXOSPHERE_API_KEY")));
  EXPECT_THAT(
      ResolveConnection(Args({}), Env({{"EXOSPHERE_STATE_MANAGER_URI", "http://h"},
                                       {"EXOSPHERE_API_KEY", "secret-key"}}))
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::AllOf(HasSubstr("EXOSPHERE_NAMESPACE"), Not(HasSubstr("secret-key")))));
  EXPECT_THAT(ResolveConnection(Args({"--api-key-file", "/nonexistent/key"}),
                                Env({{"EXOSPHERE_STATE_MANAGER_URI", "http://h"}}))
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot read the API key file /nonexistent/key")));
}

}  // namespace
}  // namespace exosphere::cli
