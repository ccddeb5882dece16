#include "client/cpp/internal/node_invoker.h"

#include <exception>
#include <string>

#include "absl/strings/str_cat.h"

#include "client/cpp/internal/result_encoder.h"

namespace exosphere::client::internal {
namespace {

std::string ExceptionMessage(const char* what) {
  if (what == nullptr || what[0] == '\0') return "the node threw an exception without a message";
  return what;
}

}  // namespace

v1::TaskResult InvokeNode(BaseNode& node, const Task& task) {
  // Encoding is inside the try as well: it copies user data and may run out of memory.
  try {
    return EncodeResult(task.state_id(), node.spec(), node.Execute(task));
  } catch (const std::exception& exception) {
    return ErroredResult(task.state_id(), ExceptionMessage(exception.what()));
  } catch (...) {
    return ErroredResult(
        task.state_id(),
        absl::StrCat("Node \"", node.name(), "\" threw something that is not a std::exception"));
  }
}

}  // namespace exosphere::client::internal
