#include "client/cpp/internal/hello_builder.h"

#include <unistd.h>

#include <cmath>

#include "absl/strings/str_cat.h"

namespace exosphere::client::internal {
namespace {

std::string DefaultWorkerLabel() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(host[0] != '\0' ? host : "worker", ":", getpid());
}

}  // namespace

v1::Hello BuildHello(const std::string& namespace_name, const std::string& runtime_name,
                     const std::vector<std::shared_ptr<BaseNode>>& nodes, int slots,
                     const std::string& worker_label) {
  v1::Hello hello;
  hello.set_namespace_(namespace_name);
  hello.set_runtime_name(runtime_name);
  hello.set_slots(static_cast<uint32_t>(slots));
  hello.set_worker_label(worker_label.empty() ? DefaultWorkerLabel() : worker_label);
  hello.set_accepts_task_batches(true);  // WorkerSession runs each task of a TaskBatch
  for (const std::shared_ptr<BaseNode>& node : nodes) {
    const NodeSpec& spec = node->spec();
    v1::NodeDefinition& definition = *hello.add_nodes();
    definition.set_name(spec.name);
    for (const std::string& field : spec.inputs) definition.add_input_fields(field);
    for (const std::string& field : spec.outputs) definition.add_output_fields(field);
    for (const std::string& field : spec.secrets) definition.add_secret_fields(field);
    definition.set_inputs_schema_json(spec.inputs_schema_json);
    definition.set_outputs_schema_json(spec.outputs_schema_json);
    // Whole milliseconds on the wire; rounding up keeps a sub-millisecond deadline from
    // turning into "none".
    definition.set_deadline_ms(
        static_cast<uint64_t>(std::ceil(absl::ToDoubleMilliseconds(spec.deadline))));
  }
  return hello;
}

}  // namespace exosphere::client::internal
