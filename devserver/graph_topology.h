#ifndef EXOSPHERE_DEVSERVER_GRAPH_TOPOLOGY_H_
#define EXOSPHERE_DEVSERVER_GRAPH_TOPOLOGY_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "devserver/models.h"

namespace exosphere::devserver {

// Root detection and "computed parents" of a graph template, ported from the state manager's
// GraphTemplate model (contract 4.1, 4.4) including its quirks: parents come from one depth-first
// walk from the root along `next_nodes`, a node reached again only merges the new parents (its
// children are not walked again), and a unite node's parents are replaced by parents(U) + {U}.
// Immutable after Build(); thread-compatible.
class GraphTopology {
 public:
  // The unique node with in-degree 0 (in-degree = number of `next_nodes` lists naming it, plus
  // one for a node with `unites`). Otherwise kInvalidArgument "There should be exactly one root
  // node in the graph but found N nodes with zero in-degree: [NodeTemplate(...), ...]".
  // `nodes` must have unique identifiers and existing `next_nodes` targets.
  static absl::StatusOr<const NodeTemplate*> FindRoot(const std::vector<NodeTemplate>& nodes);

  // Walks the graph. Errors are kInvalidArgument "Error building dependency graph: <reason>"
  // (no single root, a unite target never reached, or a walk deeper than Python's recursion limit).
  static absl::StatusOr<GraphTopology> Build(const std::vector<NodeTemplate>& nodes);

  const std::string& root() const { return root_; }
  // Identifiers on the paths above `identifier` (unite rule applied); empty for unknown ones.
  const std::set<std::string>& Parents(const std::string& identifier) const;
  // Identifiers on the walked paths leading to `identifier`, used for the acyclicity check.
  const std::set<std::string>& Path(const std::string& identifier) const;

 private:
  std::string root_;
  std::map<std::string, std::set<std::string>> parents_;
  std::map<std::string, std::set<std::string>> paths_;
};

// repr() of a NodeTemplate as Pydantic prints it, e.g. "NodeTemplate(node_name='n',
// namespace='ns', identifier='a', inputs={}, next_nodes=None, unites=None)".
std::string NodeTemplateRepr(const NodeTemplate& node);
std::string NodeTemplateListRepr(const std::vector<NodeTemplate>& nodes);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_GRAPH_TOPOLOGY_H_
