#include "examples/cpp/sign_node.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace exosphere::examples {
namespace {

uint64_t Fnv1a(const std::string& data, uint64_t hash = 14695981039346656037ull) {
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

SignNode::SignNode() : BaseNode({"sign_text", {"text"}, {"signature"}, {"signing_key"}}) {}

client::NodeResult SignNode::Execute(const client::Task& task) {
  const std::string& key = task.secret("signing_key");
  if (key.empty()) return absl::FailedPreconditionError("the signing_key secret is empty");
  const uint64_t signature = Fnv1a(task.input("text"), Fnv1a(key));
  return client::StringMap{{"signature", absl::StrFormat("%016x", signature)}};
}

}  // namespace exosphere::examples
