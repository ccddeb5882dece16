#include "examples/cpp/demo_graph.h"

namespace exosphere::examples {

std::vector<client::GraphNode> DemoGraphNodes() {
  client::GraphNode normalize{
      "normalize", "normalize", {{"text", "Hello from the C++ worker"}}, {"split"}};
  client::GraphNode split{
      "split_words", "split", {{"text", "${{ normalize.outputs.text }}"}}, {"shout"}};
  client::GraphNode shout{
      "shout",
      "shout",
      {{"word", "${{ split.outputs.word }}"}, {"suffix", "${{ store.suffix }}"}},
      {"collect"}};
  client::GraphNode collect{
      "summarize", "collect", {{"text", "${{ normalize.outputs.text }}"}}, {"sign"}};
  collect.unites = client::Unites{"normalize"};
  // Inputs of a node after a unite node may not reference the unite node itself: the state
  // manager's graph check gives it the united node's ancestry (normalize and above) only.
  client::GraphNode sign{"sign_text", "sign", {{"text", "${{ normalize.outputs.text }}"}}, {}};
  return {normalize, split, shout, collect, sign};
}

client::StoreConfig DemoStoreConfig() { return client::StoreConfig{{}, {{"suffix", "!"}}}; }

}  // namespace exosphere::examples
