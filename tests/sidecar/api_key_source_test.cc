#include "sidecar/transport/api_key_source.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "common/log.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::FakeClock;
using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class ApiKeySourceTest : public ::testing::Test {
 protected:
  void Write(const std::string& key) {
    // Write and rename, as Kubernetes swaps secret files atomically.
    const std::string temp = path_ + ".tmp";
    std::ofstream(temp) << key << "\n";
    std::rename(temp.c_str(), path_.c_str());
  }
  void TearDown() override { std::remove(path_.c_str()); }

  const std::string path_ = ::testing::TempDir() + "/api_key_source_test_key";
  FakeClock clock_;
};

TEST_F(ApiKeySourceTest, AFixedKeyIsReturnedAsIs) {
  ASSERT_OK_AND_ASSIGN(auto source, ApiKeySource::Create("sk-fixed-key", "", clock_));
  EXPECT_EQ(source->Get(), "sk-fixed-key");
}

TEST_F(ApiKeySourceTest, ARotatedFileIsPickedUpAfterTheRecheckInterval) {
  Write("sk-first-key");
  ASSERT_OK_AND_ASSIGN(auto source, ApiKeySource::Create("", path_, clock_, absl::Seconds(1)));
  EXPECT_EQ(source->Get(), "sk-first-key");
  Write("sk-second-key");
  EXPECT_EQ(source->Get(), "sk-first-key");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(source->Get(), "sk-second-key");
}

TEST_F(ApiKeySourceTest, AMissingFileKeepsTheLastKeyAndBothKeysAreMaskedInLogs) {
  std::vector<std::string> lines;
  log::SetSink([&](absl::string_view line) { lines.emplace_back(line); });
  Write("sk-kept-key");
  ASSERT_OK_AND_ASSIGN(auto source, ApiKeySource::Create("", path_, clock_, absl::Seconds(1)));
  std::remove(path_.c_str());
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(source->Get(), "sk-kept-key");
  EXPECT_EQ(lines.size(), 1u);
  EXO_LOG(kError, "test", "leaking sk-kept-key by mistake");
  log::SetSink(nullptr);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[1], Not(HasSubstr("sk-kept-key")));
}

TEST_F(ApiKeySourceTest, AnUnreadableFileAtStartIsAnError) {
  EXPECT_THAT(ApiKeySource::Create("", path_ + ".missing", clock_),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cannot read the API key file (--api-key-file)")));
}

}  // namespace
}  // namespace exosphere::sidecar
