// graph-runner with broken plugins: every problem is reported with the plugin file named and
// exit status 2, never a crash.
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"

using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

std::string plugin_graph(const std::string& name) {
  return std::string(GRADFLOW_TEST_DIR) + "/plugins/graphs/" + name;
}

ProcessResult expect_rejected(const std::vector<std::string>& args) {
  ProcessResult r = run_runner(args);
  INFO(r.status_text() << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  require_no_crash(r);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("error: "));
  return r;
}

}  // namespace

TEST_CASE("graph-runner rejects a plugin with another major ABI", "[cli][plugins]") {
  auto r = expect_rejected({"check", source_path("graphs/circles_mlp.yaml"), "--plugin",
                            test_plugin("wrong_abi_major")});
  CHECK_THAT(r.err,
             Contains("wrong_abi_major.so") && Contains("ABI 99.0") && Contains("supports 1.0"));
  CHECK(r.out.empty());
}

TEST_CASE("graph-runner rejects a plugin with a newer minor ABI", "[cli][plugins]") {
  auto r = expect_rejected({"check", source_path("graphs/circles_mlp.yaml"), "--plugin",
                            test_plugin("newer_abi_minor")});
  CHECK_THAT(r.err, Contains("newer_abi_minor.so") && Contains("ABI"));
}

TEST_CASE("graph-runner rejects libraries that are not plugins", "[cli][plugins]") {
  for (const char* name : {"wrong_entry_name", "not_a_plugin"}) {
    INFO(name);
    auto r = expect_rejected({"ops", "--plugin", test_plugin(name)});
    CHECK_THAT(r.err, Contains(std::string(name) + ".so") && Contains("not a gradflow plugin"));
    CHECK(r.out.empty());
  }
  TempDir tmp;
  std::string fake = tmp.write("fake.so", "#!/bin/sh\necho not a library\n");
  auto r = expect_rejected({"ops", "--plugin", fake});
  CHECK_THAT(r.err, Contains("fake.so") && Contains("cannot be loaded"));
  auto missing = expect_rejected({"ops", "--plugin", tmp / "missing.so"});
  CHECK_THAT(missing.err, Contains("missing.so") && Contains("no such plugin file"));
}

TEST_CASE("graph-runner reports an op defined by two plugins, naming both", "[cli][plugins]") {
  auto r = expect_rejected({"check", plugin_graph("twin.yaml"), "--plugin", test_plugin("twin_a"),
                            "--plugin", test_plugin("twin_b")});
  CHECK_THAT(r.err, Contains("'Twin'") && Contains("twin_a.so") && Contains("twin_b.so"));

  // The same clash through the graph's `plugins:` list points at the line that asked for it.
  TempDir tmp;
  std::string text = read_text(plugin_graph("twin_from_graph.yaml"));
  for (size_t at; (at = text.find("PLUGIN_DIR")) != std::string::npos;)
    text.replace(at, 10, GRADFLOW_TEST_PLUGIN_DIR);
  std::string graph = tmp.write("twin_from_graph.yaml", text);
  auto from_graph = expect_rejected({"check", graph});
  CHECK_THAT(from_graph.err,
             Contains(graph + ":4:") && Contains("twin_a.so") && Contains("twin_b.so"));
}

TEST_CASE("a plugin op that throws in forward fails check and train cleanly", "[cli][plugins]") {
  for (const char* command : {"check", "train"}) {
    INFO(command);
    TempDir tmp;
    std::vector<std::string> args{command, plugin_graph("explode.yaml"), "--plugin",
                                  test_plugin("throwing_op")};
    if (std::string(command) == "train") args.insert(args.end(), {"--out", tmp / "run"});
    auto r = expect_rejected(args);
    CHECK_THAT(r.err, Contains(plugin_graph("explode.yaml") + ":9:") && Contains("'boom'") &&
                          Contains("Explode") && Contains("throwing_op.so") &&
                          Contains("kaboom from the test plugin"));
  }
}

TEST_CASE("an op without backward where a gradient is needed fails check at plan time",
          "[cli][plugins]") {
  auto r = expect_rejected({"check", plugin_graph("round_on_loss_path.yaml"), "--plugin",
                            test_plugin("not_differentiable")});
  CHECK_THAT(r.err, Contains(plugin_graph("round_on_loss_path.yaml") + ":9:") &&
                        Contains("'rounded'") && Contains("Round") &&
                        Contains("not differentiable"));
  CHECK(r.out.empty());  // planning failed: no partial report
}

TEST_CASE("an op without backward off the loss path is fine", "[cli][plugins]") {
  ProcessResult r = run_runner({"check", plugin_graph("round_side_branch.yaml"), "--plugin",
                                test_plugin("not_differentiable")});
  INFO(r.status_text() << "\n" << r.out << r.err);
  require_no_crash(r);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("gradient check passed"));
}

TEST_CASE("a plugin built against the frozen ABI 1.0 headers checks and trains", "[cli][plugins]") {
  TempDir tmp;
  const std::string graph = plugin_graph("abi_1_0.yaml");
  const std::string plugin = test_plugin("abi_1_0_ops");
  ProcessResult check = run_runner({"check", graph, "--plugin", plugin});
  INFO(check.status_text() << "\n" << check.out << check.err);
  REQUIRE(check.exit_code == 0);
  CHECK_THAT(check.out, Contains("gradient check passed"));
  ProcessResult train = run_runner({"train", graph, "--plugin", plugin, "--out", tmp / "run"});
  INFO(train.status_text() << "\n" << train.out << train.err);
  REQUIRE(train.exit_code == 0);
  // The two 1.0 ops sit in the hidden layer: the net only separates the circles if their
  // forward and backward (and the trained parameter) work.
  auto last = train.out.rfind("test accuracy");
  REQUIRE(last != std::string::npos);
  CHECK(std::stod(train.out.substr(last + 14, 7)) >= 95.0);
}
