#include "tests/devserver/devserver_e2e_fixture.h"

#include <sys/wait.h>

namespace exosphere::devserver::testing {

Json NodeJson(const std::string& node_name, const std::string& identifier, Json inputs,
              const std::vector<std::string>& next_nodes,
              const std::optional<std::pair<std::string, std::string>>& unites) {
  Json node = Json::object();
  node["node_name"] = node_name;
  node["namespace"] = "e2e";
  node["identifier"] = identifier;
  node["inputs"] = std::move(inputs);
  node["next_nodes"] = next_nodes.empty() ? Json(nullptr) : Json(next_nodes);
  if (unites.has_value()) {
    node["unites"] = {{"identifier", unites->first}, {"strategy", unites->second}};
  }
  return node;
}

Json GraphJson(Json nodes, Json extra, Json secrets) {
  Json body = Json::object();
  body["secrets"] = std::move(secrets);
  body["nodes"] = std::move(nodes);
  for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
  return body;
}

void DevserverE2eTest::SetUp() {
  absl::StatusOr<std::unique_ptr<DevserverProcess>> server = DevserverProcess::Start(ExtraArgs());
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  client_ = NewClient();
}

void DevserverE2eTest::TearDown() {
  client_.reset();
  if (server_ != nullptr) {
    absl::StatusOr<int> status = server_->Stop();
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status;
  }
}

std::unique_ptr<DevserverClient> DevserverE2eTest::NewClient(const std::string& ns) const {
  return std::make_unique<DevserverClient>("127.0.0.1", server_->port(), DevserverProcess::kApiKey,
                                           ns);
}

void DevserverE2eTest::DeployGraph(const std::string& graph,
                                   const std::vector<DevserverClient::NodeSpec>& nodes,
                                   const Json& body) {
  Reply registered = client_->RegisterNodes(nodes);
  ASSERT_EQ(registered.status, 200) << registered.raw;
  Reply upserted = client_->UpsertGraph(graph, body);
  ASSERT_EQ(upserted.status, 201) << upserted.raw;
  Json validated = client_->AwaitValidation(graph);
  ASSERT_EQ(validated["validation_status"], "VALID") << DumpJson(validated);
}

}  // namespace exosphere::devserver::testing
