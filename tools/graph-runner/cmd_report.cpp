#include "commands.hpp"

#include <gradflow/run_report.hpp>

#include <iostream>
#include <memory>

namespace gradflow::cli {

void add_report(CLI::App& app, Common& /*common*/, Action& run) {
  struct Args {
    std::string dir;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Rebuild RUN_DIR/report.html from the files train wrote into the folder");
  cmd->add_option("run_dir", args->dir, "A folder written by graph-runner train")->required();
  cmd->callback([args, &run] {
    run = [args] {
      write_report(args->dir);
      std::cout << args->dir << "/report.html\n";
      return 0;
    };
  });
}

}  // namespace gradflow::cli
