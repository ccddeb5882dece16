#ifndef EXOSPHERE_EXAMPLES_CPP_EXAMPLE_NODES_H_
#define EXOSPHERE_EXAMPLES_CPP_EXAMPLE_NODES_H_

#include <memory>
#include <vector>

#include "exosphere/client/base_node.h"

namespace exosphere::examples {

// The nodes of the example worker, for the demo graph (see demo_graph.h):
//   normalize    {text} -> {text}       trims and collapses whitespace
//   split_words  {text} -> {word}...    one output per word (fan-out)
//   shout        {word, suffix} -> {loud}
//   summarize    {text} -> {summary}    runs once all words are shouted (unite)
//   sign_text    {text} + secret signing_key -> {signature}  (see SignNode)
std::vector<std::shared_ptr<client::BaseNode>> ExampleNodes();

}  // namespace exosphere::examples

#endif  // EXOSPHERE_EXAMPLES_CPP_EXAMPLE_NODES_H_
