// The Sigmoid plugin's unit test, with <gradflow/testing.hpp> and no test framework. It loads
// the built plugin file as graph-runner does; `ctest` in the build folder runs it.
#include <gradflow/testing.hpp>

#include <cmath>

using namespace gradflow::testing;

int main() {
  Suite suite;
  const OpHandle sigmoid = load_op(GRADFLOW_TEST_PLUGIN, "Sigmoid");

  suite.test("values, saturated at both ends", [&](Suite& s) {
    Node node(sigmoid, {{4}});
    const Tensor y = node.forward({Tensor::of({4}, 1, {-100, -2, 0, 100})});
    s.expect(y[0] >= 0 && y[0] < 1e-30f, "sigmoid(-100) is tiny and never negative");
    s.expect(std::fabs(y[1] - 1 / (1 + std::exp(2.0))) < 1e-7, "sigmoid(-2)");
    s.expect(y[2] == 0.5f, "sigmoid(0) is 1/2");
    s.expect(y[3] == 1.0f, "sigmoid(100) is 1");
  });

  suite.test("every check on samples of rank 2", [&](Suite& s) {
    Node node(sigmoid, {{2, 3}});
    s.expect(check_op(node, {Tensor::random({2, 3}, 4, -6, 6, 1)}));
  });

  suite.test("two in a row, gradients through both", [&](Suite& s) {
    Node first(sigmoid, {{3}}), second(sigmoid, {{3}});
    Graph g(5);
    const int x = g.input("x", Tensor::random({3}, 5, -3, 3, 2));
    g.add(second, {g.add(first, {x}, "first")}, "second");
    s.expect(check_gradients(g));
    s.expect(check_backward_adds(g));
  });

  return suite.exit_code();
}
