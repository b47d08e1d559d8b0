// The step of --set that runs inside the graph parser, between YAML and the structural checks.
#pragma once

#include <gradflow/graph_overrides.hpp>

#include "graph/yaml_reader.hpp"

namespace gradflow {

// Replaces or adds the value at o.key in `root`; returns where it landed. A key path that leads
// nowhere (no such node, a scalar on the way) is reported into `diags`.
SourceLocation apply_override(YAML::Node root, const GraphOverride& o, const YamlReader& yaml,
                              DiagnosticList& diags);

}  // namespace gradflow
