#ifndef EXOSPHERE_DEVSERVER_RESPONSE_JSON_H_
#define EXOSPHERE_DEVSERVER_RESPONSE_JSON_H_

#include "devserver/json.h"
#include "devserver/models.h"

// Renderings of the models in API responses, with the state manager's field names and orders.
// Pure; thread-safe.
namespace exosphere::devserver {

Json NodeTemplateJson(const NodeTemplate& node);
Json RetryPolicyJson(const RetryPolicy& policy);
Json StoreConfigJson(const StoreConfig& config);
Json TriggersJson(const std::vector<CronTrigger>& triggers);

// The body of PUT and GET /graph/{name} (2.2, 2.3). GET passes `stored_settings = false`: the
// state manager answers with the default retry policy, store config and triggers there.
Json GraphTemplateResponseJson(const GraphTemplate& graph, bool stored_settings);
// A full stored template as GET /graphs/ lists it (secrets in their stored encoding).
Json GraphTemplateDocumentJson(const GraphTemplate& graph);
// A registered node as GET /nodes/ lists it.
Json RegisteredNodeDocumentJson(const RegisteredNode& node);

// {"detail": <text>}, the body of handler-raised errors.
Json DetailJson(absl::string_view detail);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_RESPONSE_JSON_H_
