#include "client/cpp/internal/sidecar_channel.h"

#include <stdlib.h>

#include "gtest/gtest.h"

namespace exosphere::client::internal {
namespace {

class SidecarChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("EXOSPHERE_SIDECAR_ADDRESS");
    unsetenv("EXOSPHERE_WORKER_TOKEN");
  }
  void TearDown() override { SetUp(); }
};

TEST_F(SidecarChannelTest, AddressComesFromOptionThenEnvironmentThenDefault) {
  EXPECT_EQ(ResolveSidecarAddress(""), "unix:/tmp/exosphere-sidecar.sock");
  setenv("EXOSPHERE_SIDECAR_ADDRESS", "127.0.0.1:7070", 1);
  EXPECT_EQ(ResolveSidecarAddress(""), "127.0.0.1:7070");
  EXPECT_EQ(ResolveSidecarAddress("unix:/run/x.sock"), "unix:/run/x.sock");
}

TEST_F(SidecarChannelTest, BarePathBecomesUnixAddress) {
  EXPECT_EQ(ResolveSidecarAddress("/run/exo/sidecar.sock"), "unix:/run/exo/sidecar.sock");
  setenv("EXOSPHERE_SIDECAR_ADDRESS", "/var/run/s.sock", 1);
  EXPECT_EQ(ResolveSidecarAddress(""), "unix:/var/run/s.sock");
}

TEST_F(SidecarChannelTest, TokenComesFromOptionThenEnvironment) {
  EXPECT_EQ(ResolveWorkerToken(""), "");
  setenv("EXOSPHERE_WORKER_TOKEN", "from-env", 1);
  EXPECT_EQ(ResolveWorkerToken(""), "from-env");
  EXPECT_EQ(ResolveWorkerToken("explicit"), "explicit");
}

}  // namespace
}  // namespace exosphere::client::internal
