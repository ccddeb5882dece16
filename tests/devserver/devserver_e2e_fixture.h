#ifndef EXOSPHERE_TESTS_DEVSERVER_DEVSERVER_E2E_FIXTURE_H_
#define EXOSPHERE_TESTS_DEVSERVER_DEVSERVER_E2E_FIXTURE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

#include "devserver/json.h"
#include "tests/devserver/devserver_client.h"
#include "tests/devserver/devserver_process.h"

namespace exosphere::devserver::testing {

// A node template for a graph body.
Json NodeJson(const std::string& node_name, const std::string& identifier, Json inputs,
              const std::vector<std::string>& next_nodes = {},
              const std::optional<std::pair<std::string, std::string>>& unites = std::nullopt);
// {"secrets": secrets, "nodes": nodes} plus the members of `extra`.
Json GraphJson(Json nodes, Json extra = Json::object(), Json secrets = Json::object());

// Starts a fresh exosphere-devserver binary per test (port 0) and connects a client to it.
class DevserverE2eTest : public ::testing::Test {
 protected:
  // Extra command-line arguments for the binary.
  virtual std::vector<std::string> ExtraArgs() const { return {}; }

  void SetUp() override;
  void TearDown() override;

  // A new client (for another thread or namespace).
  std::unique_ptr<DevserverClient> NewClient(const std::string& ns = "e2e") const;

  // Registers, upserts and waits for VALID; fails the test otherwise.
  void DeployGraph(const std::string& graph, const std::vector<DevserverClient::NodeSpec>& nodes,
                   const Json& body);

  std::unique_ptr<DevserverProcess> server_;
  std::unique_ptr<DevserverClient> client_;
};

}  // namespace exosphere::devserver::testing

#endif  // EXOSPHERE_TESTS_DEVSERVER_DEVSERVER_E2E_FIXTURE_H_
