#include "sidecar/services/health_server.h"

#include <httplib.h>

#include <atomic>
#include <memory>

#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"

namespace exosphere::sidecar {
namespace {

using ::exosphere::testing::StatusIs;
using ::testing::HasSubstr;

class HealthServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HealthHandlers handlers;
    handlers.live = [] { return ProbeResult{true, R"({"live":true})"}; };
    handlers.ready = [this] { return ProbeResult{ready_.load(), R"({"ready":"maybe"})"}; };
    handlers.metrics = [] { return std::string("# TYPE up gauge\nup 1\n"); };
    ASSERT_OK_AND_ASSIGN(server_, HealthServer::Start("127.0.0.1:0", handlers));
    const std::string& address = server_->address();
    ASSERT_TRUE(absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port_));
  }

  std::atomic<bool> ready_{false};
  std::unique_ptr<HealthServer> server_;
  int port_ = 0;
};

TEST_F(HealthServerTest, ServesProbesWithStatusCodesAndMetricsAsText) {
  httplib::Client client("127.0.0.1", port_);
  auto live = client.Get("/livez");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(live->get_header_value("Content-Type"), "application/json");
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body, R"({"ready":"maybe"})");
  ready_ = true;
  EXPECT_EQ(client.Get("/readyz")->status, 200);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
  EXPECT_EQ(metrics->body, "# TYPE up gauge\nup 1\n");
  EXPECT_EQ(client.Get("/other")->status, 404);
}

TEST(HealthServerStartTest, BadOrBusyAddressesAreClearErrors) {
  EXPECT_THAT(HealthServer::Start("nowhere", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host:port")));
  ASSERT_OK_AND_ASSIGN(auto first, HealthServer::Start("127.0.0.1:0", {}));
  EXPECT_THAT(HealthServer::Start(first->address(), {}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot listen")));
}

}  // namespace
}  // namespace exosphere::sidecar
