// Messages for op authors' mistakes say what the author did wrong, not something about the
// graph: a create() without set_output (ABI 1.1 and 1.0), an attribute read with the wrong
// reader, a default outside the op's own range.
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"

#include <string>

using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

std::string graph_with(const std::string& op, const std::string& plugins_line = "") {
  return "format: gradflow/1\nname: mistakes\n" + plugins_line +
         "inputs:\n  x: {shape: [2]}\n  y: {shape: [2]}\nnodes:\n"
         "  - {name: odd, op: " +
         op +
         ", inputs: [x]}\n"
         "  - {name: logits, op: Linear, inputs: [odd], out_features: 2}\n"
         "  - {name: loss, op: MSE, inputs: [logits, y]}\nloss: loss\n";
}

ProcessResult check_with(const std::string& graph, const std::string& plugin) {
  ProcessResult r = run_runner({"check", graph, "--plugin", test_plugin(plugin)});
  INFO(r.status_text() << "\n" << r.out << r.err);
  require_no_crash(r);
  CHECK(r.exit_code == 2);
  return r;
}

}  // namespace

TEST_CASE("a create() that never calls set_output is told so", "[cli][messages]") {
  TempDir tmp;
  ProcessResult r = check_with(tmp.write("g.yaml", graph_with("NoOutput")), "author_mistakes");
  CHECK_THAT(r.err, Contains("nodes[0] 'odd' (NoOutput): create() did not declare the output: "
                             "call NodeSetup::set_output") &&
                        Contains("author_mistakes.so"));
  CHECK(r.err.find("is a loss") == std::string::npos);
}

TEST_CASE("a 1.0 plugin whose create() never calls set_output is not called a loss",
          "[cli][messages]") {
  TempDir tmp;
  ProcessResult r = check_with(tmp.write("g.yaml", graph_with("OldNoOutput")), "abi_1_0_no_output");
  CHECK_THAT(r.err, Contains("nodes[1] 'logits': input 'odd' comes from op OldNoOutput (") &&
                        Contains("abi_1_0_no_output.so), which is not a loss but declared an "
                                 "output without a batch dimension: does its create() call "
                                 "NodeSetup::set_output?"));
  CHECK(r.err.find("is a loss") == std::string::npos);
}

TEST_CASE("reading a float attribute with integer() names both types", "[cli][messages]") {
  TempDir tmp;
  ProcessResult r =
      check_with(tmp.write("g.yaml", graph_with("ReadsFloatAsInt")), "author_mistakes");
  CHECK_THAT(r.err, Contains("attribute 'rate' is declared as a float (real()) but read as an "
                             "int (integer()): use the matching reader of Attrs"));
  CHECK(r.err.find("was not declared") == std::string::npos);
}

TEST_CASE("a plugin whose default is outside its own range is blamed, not the graph",
          "[cli][messages]") {
  TempDir tmp;
  const std::string plugin = test_plugin("bad_default");
  const std::string expected = "plugin '" + plugin +
                               "': op 'BadDefault': attribute 'slope': the op's own default "
                               "'5' is 5, outside [0, 1] (a bug in the plugin, not in the graph";
  ProcessResult flag = check_with(tmp.write("g.yaml", graph_with("BadDefault")), "bad_default");
  CHECK_THAT(flag.err, Contains(expected));
  const std::string graph =
      tmp.write("listed.yaml", graph_with("BadDefault", "plugins: [" + plugin + "]\n"));
  ProcessResult listed = run_runner({"check", graph});
  INFO(listed.out << listed.err);
  CHECK(listed.exit_code == 2);
  CHECK_THAT(listed.err, Contains(expected));
}
