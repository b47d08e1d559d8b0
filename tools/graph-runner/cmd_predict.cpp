#include "commands.hpp"
#include "session.hpp"

#include <gradflow/atomic_file.hpp>
#include <gradflow/checkpoint.hpp>
#include <gradflow/model.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <memory>
#include <sstream>

namespace gradflow::cli {
namespace {

// Rows of features; a header line is skipped and a column named "label" is ignored.
std::vector<float> read_feature_csv(const std::string& path, int64_t width, int64_t* rows) {
  std::istringstream in(read_file(path));
  std::string line;
  std::vector<float> out;
  int64_t label_column = -1;
  int line_number = 0;
  *rows = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream row(line);
    std::string cell;
    while (std::getline(row, cell, ',')) cells.push_back(cell);
    if (line_number == 1 && !cells.empty() &&
        !std::isdigit(static_cast<unsigned char>(cells[0][0])) && cells[0][0] != '-' &&
        cells[0][0] != '.') {
      for (size_t i = 0; i < cells.size(); ++i)
        if (cells[i] == "label") label_column = static_cast<int64_t>(i);
      continue;
    }
    int64_t used = 0;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (static_cast<int64_t>(i) == label_column) continue;
      float v = 0;
      auto [ptr, ec] = std::from_chars(cells[i].data(), cells[i].data() + cells[i].size(), v);
      if (ec != std::errc() || ptr != cells[i].data() + cells[i].size() || !std::isfinite(v))
        throw InputError(
            SourceLocation{path, line_number, 0},
            "column " + std::to_string(i + 1) + ": '" + cells[i] + "' is not a number");
      out.push_back(v);
      ++used;
    }
    if (used != width)
      throw InputError(
          SourceLocation{path, line_number, 0},
          "expected " + std::to_string(width) + " feature columns, found " + std::to_string(used));
    ++*rows;
  }
  return out;
}

}  // namespace

void add_predict(CLI::App& app, Common& common, Action& run) {
  struct Args {
    std::string graph, weights, input, output;
    int digits = 6;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("predict", "Predict the class of each row of a CSV file");
  cmd->add_option("graph", args->graph, "Graph file")->required();
  cmd->add_option("--weights", args->weights, "model.safetensors")->required();
  cmd->add_option("--input", args->input, "CSV of features (a 'label' column is ignored)")
      ->required();
  cmd->add_option("--output", args->output, "Write the predictions here instead of stdout");
  cmd->add_option("--digits", args->digits,
                  "Significant digits of each output (9 keeps every float32 exactly)")
      ->check(CLI::Range(1, 9));
  cmd->callback([args, &common, &run] {
    run = [args, &common] {
      GraphSpec spec = load_graph_file(args->graph);
      OpRegistry registry;
      load_plugins(registry, common.plugins, &spec);
      auto model = Model::plan(spec, registry);
      if (model->predict_value() < 0)
        throw InputError(SourceLocation{spec.path, 0, 0}, "the graph has no 'predict' node");
      // The features go to the input bound to x (by name or by train.data.bind).
      std::string feature_input;
      for (const auto& in : spec.inputs) {
        auto it = spec.train.bind.find(in.name);
        if ((it != spec.train.bind.end() ? it->second : in.name) == "x") feature_input = in.name;
      }
      if (feature_input.empty())
        throw InputError(SourceLocation{spec.path, 0, 0},
                         "no graph input is bound to the features 'x'");
      int x = model->input_value(feature_input);
      int64_t width = 1;
      for (int64_t d : model->values()[x].shape) width *= d;
      int64_t rows = 0;
      std::vector<float> features = read_feature_csv(args->input, width, &rows);
      model->allocate(std::max<int64_t>(1, std::min<int64_t>(rows, 1000)));
      load_checkpoint(args->weights, *model, nullptr);
      const Value& out = model->values()[model->predict_value()];
      int64_t k = out.data.sample_size();
      std::string text = "class";
      for (int64_t c = 0; c < k; ++c) text += fmt::format(",p{}", c);
      text += '\n';
      for (int64_t begin = 0; begin < rows; begin += model->max_batch()) {
        int64_t count = std::min(model->max_batch(), rows - begin);
        model->values()[x].external = features.data() + begin * width;
        model->forward(count);
        for (int64_t r = 0; r < count; ++r) {
          const float* p = out.data.data() + r * k;
          text += std::to_string(std::max_element(p, p + k) - p);
          for (int64_t c = 0; c < k; ++c) text += fmt::format(",{:.{}g}", p[c], args->digits);
          text += '\n';
        }
      }
      if (args->output.empty())
        std::cout << text;
      else
        write_file_atomically(args->output, text);
      return 0;
    };
  });
}

}  // namespace gradflow::cli
