#ifndef EXOSPHERE_CLIENT_BASE_NODE_H_
#define EXOSPHERE_CLIENT_BASE_NODE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

#include "exosphere/client/node_result.h"
#include "exosphere/client/task.h"

namespace exosphere::client {

// What a node declares: the name graphs refer to (`node_name`), its string fields and the graph
// secrets it needs. Names are 1 to 128 letters, digits, '_', '-' or '.'; field names the same
// without '.'. Checked by Runtime::Create.
struct NodeSpec {
  std::string name = {};
  std::vector<std::string> inputs = {};
  std::vector<std::string> outputs = {};
  std::vector<std::string> secrets = {};
  // How long one execution may take before the sidecar cancels it and reports it errored (so the
  // graph's retry policy applies). Zero: the sidecar's default (none unless configured).
  absl::Duration deadline = absl::ZeroDuration();
  // Optional JSON Schema documents registered in place of the ones derived from the field
  // names: a JSON object whose "properties" are exactly the declared fields, each
  // {"type": "string"}.
  std::string inputs_schema_json = {};
  std::string outputs_schema_json = {};
};

// The base of a node implementation, like the SDKs' BaseNode:
//
//   class Sum : public BaseNode {
//    public:
//     Sum() : BaseNode({"sum", {"a", "b"}, {"total"}}) {}
//     NodeResult Execute(const Task& task) override { ... }
//   };
//
// One instance serves every task of its node: Execute runs concurrently on up to
// RuntimeOptions::workers threads and must be thread-safe. It may return an error status or
// throw; either becomes an errored result with the message, never a crash.
class BaseNode {
 public:
  explicit BaseNode(NodeSpec spec);
  virtual ~BaseNode();
  BaseNode(const BaseNode&) = delete;
  BaseNode& operator=(const BaseNode&) = delete;

  const NodeSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }

  // Runs one task. Called on a worker thread of the Runtime.
  virtual NodeResult Execute(const Task& task) = 0;

 private:
  const NodeSpec spec_;
};

using ExecuteFunction = std::function<NodeResult(const Task&)>;

// A node from a function (for example a lambda), for nodes that need no class of their own.
// `execute` is called concurrently like BaseNode::Execute. Returns a shared_ptr because
// Runtime::Create takes the nodes as shared_ptrs (see there).
std::shared_ptr<BaseNode> MakeNode(NodeSpec spec, ExecuteFunction execute);

}  // namespace exosphere::client

#endif  // EXOSPHERE_CLIENT_BASE_NODE_H_
