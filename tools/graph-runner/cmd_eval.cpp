#include "commands.hpp"
#include "session.hpp"

#include <gradflow/binding.hpp>
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

void add_eval(CLI::App& app, Common& common, Action& run) {
  struct Args {
    std::string graph, weights;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("eval", "Loss, accuracy and confusion matrix on the test split");
  cmd->add_option("graph", args->graph, "Graph file")->required();
  cmd->add_option("--weights", args->weights, "model.safetensors or checkpoint.safetensors")
      ->required();
  cmd->callback([args, &common, &run] {
    run = [args, &common] {
      OpRegistry registry;
      GraphSpec spec = load_graph(args->graph, {}, registry, common.plugins);
      if (!spec.train.data)
        throw InputError(SourceLocation{spec.path, 0, 0},
                         "the graph has no 'train.data' to evaluate on");
      Dataset data = load_dataset(spec.train.data, spec.dir, spec.path);
      auto model = Model::plan(spec, registry);
      model->allocate(inference_batch(data.test.size));
      auto bindings = bind_inputs(*model, data, spec.train.bind);
      load_checkpoint(args->weights, *model, nullptr);
      // Without `predict` there is no class to compare, so no accuracy and no matrix.
      const bool classifies = model->predict_value() >= 0;
      Evaluation e = evaluate(*model, bindings, data.test, data.classes, classifies);
      std::cout << fmt::format("{} on {} test split ({} samples)\nloss      {:.6f}\naccuracy  {}\n",
                               spec.name, data.name, data.test.size, e.loss,
                               classifies ? fmt::format("{:.2f}%", 100 * e.accuracy) : "n/a");
      if (!e.confusion.empty()) {
        std::cout << "confusion matrix (rows: true class, columns: predicted class)\n      ";
        for (int64_t c = 0; c < data.classes; ++c) std::cout << fmt::format("{:>6}", c);
        std::cout << '\n';
        for (int64_t r = 0; r < data.classes; ++r) {
          std::cout << fmt::format("{:>6}", r);
          for (int64_t c = 0; c < data.classes; ++c)
            std::cout << fmt::format("{:>6}", e.confusion[r * data.classes + c]);
          std::cout << '\n';
        }
      }
      return 0;
    };
  });
}

}  // namespace gradflow::cli
