// The explanation as terminal text and as the run folder's explain.json.
#include <gradflow/explain.hpp>

#include "plots/svg_writer.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gradflow {
namespace {

// Continuation lines of a multi-line formula line up under its first line.
std::string indent_lines(const std::string& text, size_t width) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += std::string(width, ' ');
  }
  return out;
}

}  // namespace

std::string explain_text(const std::vector<NodeExplanation>& nodes) {
  std::string out;
  for (const auto& n : nodes) {
    out += fmt::format("{} ({})\n", n.node, n.op);
    if (!n.shapes.empty()) {
      out += "  shapes:   ";
      for (size_t i = 0; i < n.shapes.size(); ++i)
        out += fmt::format("{}{} {}", i ? ", " : "", n.shapes[i].first, n.shapes[i].second);
      out += '\n';
    }
    out += "  forward:  " + indent_lines(n.forward, 12) + '\n';
    for (size_t i = 0; i < n.backward.size(); ++i)
      out += fmt::format("  {}{}\n", i == 0 ? "backward: " : "          ",
                         indent_lines(n.backward[i].text, 12));
    for (const auto& note : n.notes) out += "  note:     " + indent_lines(note, 12) + '\n';
    out += '\n';
  }
  return out;
}

std::string explain_json(const std::vector<NodeExplanation>& nodes) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& n : nodes) {
    nlohmann::json backward = nlohmann::json::array();
    for (const auto& g : n.backward) backward.push_back({{"of", g.of}, {"text", g.text}});
    nlohmann::json shapes = nlohmann::json::array();
    for (const auto& [name, shape] : n.shapes) shapes.push_back({name, shape});
    list.push_back({{"node", n.node},
                    {"op", n.op},
                    {"declared", n.declared},
                    {"forward", n.forward},
                    {"backward", backward},
                    {"notes", n.notes},
                    {"shapes", shapes}});
  }
  return list.dump(1) + "\n";
}

std::vector<NodeExplanation> parse_explain_json(const std::string& text,
                                                const std::string& source) {
  std::vector<NodeExplanation> nodes;
  try {
    const nlohmann::json list = nlohmann::json::parse(text);
    for (const auto& item : list) {
      NodeExplanation n;
      n.node = svg::clean_text(item.at("node").get<std::string>());
      n.op = svg::clean_text(item.at("op").get<std::string>());
      n.declared = item.at("declared").get<bool>();
      n.forward = svg::clean_text(item.at("forward").get<std::string>());
      for (const auto& g : item.at("backward"))
        n.backward.push_back({svg::clean_text(g.at("of").get<std::string>()),
                              svg::clean_text(g.at("text").get<std::string>())});
      for (const auto& note : item.at("notes"))
        n.notes.push_back(svg::clean_text(note.get<std::string>()));
      for (const auto& s : item.at("shapes"))
        n.shapes.emplace_back(svg::clean_text(s.at(0).get<std::string>()),
                              svg::clean_text(s.at(1).get<std::string>()));
      nodes.push_back(std::move(n));
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(source + ": not a gradflow explain.json: " + e.what());
  }
  return nodes;
}

}  // namespace gradflow
