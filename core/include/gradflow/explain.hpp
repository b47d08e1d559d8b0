// `graph-runner explain` and the report's formulas: each node's forward formula and the
// gradients its backward adds, as its op declares them through the plugin ABI (gf_explain),
// with the graph's names and shapes filled in. The core knows no op's formula.
#pragma once

#include <gradflow/model.hpp>

#include <string>
#include <utility>
#include <vector>

namespace gradflow {

struct GradientFormula {
  std::string of;    // the gradient it gives, e.g. "∂L/∂hidden.weight"
  std::string text;  // the formula, names substituted
};

struct NodeExplanation {
  std::string node;
  std::string op;
  bool declared = false;  // the op described itself
  std::string forward;    // one line per formula
  std::vector<GradientFormula> backward;
  std::vector<std::string> notes;
  // Every tensor the formulas mention, in order of first mention: name and shape ("B×10").
  std::vector<std::pair<std::string, std::string>> shapes;
};

// Asks every node's op for its formulas. An op that declines, or has no hook, or fails (its
// message becomes a note) is explained as "no formula declared"; nothing here throws for what
// a plugin returns.
std::vector<NodeExplanation> explain_model(const Model& model);

// Plain text for the terminal, one block per node in execution order.
std::string explain_text(const std::vector<NodeExplanation>& nodes);

// The run folder keeps the explanation as JSON, so `graph-runner report` needs no plugins.
std::string explain_json(const std::vector<NodeExplanation>& nodes);
std::vector<NodeExplanation> parse_explain_json(const std::string& text, const std::string& source);

}  // namespace gradflow
