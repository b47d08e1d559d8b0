#include <gradflow/testing.hpp>

using namespace gradflow::testing;

int main() {
  Suite suite;
  const Plugin plugin(GRADFLOW_TEST_PLUGIN);
  const Tensor a = Tensor::random({5}, 3, -2, 2, 1), b = Tensor::random({5}, 3, -2, 2, 2);

  suite.test("Add", [&](Suite& s) {
    Node add(plugin.op("Add"), {{5}, {5}});
    s.expect(check_op(add, {a, b}));
    Graph g(3);  // the same value into both inputs: gradients must add up
    const int x = g.input("x", a);
    g.add(add, {x, x}, "twice");
    s.expect(check_gradients(g));
  });
  suite.test("Swish", [&](Suite& s) {
    Node swish(plugin.op("Swish"), {{5}});
    s.expect(check_op(swish, {a}));
  });
  suite.test("Gate", [&](Suite& s) {
    Node gate(plugin.op("Gate"), {{5}});
    s.expect(gate.params[0].values == std::vector<float>(5, 2.0f), "g starts at 2");
    s.expect(check_op(gate, {a}));
  });
  return suite.exit_code();
}
