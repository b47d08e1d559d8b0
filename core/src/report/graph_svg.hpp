// The graph's picture in report.html.
#pragma once

#include <string>

namespace gradflow::report {

// Graphviz's SVG of the DOT file at dot_path (whose text is `dot`), or, without a working
// `dot`, fallback_graph_svg(dot). *from_graphviz says which.
std::string graph_svg(const std::string& dot_path, const std::string& dot, bool* from_graphviz);

// Boxes one per row in the file's order with their edges, from DOT text written by to_dot().
std::string fallback_graph_svg(const std::string& dot);

}  // namespace gradflow::report
