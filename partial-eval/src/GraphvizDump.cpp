// Graphviz form of a graph through Boost.Graph's write_graphviz: control
// nodes are boxes, values ellipses, edges point from input to user.
#include <sstream>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>

#include "absl/strings/str_cat.h"
#include "morel/pe/Phases.h"

namespace morel::pe {

std::string toGraphviz(const Graph& g, const std::string& title) {
  struct VertexProps {
    std::string label;
    std::string shape;
  };
  using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, VertexProps>;
  std::vector<IrNode*> live = g.liveNodes();
  G bg(live.size());
  std::vector<int> index(g.nodes().size(), -1);
  for (std::size_t i = 0; i < live.size(); ++i) {
    IrNode* n = live[i];
    index[n->id()] = static_cast<int>(i);
    std::string label = absl::StrCat(n->id(), ": ", opName(n->op()));
    if (n->isConst() || n->op() == Op::Param || n->op() == Op::Proj)
      absl::StrAppend(&label, " ", n->value());
    if (n->type() == Type::I32 || n->type() == Type::I64) absl::StrAppend(&label, " ", typeName(n->type()));
    bg[i].label = label;
    bg[i].shape = n->isControl() ? "box" : "ellipse";
  }
  for (IrNode* n : live)
    for (IrNode* in : n->inputs())
      if (in != nullptr && index[in->id()] >= 0) boost::add_edge(index[in->id()], index[n->id()], bg);
  boost::dynamic_properties dp;
  dp.property("node_id", boost::get(boost::vertex_index, bg));
  dp.property("label", boost::get(&VertexProps::label, bg));
  dp.property("shape", boost::get(&VertexProps::shape, bg));
  std::ostringstream os;
  boost::write_graphviz_dp(os, bg, dp);
  std::string dot = os.str();
  // Name the graph after the compilation it shows.
  auto brace = dot.find('{');
  if (brace != std::string::npos)
    dot.insert(brace + 1, absl::StrCat("\nlabel=\"", title, "\";\n"));
  return dot;
}

}  // namespace morel::pe
