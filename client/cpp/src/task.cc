#include "exosphere/client/task.h"

#include <utility>

namespace exosphere::client {
namespace {

const std::string& ValueOrEmpty(const StringMap& map, const std::string& key) {
  static const std::string* const kEmpty = new std::string();
  auto it = map.find(key);
  return it == map.end() ? *kEmpty : it->second;
}

}  // namespace

Task::Task(std::string state_id, std::string node_name, std::string identifier, StringMap inputs,
           StringMap secrets, std::shared_ptr<CancellationToken> cancellation, absl::Time deadline)
    : state_id_(std::move(state_id)),
      node_name_(std::move(node_name)),
      identifier_(std::move(identifier)),
      inputs_(std::move(inputs)),
      secrets_(std::move(secrets)),
      cancellation_(cancellation != nullptr ? std::move(cancellation)
                                            : std::make_shared<CancellationToken>()),
      deadline_(deadline) {}

const std::string& Task::input(const std::string& name) const {
  return ValueOrEmpty(inputs_, name);
}

const std::string& Task::secret(const std::string& name) const {
  return ValueOrEmpty(secrets_, name);
}

}  // namespace exosphere::client
