#ifndef EXOSPHERE_TESTS_SUPPORT_SPLITTER_NODE_H_
#define EXOSPHERE_TESTS_SUPPORT_SPLITTER_NODE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "exosphere/client/client.h"

namespace exosphere::testing {

// A node named `name` that fans out: input `count` (a number), one output per item, each with
// `item` = "i0", "i1", ... For end-to-end tests of a graph whose next node runs `count` times.
// Header-only: only tests that link the C++ client include it.
inline std::shared_ptr<client::BaseNode> MakeSplitterNode(std::string name) {
  return client::MakeNode({std::move(name), {"count"}, {"item"}}, [](const client::Task& task) {
    int count = 0;
    (void)absl::SimpleAtoi(task.input("count"), &count);
    std::vector<client::StringMap> outputs;
    for (int i = 0; i < count; ++i) outputs.push_back({{"item", absl::StrCat("i", i)}});
    return client::NodeResult::Outputs(std::move(outputs));
  });
}

}  // namespace exosphere::testing

#endif  // EXOSPHERE_TESTS_SUPPORT_SPLITTER_NODE_H_
