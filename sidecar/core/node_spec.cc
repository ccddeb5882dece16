#include "sidecar/core/node_spec.h"

namespace exosphere::sidecar {

bool NodeSpec::SameDefinition(const NodeSpec& other) const {
  return name == other.name && input_fields == other.input_fields &&
         output_fields == other.output_fields && secret_fields == other.secret_fields &&
         inputs_schema == other.inputs_schema && outputs_schema == other.outputs_schema;
}

}  // namespace exosphere::sidecar
