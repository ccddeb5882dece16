#ifndef EXOSPHERE_DEVSERVER_INSPECTION_SERVICE_H_
#define EXOSPHERE_DEVSERVER_INSPECTION_SERVICE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

#include "devserver/json.h"
#include "devserver/store.h"

namespace exosphere::devserver {

// The read-only listing and inspection endpoints (contract 5). Errors: kInvalidArgument 400 and
// kNotFound 404 with the state manager's details; kInternal for what the server answers with its
// generic 500 (a negative page offset). Thread-safe.
class InspectionService {
 public:
  explicit InspectionService(Store& store) : store_(store) {}
  InspectionService(const InspectionService&) = delete;
  InspectionService& operator=(const InspectionService&) = delete;

  Json ListNodes(const std::string& namespace_name);
  Json ListGraphs(const std::string& namespace_name);
  Json ListNamespaces();
  // GET /runs/{page}/{size}: newest first; size 0 means no limit.
  absl::StatusOr<Json> Runs(const std::string& namespace_name, int64_t page, int64_t size);
  Json RunGraph(const std::string& namespace_name, const std::string& run_id);
  // `node_id` as given in the path (validated here: 400 "Invalid node ID format: X").
  absl::StatusOr<Json> NodeRunDetails(const std::string& namespace_name,
                                      const std::string& graph_name, const std::string& run_id,
                                      const std::string& node_id);

 private:
  Store& store_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_INSPECTION_SERVICE_H_
