#include "devserver/graph_topology.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "devserver/python_repr.h"

namespace exosphere::devserver {
namespace {

// CPython's recursion limit (1000 frames, part of them used by the request handling stack)
// stops the state manager's recursive walk; deeper graphs fail there with RecursionError.
constexpr int kMaxWalkDepth = 900;

const std::set<std::string>& EmptySet() {
  static const std::set<std::string>* const empty = new std::set<std::string>();
  return *empty;
}

class Walker {
 public:
  explicit Walker(const std::vector<NodeTemplate>& nodes) {
    for (const NodeTemplate& node : nodes) {
      by_identifier_[node.identifier] = &node;
      visited_[node.identifier] = false;
      parents_[node.identifier];
      paths_[node.identifier];
    }
  }

  void Dfs(const std::string& identifier, const std::set<std::string>& parents,
           const std::set<std::string>& path, int depth) {
    if (too_deep_) return;
    if (depth > kMaxWalkDepth) {
      too_deep_ = true;
      return;
    }
    parents_[identifier].insert(parents.begin(), parents.end());
    paths_[identifier].insert(path.begin(), path.end());
    if (visited_[identifier]) return;
    visited_[identifier] = true;
    const NodeTemplate* node = by_identifier_[identifier];
    std::set<std::string> parents_for_children;
    if (!node->unites.has_value()) {
      parents_for_children = parents;
      parents_for_children.insert(identifier);
    } else if (visited_[node->unites->identifier]) {
      const std::string& target = node->unites->identifier;
      std::set<std::string> replaced = parents_[target];
      replaced.insert(target);
      parents_[identifier] = replaced;
      parents_for_children = std::move(replaced);
    } else {
      AwaitingFor(node->unites->identifier).push_back(identifier);
      return;
    }
    for (size_t i = 0; i < awaiting_.size(); ++i) {
      if (awaiting_[i].first != identifier) continue;
      const std::vector<std::string> waiting = awaiting_[i].second;
      for (const std::string& waiting_identifier : waiting) {
        const std::set<std::string> waiting_path = paths_[waiting_identifier];
        Dfs(waiting_identifier, parents_for_children, waiting_path, depth + 1);
      }
      for (size_t k = 0; k < awaiting_.size(); ++k) {
        if (awaiting_[k].first == identifier) {
          awaiting_.erase(awaiting_.begin() + static_cast<std::ptrdiff_t>(k));
          break;
        }
      }
      break;
    }
    if (!node->next_nodes.has_value()) return;
    std::set<std::string> child_path = path;
    child_path.insert(identifier);
    for (const std::string& next : *node->next_nodes) {
      Dfs(next, parents_for_children, child_path, depth + 1);
    }
  }

  bool too_deep() const { return too_deep_; }
  const std::vector<std::pair<std::string, std::vector<std::string>>>& awaiting() const {
    return awaiting_;
  }
  std::map<std::string, std::set<std::string>>& parents() { return parents_; }
  std::map<std::string, std::set<std::string>>& paths() { return paths_; }

 private:
  std::vector<std::string>& AwaitingFor(const std::string& target) {
    for (auto& [key, list] : awaiting_) {
      if (key == target) return list;
    }
    awaiting_.emplace_back(target, std::vector<std::string>());
    return awaiting_.back().second;
  }

