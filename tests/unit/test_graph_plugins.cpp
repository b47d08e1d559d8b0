// OpRegistry::load_plugin against broken and unusual libraries: every rejection is an
// InputError whose message names the file and says what is wrong with it.
#include "unit/graph_test_support.hpp"

#include <gradflow/gradcheck.hpp>

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

std::string load_error(OpRegistry& registry, const std::string& path) {
  try {
    registry.load_plugin(path, SourceLocation{"g.yaml", 4, 3});
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    // The place that asked for the plugin is kept for the message.
    CHECK(e.diagnostics()[0].where.file == "g.yaml");
    CHECK(e.diagnostics()[0].where.line == 4);
    return e.diagnostics()[0].message;
  }
  FAIL("'" << path << "' was accepted as a plugin");
  return {};
}

}  // namespace

TEST_CASE("the built-in plugin loads with its seventeen ops", "[plugins]") {
  OpRegistry registry;
  registry.load_plugin(GRADFLOW_BUILTIN_OPS);
  CHECK(registry.op_names() ==
        std::vector<std::string>{"Add", "AvgPool2D", "BatchNorm", "Concat", "Conv2D",
                                 "CrossEntropy", "Dropout", "Flatten", "GlobalAvgPool", "Linear",
                                 "MSE", "MaxPool2D", "ReLU", "Reshape", "SVM", "Softmax", "Tanh"});
  REQUIRE(registry.plugin_paths().size() == 1);
  // Loading the same file again is harmless.
  registry.load_plugin(GRADFLOW_BUILTIN_OPS);
  CHECK(registry.plugin_paths().size() == 1);
  CHECK(registry.find("Linear")->plugin_name == "gradflow-builtin");
}

TEST_CASE("a plugin built for another major ABI is rejected before its code runs", "[plugins]") {
  // The test plugin's get_ops aborts: reaching it would kill this test.
  OpRegistry registry;
  std::string message = load_error(registry, test_plugin("wrong_abi_major"));
  CHECK_THAT(message, Contains("wrong_abi_major.so") && Contains("ABI 99.0") &&
                          Contains("supports 1.0 to 1."));
  CHECK(registry.op_names().empty());
  CHECK(registry.plugin_paths().empty());
}

TEST_CASE("a plugin built for a newer minor ABI is rejected", "[plugins]") {
  OpRegistry registry;
  std::string message = load_error(registry, test_plugin("newer_abi_minor"));
  std::string newer = std::to_string(GF_ABI_MAJOR) + "." + std::to_string(GF_ABI_MINOR + 1);
  CHECK_THAT(message,
             Contains("newer_abi_minor.so") && Contains("ABI " + newer) && Contains("rebuild"));
}

TEST_CASE("a library without the entry point is not a plugin", "[plugins]") {
  OpRegistry registry;
  for (const char* name : {"wrong_entry_name", "not_a_plugin"}) {
    INFO(name);
    std::string message = load_error(registry, test_plugin(name));
    CHECK_THAT(message, Contains(std::string(name) + ".so") && Contains("not a gradflow plugin") &&
                            Contains(GF_PLUGIN_ENTRY_NAME));
  }
}

TEST_CASE("a file that is not a library at all is rejected", "[plugins]") {
  TempDir tmp;
  std::string fake = tmp.write("fake.so", "this is a text file, not an ELF object\n");
  OpRegistry registry;
  std::string message = load_error(registry, fake);
  CHECK_THAT(message, Contains("fake.so") && Contains("cannot be loaded"));
  CHECK_THAT(load_error(registry, tmp / "missing.so"),
             Contains("missing.so") && Contains("no such plugin file"));
}

TEST_CASE("two plugins defining the same op name are an error naming both", "[plugins]") {
  OpRegistry registry;
  registry.load_plugin(test_plugin("twin_a"));
  REQUIRE(registry.find("Twin") != nullptr);
  std::string message = load_error(registry, test_plugin("twin_b"));
  CHECK_THAT(message, Contains("'Twin'") && Contains("twin_a.so") && Contains("twin_b.so"));
  // The first definition stays, and the failed plugin is not listed as loaded.
  CHECK_THAT(registry.find("Twin")->plugin_path, Contains("twin_a.so"));
  CHECK(registry.plugin_paths().size() == 1);
}

TEST_CASE("a byte-identical copy of a loaded plugin loads once", "[plugins]") {
  TempDir tmp;
  std::filesystem::copy_file(test_plugin("twin_a"), tmp / "copy_of_twin_a.so");
  OpRegistry registry;
  registry.load_plugin(test_plugin("twin_a"));
  registry.load_plugin(tmp / "copy_of_twin_a.so");
  CHECK(registry.plugin_paths().size() == 1);
  CHECK_THAT(registry.find("Twin")->plugin_path, Contains("twin_a.so"));
  // A copy with one more byte (ELF loaders ignore trailing data) is another build: its op
  // clashes, both files named.
  const std::string bytes = read_text(test_plugin("twin_a")) + '\0';
  const std::string changed = tmp.write("changed_twin_a.so", bytes);
  CHECK_THAT(load_error(registry, changed), Contains("op 'Twin' is defined twice") &&
                                                Contains("twin_a.so") && Contains(changed) &&
                                                Contains("two different builds of plugin"));
}

TEST_CASE("an op that throws in forward fails with the op, node and plugin named", "[plugins]") {
  auto registry = builtin_registry({test_plugin("throwing_op")});
  auto model = plan_text(R"(format: gradflow/1
inputs:
  x: {shape: [2]}
nodes:
  - {name: lin, op: Linear, inputs: [x], out_features: 2}
  - {name: boom, op: Explode, inputs: [lin]}
)",
                         *registry);
  model->allocate(2);
  model->init_parameters(0);
  try {
    model->forward(2);
    FAIL("forward did not report the op's failure");
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].where.line == 6);
    CHECK_THAT(e.diagnostics()[0].message, Contains("'boom'") && Contains("Explode") &&
                                               Contains("throwing_op.so") && Contains("forward") &&
                                               Contains("kaboom from the test plugin"));
  }
}

TEST_CASE("the gradient check catches a wrong backward, also behind ReLU", "[plugins][gradcheck]") {
  auto registry = builtin_registry({test_plugin("wrong_backward")});
  GraphSpec spec = parse_graph(R"(format: gradflow/1
inputs:
  x: {shape: [6]}
  y: {shape: [3]}
nodes:
  - {name: hidden, op: Linear, inputs: [x], out_features: 8, init: {normal: 0.5}}
  - {name: h, op: ReLU, inputs: [hidden]}
  - {name: sq, op: Square, inputs: [h]}
  - {name: out, op: Linear, inputs: [sq], out_features: 3, init: {normal: 0.5}}
  - {name: loss, op: MSE, inputs: [out, y]}
loss: loss
)",
                               "inline.yaml");
  const GradientCheckResult r = check_gradients(spec, *registry);
  REQUIRE(r.has_loss);
  // Node by node, only Square is blamed, at its line, with its plugin.
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].where.line == 8);
  CHECK_THAT(r.errors[0].message, Contains("nodes[2] 'sq': op Square (") &&
                                      Contains("wrong_backward.so): backward disagrees") &&
                                      Contains("with finite differences for input 'x'"));
  for (const auto& n : r.nodes)
    for (const auto& t : n.tensors) {
      INFO(n.node << " " << t.tensor << ": " << t.checked << " checked, " << t.skipped
                  << " skipped");
      CHECK((t.disagreed > 0) == (n.node == "sq"));
      // Skipping kinks must leave most elements checked.
      CHECK(t.checked > 2 * t.skipped);
    }
}
