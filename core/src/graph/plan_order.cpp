// Stage three: the execution order, a topological sort with Boost.Graph. A cycle is reported
// with its nodes.
#include "graph/planner.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/topological_sort.hpp>

#include <algorithm>

namespace gradflow {
namespace {

using DiGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;

// Finds one cycle for the message: depth-first search with colours over the node graph.
std::vector<size_t> find_cycle(const std::vector<std::vector<size_t>>& successors) {
  size_t n = successors.size();
  std::vector<int> colour(n, 0);
  std::vector<size_t> parent(n, SIZE_MAX);
  for (size_t start = 0; start < n; ++start) {
    if (colour[start]) continue;
    // Iterative DFS so that a long chain cannot overflow the stack.
    std::vector<std::pair<size_t, size_t>> stack{{start, 0}};
    colour[start] = 1;
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      if (next >= successors[v].size()) {
        colour[v] = 2;
        stack.pop_back();
        continue;
      }
      size_t w = successors[v][next++];
      if (colour[w] == 1) {
        std::vector<size_t> cycle{w};
        for (size_t u = v; u != w; u = parent[u]) cycle.push_back(u);
        std::reverse(cycle.begin() + 1, cycle.end());
        return cycle;
      }
      if (colour[w] == 0) {
        colour[w] = 1;
        parent[w] = v;
        stack.push_back({w, 0});
      }
    }
  }
  return {};
}

}  // namespace

void Planner::order() {
  const auto& nodes = spec_.nodes;
  std::map<std::string, size_t> node_of;
  for (size_t i = 0; i < nodes.size(); ++i) node_of[nodes[i].name] = i;
  // Vertices are node indices; edges run producer -> consumer.
  DiGraph dag(nodes.size());
  std::vector<std::vector<size_t>> successors(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& in : nodes[i].inputs)
      if (auto it = node_of.find(in); it != node_of.end()) {
        boost::add_edge(it->second, i, dag);
        successors[it->second].push_back(i);
      }
  std::vector<size_t> reverse_order;
  try {
    boost::topological_sort(dag, std::back_inserter(reverse_order));
  } catch (const boost::not_a_dag&) {
    std::vector<size_t> cycle = find_cycle(successors);
    std::string path;
    for (size_t v : cycle) path += nodes[v].name + " -> ";
    path += cycle.empty() ? "?" : nodes[cycle.front()].name;
    SourceLocation where =
        cycle.empty() ? SourceLocation{spec_.path, 0, 0} : nodes[cycle.front()].where;
    throw InputError(where, "the graph has a cycle: " + path);
  }
  order_.assign(reverse_order.rbegin(), reverse_order.rend());
}

}  // namespace gradflow
