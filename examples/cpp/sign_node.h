#ifndef EXOSPHERE_EXAMPLES_CPP_SIGN_NODE_H_
#define EXOSPHERE_EXAMPLES_CPP_SIGN_NODE_H_

#include "exosphere/client/base_node.h"

namespace exosphere::examples {

// "sign_text": signs its input with the graph secret `signing_key` and outputs the signature
// (a keyed FNV-1a hash in hex: an illustration of using a secret, not cryptography). The secret
// itself never appears in an output or an error. Stateless, hence thread-safe.
class SignNode final : public client::BaseNode {
 public:
  SignNode();

  client::NodeResult Execute(const client::Task& task) override;
};

}  // namespace exosphere::examples

#endif  // EXOSPHERE_EXAMPLES_CPP_SIGN_NODE_H_
