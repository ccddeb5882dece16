#ifndef EXOSPHERE_DEVSERVER_GRAPH_REQUESTS_H_
#define EXOSPHERE_DEVSERVER_GRAPH_REQUESTS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "devserver/field_reader.h"
#include "devserver/json.h"
#include "devserver/models.h"

// Request bodies of the node and graph endpoints (contract 2.1, 2.2) and their field-level
// validation (the 422 stage). Each Parse function reads `body` (already known to be present) at
// loc ["body"], records every problem in the reader's ValidationErrors and returns nullopt if
// there was any. Pure; thread-safe.
namespace exosphere::devserver {

struct NodeRegistration {
  std::string name;
  Json inputs_schema = Json::object();
  Json outputs_schema = Json::object();
  std::vector<std::string> secrets;
};

struct RegisterNodesRequest {
  std::string runtime_name;
  std::vector<NodeRegistration> nodes;
};

struct UpsertGraphRequest {
  std::vector<std::pair<std::string, std::string>> secrets;  // name -> plaintext
  std::vector<NodeTemplate> nodes;                           // trimmed
  RetryPolicy retry_policy;
  StoreConfig store_config;
  std::vector<CronTrigger> triggers;
};

std::optional<RegisterNodesRequest> ParseRegisterNodesRequest(const Json& body,
                                                              FieldReader& reader);
std::optional<UpsertGraphRequest> ParseUpsertGraphRequest(const Json& body, FieldReader& reader);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_GRAPH_REQUESTS_H_
