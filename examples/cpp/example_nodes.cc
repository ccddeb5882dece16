#include "examples/cpp/example_nodes.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

#include "examples/cpp/sign_node.h"

namespace exosphere::examples {
namespace {

using client::MakeNode;
using client::NodeResult;
using client::StringMap;
using client::Task;

std::vector<std::string> Words(const std::string& text) {
  return absl::StrSplit(text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
}

}  // namespace

std::vector<std::shared_ptr<client::BaseNode>> ExampleNodes() {
  return {
      MakeNode({"normalize", {"text"}, {"text"}},
               [](const Task& task) -> NodeResult {
                 const std::vector<std::string> words = Words(task.input("text"));
                 if (words.empty()) return absl::InvalidArgumentError("the text has no words");
                 return StringMap{{"text", absl::StrJoin(words, " ")}};
               }),
      // Returning several outputs fans out: each word becomes its own state downstream.
      MakeNode({"split_words", {"text"}, {"word"}},
               [](const Task& task) {
                 std::vector<StringMap> outputs;
                 for (const std::string& word : Words(task.input("text"))) {
                   outputs.push_back({{"word", word}});
                 }
                 return NodeResult::Outputs(std::move(outputs));
               }),
      MakeNode({"shout", {"word", "suffix"}, {"loud"}},
               [](const Task& task) {
                 return StringMap{
                     {"loud", absl::AsciiStrToUpper(task.input("word")) + task.input("suffix")}};
               }),
      MakeNode({"summarize", {"text"}, {"summary"}},
               [](const Task& task) {
                 const size_t count = Words(task.input("text")).size();
                 return StringMap{{"summary", absl::StrCat(count, " words shouted: \"",
                                                           task.input("text"), "\"")}};
               }),
      std::make_shared<SignNode>(),
  };
}

}  // namespace exosphere::examples
