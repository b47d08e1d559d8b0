// Where plugins come from: every route is searched; the same build found by two routes loads
// once; two different builds defining one op are an error naming both; GRADFLOW_PLUGIN_PATH
// entries that name nothing useful get a warning.
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"

#include <filesystem>
#include <string>

using namespace gradflow::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

ProcessResult runner_with_path(const std::string& plugin_path,
                               const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/env", "GRADFLOW_PLUGIN_PATH=" + plugin_path,
                                GRADFLOW_RUNNER};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

std::string abi_graph(const TempDir& tmp, const std::string& plugins_line) {
  std::string text = read_text(std::string(GRADFLOW_TEST_DIR) + "/plugins/graphs/abi_1_0.yaml");
  text.replace(text.find("inputs:"), 0, plugins_line);
  return tmp.write("graph/abi.yaml", text);
}

}  // namespace

TEST_CASE("a copy of a plugin on the search path and in the graph loads once", "[cli][plugins]") {
  TempDir tmp;
  // The graph names one copy, GRADFLOW_PLUGIN_PATH holds another, --plugin the original.
  fs::create_directories(tmp / "searched");
  fs::create_directories(tmp / "graph");
  fs::copy_file(test_plugin("abi_1_0_ops"), tmp / "searched/abi_1_0_ops.so");
  fs::copy_file(test_plugin("abi_1_0_ops"), tmp / "graph/mine.so");
  const std::string graph = abi_graph(tmp, "plugins: [mine.so]\n");
  ProcessResult r =
      runner_with_path(tmp / "searched", {"check", graph, "--plugin", test_plugin("abi_1_0_ops")});
  INFO(r.status_text() << "\n" << r.out << r.err);
  require_no_crash(r);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("gradient check passed"));
  CHECK(r.err.empty());
}

TEST_CASE("two different plugins defining one op name both files on every route",
          "[cli][plugins]") {
  TempDir tmp;
  fs::create_directories(tmp / "searched");
  fs::copy_file(test_plugin("twin_b"), tmp / "searched/twin_b.so");
  ProcessResult r = runner_with_path(
      tmp / "searched", {"check", std::string(GRADFLOW_TEST_DIR) + "/plugins/graphs/twin.yaml",
                         "--plugin", test_plugin("twin_a")});
  INFO(r.status_text() << "\n" << r.err);
  require_no_crash(r);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("op 'Twin' is defined twice") && Contains("twin_a.so") &&
                        Contains(tmp / "searched/twin_b.so"));
}

TEST_CASE("GRADFLOW_PLUGIN_PATH entries that are files or missing folders are warned about",
          "[cli][plugins]") {
  TempDir tmp;
  const std::string file = tmp.write("plugins.txt", "a file, not a folder");
  fs::create_directories(tmp / "empty");
  ProcessResult r =
      runner_with_path(file + ":" + (tmp / "missing") + "::" + (tmp / "empty"), {"ops"});
  INFO(r.status_text() << "\n" << r.err);
  require_no_crash(r);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("warning: GRADFLOW_PLUGIN_PATH entry '" + file +
                             "' is not a folder: ignored (load one plugin file with --plugin"));
  CHECK_THAT(r.err, Contains("warning: GRADFLOW_PLUGIN_PATH entry '" + (tmp / "missing") +
                             "' does not exist: ignored"));
  CHECK(r.err.find("empty") == std::string::npos);  // a real folder, if empty, is fine
  CHECK_THAT(r.out, Contains("Linear(x)"));
}
