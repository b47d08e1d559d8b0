#include "commands.hpp"
#include "session.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

namespace gradflow::cli {
namespace {

std::string range(const gf_attr_spec& a) {
  return has_range(a) ? " in " + attribute_range_text(a) : "";
}

}  // namespace

void add_ops(CLI::App& app, Common& common, Action& run) {
  CLI::App* cmd =
      app.add_subcommand("ops", "List every op, its inputs, attributes and plugin file");
  cmd->callback([&common, &run] {
    run = [&common] {
      OpRegistry registry;
      load_plugins(registry, common.plugins);
      for (const auto& [name, entry] : registry.ops()) {
        const gf_op_def& d = *entry.def;
        std::string inputs;
        for (uint32_t i = 0; i < d.n_inputs; ++i)
          inputs += (i ? ", " : "") + std::string(d.input_names[i]);
        std::cout << fmt::format("{}({}){}{}\n", name, inputs,
                                 d.flags & GF_OP_LOSS ? "  [loss]" : "",
                                 is_differentiable(d) ? "" : "  [not differentiable]");
        if (d.doc && *d.doc) std::cout << "    " << d.doc << '\n';
        for (uint32_t i = 0; i < d.n_attrs; ++i) {
          const gf_attr_spec& a = d.attrs[i];
          std::cout << fmt::format(
              "    {}: {}{}{}{}\n", a.name, attr_type_name(a.type), range(a),
              a.default_text ? fmt::format(" = {}", a.default_text) : " (required)",
              a.doc && *a.doc ? std::string("  - ") + a.doc : "");
        }
        std::cout << "    from " << entry.plugin_path << '\n';
      }
      return 0;
    };
  });
}

}  // namespace gradflow::cli
