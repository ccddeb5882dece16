#include "exosphere/client/base_node.h"

#include <utility>

namespace exosphere::client {
namespace {

class FunctionNode final : public BaseNode {
 public:
  FunctionNode(NodeSpec spec, ExecuteFunction execute)
      : BaseNode(std::move(spec)), execute_(std::move(execute)) {}

  NodeResult Execute(const Task& task) override {
    if (!execute_) return NodeResult::Error("node \"" + name() + "\" has no execute function");
    return execute_(task);
  }

 private:
  const ExecuteFunction execute_;
};

}  // namespace

BaseNode::BaseNode(NodeSpec spec) : spec_(std::move(spec)) {}

BaseNode::~BaseNode() = default;

std::shared_ptr<BaseNode> MakeNode(NodeSpec spec, ExecuteFunction execute) {
  return std::make_shared<FunctionNode>(std::move(spec), std::move(execute));
}

}  // namespace exosphere::client