  std::map<std::string, const NodeTemplate*> by_identifier_;
  std::map<std::string, bool> visited_;
  std::map<std::string, std::set<std::string>> parents_;
  std::map<std::string, std::set<std::string>> paths_;
  // Python dict: unite target -> unite nodes waiting for it, in insertion order.
  std::vector<std::pair<std::string, std::vector<std::string>>> awaiting_;
  bool too_deep_ = false;
};

std::string AwaitingRepr(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& awaiting) {
  std::vector<std::string> items;
  for (const auto& [target, nodes] : awaiting) {
    std::vector<std::string> names;
    for (const std::string& node : nodes) names.push_back(PythonStringRepr(node));
    items.push_back(absl::StrCat(PythonStringRepr(target), ": [", absl::StrJoin(names, ", "), "]"));
  }
  return absl::StrCat("{", absl::StrJoin(items, ", "), "}");
}

}  // namespace

std::string NodeTemplateRepr(const NodeTemplate& node) {
  std::string next_nodes = "None";
  if (node.next_nodes.has_value()) {
    std::vector<std::string> items;
    for (const std::string& next : *node.next_nodes) items.push_back(PythonStringRepr(next));
    next_nodes = absl::StrCat("[", absl::StrJoin(items, ", "), "]");
  }
  std::string unites = "None";
  if (node.unites.has_value()) {
    const absl::string_view strategy = UnitesStrategyName(node.unites->strategy);
    unites = absl::StrCat("Unites(identifier=", PythonStringRepr(node.unites->identifier),
                          ", strategy=<UnitesStrategyEnum.", strategy, ": '", strategy, "'>)");
  }
  return absl::StrCat("NodeTemplate(node_name=", PythonStringRepr(node.node_name),
                      ", namespace=", PythonStringRepr(node.namespace_name),
                      ", identifier=", PythonStringRepr(node.identifier),
                      ", inputs=", PythonRepr(node.inputs), ", next_nodes=", next_nodes,
                      ", unites=", unites, ")");
}

std::string NodeTemplateListRepr(const std::vector<NodeTemplate>& nodes) {
  std::vector<std::string> items;
  items.reserve(nodes.size());
  for (const NodeTemplate& node : nodes) items.push_back(NodeTemplateRepr(node));
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

absl::StatusOr<const NodeTemplate*> GraphTopology::FindRoot(
    const std::vector<NodeTemplate>& nodes) {
  std::map<std::string, int> in_degree;
  for (const NodeTemplate& node : nodes) in_degree[node.identifier] = 0;
  for (const NodeTemplate& node : nodes) {
    if (node.next_nodes.has_value()) {
      for (const std::string& next : *node.next_nodes) ++in_degree[next];
    }
    if (node.unites.has_value()) ++in_degree[node.identifier];
  }
  std::vector<NodeTemplate> roots;
  const NodeTemplate* root = nullptr;
  for (const NodeTemplate& node : nodes) {
    if (in_degree[node.identifier] == 0) {
      roots.push_back(node);
      root = &node;
    }
  }
  if (roots.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("There should be exactly one root node in the graph but found ", roots.size(),
                     " nodes with zero in-degree: ", NodeTemplateListRepr(roots)));
  }
  return root;
}

absl::StatusOr<GraphTopology> GraphTopology::Build(const std::vector<NodeTemplate>& nodes) {
  absl::StatusOr<const NodeTemplate*> root = FindRoot(nodes);
  if (!root.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error building dependency graph: ", root.status().message()));
  }
  Walker walker(nodes);
  walker.Dfs((*root)->identifier, {}, {}, 1);
  if (walker.too_deep()) {
    return absl::InvalidArgumentError(
        "Error building dependency graph: maximum recursion depth exceeded");
  }
  if (!walker.awaiting().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error building dependency graph: Graph is disconnected at: ",
                     AwaitingRepr(walker.awaiting())));
  }
  GraphTopology topology;
  topology.root_ = (*root)->identifier;
  topology.parents_ = std::move(walker.parents());
  topology.paths_ = std::move(walker.paths());
  return topology;
}

const std::set<std::string>& GraphTopology::Parents(const std::string& identifier) const {
  auto it = parents_.find(identifier);
  return it == parents_.end() ? EmptySet() : it->second;
}

const std::set<std::string>& GraphTopology::Path(const std::string& identifier) const {
  auto it = paths_.find(identifier);
  return it == paths_.end() ? EmptySet() : it->second;
}

}  // namespace exosphere::devserver
