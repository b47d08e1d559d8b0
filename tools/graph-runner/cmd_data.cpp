#include "commands.hpp"

#include <gradflow/datasets.hpp>

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <iostream>
#include <memory>

namespace gradflow::cli {

void add_data(CLI::App& app, Common&, Action& run) {
  struct Args {
    std::string dataset, csv_dir, split = "both";
    std::vector<std::string> options;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "data", "Write a data set's exact train and test points as CSV, for other tools");
  cmd->add_option("dataset", args->dataset, "circles | mnist | fashion-mnist")->required();
  cmd->add_option("--csv", args->csv_dir, "Folder that receives train.csv and test.csv")
      ->required();
  cmd->add_option("--set", args->options, "Data set option key=value (e.g. seed=1, noise=0.2)");
  cmd->add_option("--split", args->split, "Which file to write: train, test or both")
      ->check(CLI::IsMember({"train", "test", "both"}));
  cmd->callback([args, &run] {
    run = [args] {
      YAML::Node spec;
      spec["dataset"] = args->dataset;
      for (const auto& kv : args->options) {
        auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
          throw InputError("--set expects key=value, got '" + kv + "'");
        try {
          spec[kv.substr(0, eq)] = YAML::Load(kv.substr(eq + 1));
        } catch (const YAML::Exception&) {
          throw InputError("--set " + kv + ": the value is not valid YAML");
        }
      }
      Dataset data = load_dataset(spec, ".", "graph-runner data");
      std::error_code ec;
      std::filesystem::create_directories(args->csv_dir, ec);
      if (ec) throw InputError(args->csv_dir + ": cannot create folder: " + ec.message());
      const bool train = args->split != "test", test = args->split != "train";
      if (train) write_csv(data.train, args->csv_dir + "/train.csv");
      if (test) write_csv(data.test, args->csv_dir + "/test.csv");
      std::cout << "wrote " << (train ? data.train.size : 0) << " train and "
                << (test ? data.test.size : 0) << " test samples of " << data.name << " to "
                << args->csv_dir << "/\n";
      return 0;
    };
  });
}

}  // namespace gradflow::cli
