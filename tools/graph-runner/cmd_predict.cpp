#include "commands.hpp"
#include "session.hpp"

#include <gradflow/atomic_file.hpp>
#include <gradflow/checkpoint.hpp>
#include <gradflow/datasets.hpp>
#include <gradflow/evaluation.hpp>
#include <gradflow/inference.hpp>
#include <gradflow/model.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>

namespace gradflow::cli {
namespace {

CsvHeader header_rule(const std::string& flag) {
  if (flag == "yes") return CsvHeader::yes;
  if (flag == "no") return CsvHeader::no;
  return CsvHeader::automatic;
}

}  // namespace

void add_predict(CLI::App& app, Common& common, Action& run) {
  struct Args {
    std::string graph, weights, input, output, header = "auto";
    int digits = 6;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("predict", "Predict the class of each row of a CSV file");
  cmd->add_option("graph", args->graph, "Graph file")->required();
  cmd->add_option("--weights", args->weights, "model.safetensors")->required();
  cmd->add_option("--input", args->input, "CSV of features (a 'label' column is ignored)")
      ->required();
  cmd->add_option("--header", args->header,
                  "Whether the first row names the columns; auto: it does when none of its "
                  "cells is a number or empty")
      ->check(CLI::IsMember({"auto", "yes", "no"}))
      ->capture_default_str();
  cmd->add_option("--output", args->output, "Write the predictions here instead of stdout");
  cmd->add_option("--digits", args->digits,
                  "Significant digits of each output (9 keeps every float32 exactly)")
      ->check(CLI::Range(1, 9));
  cmd->callback([args, &common, &run] {
    run = [args, &common] {
      OpRegistry registry;
      GraphSpec spec = load_graph(args->graph, {}, registry, common.plugins);
      auto model = Model::plan(spec, registry);
      if (model->predict_value() < 0)
        throw InputError(SourceLocation{spec.path, 0, 0}, "the graph has no 'predict' node");
      // The features go to the input bound to x (by name or by train.data.bind).
      std::string feature_input;
      for (const auto& in : spec.inputs)
        if (data_field(spec.train.bind, in.name) == "x") feature_input = in.name;
      if (feature_input.empty())
        throw InputError(SourceLocation{spec.path, 0, 0},
                         "no graph input is bound to the features 'x'");
      int x = model->input_value(feature_input);
      int64_t width = 1;
      for (int64_t d : model->values()[x].shape) width *= d;
      FeatureCsvOptions csv;
      csv.header = header_rule(args->header);
      csv.expected_columns = width;
      // The training CSV's label column, when it has another name, is skipped the same way.
      if (spec.train.data && spec.train.data.IsMap())
        if (YAML::Node label = spec.train.data["label"]; label && label.IsScalar())
          csv.label_column = label.Scalar();
      FeatureRows table = load_feature_csv(args->input, csv);
      // The rows as a split of unlabelled samples, read like any data set's.
      Split rows;
      rows.size = table.rows;
      rows.feature_shape = model->values()[x].shape;
      rows.x = std::move(table.x);
      rows.labels.assign(static_cast<size_t>(rows.size), 0);
      model->allocate(inference_batch(rows.size));
      load_checkpoint(args->weights, *model, nullptr);
      const Value& out = model->values()[model->predict_value()];
      int64_t k = out.data.sample_size();
      std::string text = "class";
      for (int64_t c = 0; c < k; ++c) text += fmt::format(",p{}", c);
      text += '\n';
      const std::vector<Binding> features{{x, Field::kFeatures}};
      infer_split(*model, features, rows, 0, [&](int64_t, int64_t count) {
        for (int64_t r = 0; r < count; ++r) {
          const float* p = out.data.data() + r * k;
          text += std::to_string(predicted_class(*model, r));
          for (int64_t c = 0; c < k; ++c) text += fmt::format(",{:.{}g}", p[c], args->digits);
          text += '\n';
        }
      });
      if (args->output.empty())
        std::cout << text;
      else
        write_file_atomically(args->output, text);
      return 0;
    };
  });
}

}  // namespace gradflow::cli
