#include "session.hpp"

namespace gradflow::cli {

void load_plugins(OpRegistry& registry, const std::vector<std::string>& flags,
                  const GraphSpec* graph) {
  load_standard_plugins(registry, flags);
  if (!graph) return;
  DiagnosticList diags;
  for (size_t i = 0; i < graph->plugins.size(); ++i) {
    try {
      registry.load_plugin(graph->plugins[i], graph->plugin_where[i]);
    } catch (const InputError& e) {
      for (const auto& d : e.diagnostics()) diags.error(d.where, d.message);
    }
  }
  diags.throw_if_any();
}

}  // namespace gradflow::cli
