// export: a trained graph's inference part to ONNX; import: an ONNX model to a gradflow graph
// and its weights. The op mappings live in the ops (see <gradflow/onnx.hpp>).
#include "commands.hpp"
#include "session.hpp"

#include <gradflow/atomic_file.hpp>
#include <gradflow/checkpoint.hpp>
#include <gradflow/folder_name.hpp>
#include <gradflow/model.hpp>
#include <gradflow/onnx_convert.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

namespace gradflow::cli {
namespace {

// The ONNX file's bytes, through the checks every user file gets (no FIFO, device or folder;
// the size bound before anything is read).
std::string read_onnx_file(const std::string& path) {
  return read_file(path, "ONNX file", kMaxOnnxFileBytes);
}

}  // namespace

void add_export(CLI::App& app, Common& common, Action& run) {
  struct Args {
    std::string graph, weights, output;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write the inference graph (inputs to the predict node) and weights as ONNX");
  cmd->add_option("graph", args->graph, "Graph file")->required();
  cmd->add_option("--weights", args->weights,
                  "model.safetensors (without it: the initial weights of the graph's seed)");
  cmd->add_option("-o,--output", args->output, "The ONNX file to write")->required();
  cmd->add_flag("--force", args->force, "Replace the file if it exists");
  cmd->callback([args, &common, &run] {
    run = [args, &common] {
      check_new_file(args->output, args->force);
      GraphSpec spec = load_graph_file(args->graph);
      OpRegistry registry;
      load_plugins(registry, common.plugins, &spec);
      auto model = Model::plan(spec, registry);
      model->allocate(1);
      if (args->weights.empty()) {
        model->init_parameters(spec.train.seed);
        std::cerr << "note: no --weights: exporting the initial weights of seed " << spec.train.seed
                  << "\n";
      } else {
        load_checkpoint(args->weights, *model, nullptr);
      }
      const std::string bytes = export_onnx(*model, GRADFLOW_VERSION);
      write_new_file(args->output, bytes, args->force);
      std::cout << "wrote " << args->output << " (" << bytes.size() << " bytes, ONNX opset "
                << kOnnxExportOpset << ")\n";
      return 0;
    };
  });
}

void add_import(CLI::App& app, Common& common, Action& run) {
  struct Args {
    std::string model, dir;
    ImportOptions options;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Turn an ONNX model into DIR/<name>.yaml and DIR/model.safetensors");
  cmd->add_option("model", args->model, "ONNX file")->required();
  cmd->add_option("-o,--output", args->dir, "Folder for the graph and its weights")->required();
  cmd->add_option("--loss", args->options.loss,
                  "Add a target input and this loss on the output (e.g. cross-entropy, mse, svm)");
  cmd->add_option("--labels", args->options.labels,
                  "Classes of the target (checked against "
                  "the output)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  cmd->add_option("--data", args->options.dataset,
                  "Data set of the train section (with --loss), e.g. mnist");
  cmd->add_flag("--force", args->force, "Replace files an earlier import wrote");
  cmd->callback([args, &common, &run] {
    run = [args, &common] {
      if (args->options.loss.empty() &&
          (args->options.labels > 0 || !args->options.dataset.empty()))
        throw InputError("--labels and --data go with --loss");
      OpRegistry registry;
      load_plugins(registry, common.plugins);
      ImportedModel m =
          import_onnx(read_onnx_file(args->model), args->model, registry, args->options);
      std::error_code ec;
      std::filesystem::create_directories(args->dir, ec);
      if (ec) throw InputError(args->dir + ": cannot create folder: " + ec.message());
      const std::string graph = file_in_folder(args->dir, m.name, ".yaml");
      const std::string weights = args->dir + "/model.safetensors";
      check_new_file(graph, args->force);
      check_new_file(weights, args->force);
      write_new_file(
          weights,
          encode_safetensors(m.tensors, {{"format", "gradflow-checkpoint/1"}, {"graph", m.name}}),
          args->force);
      write_new_file(graph, m.yaml, args->force);
      std::cout << "wrote " << graph << " and " << weights << "\n";
      return 0;
    };
  });
}

}  // namespace gradflow::cli
