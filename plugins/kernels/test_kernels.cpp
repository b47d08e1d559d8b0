// Unit tests of the kernel feature maps, with <gradflow/testing.hpp> on the built plugin.
#include <gradflow/testing.hpp>

using namespace gradflow::testing;

int main() {
  Suite suite;
  const Plugin plugin(GRADFLOW_TEST_PLUGIN);

  suite.test("RBFFeatures: every check", [&](Suite& s) {
    Node node(plugin.op("RBFFeatures"), {{3}}, {{"gamma", 0.5}, {"features", 16}, {"seed", 7}});
    s.expect(check_op(node, {Tensor::random({3}, 4, -1, 1, 1)}));
  });

  suite.test("RBFFeatures: the same seed gives the same map", [&](Suite& s) {
    const std::vector<Attr> attrs{{"features", 8}, {"seed", 3}};
    Node a(plugin.op("RBFFeatures"), {{2}}, attrs), b(plugin.op("RBFFeatures"), {{2}}, attrs);
    const Tensor x = Tensor::random({2}, 3, -1, 1, 2);
    s.expect(a.forward({x}).values == b.forward({x}).values, "two nodes with seed 3 agree");
  });

  suite.test("PolyFeatures: every check, degree 3", [&](Suite& s) {
    Node node(plugin.op("PolyFeatures"), {{3}}, {{"degree", 3}});
    s.expect(node.info().out_shape.dims[0] == 19, "3 + 6 + 10 monomials of degree 1 to 3");
    s.expect(check_op(node, {Tensor::random({3}, 4, -1.5, 1.5, 3)}));
  });

  suite.test("PolyFeatures: refuses more features than it can hold", [&](Suite& s) {
    const CreateResult r = try_create(plugin.op("PolyFeatures"), {{784}}, {{"degree", 6}});
    s.expect(!r.ok && r.message.find("limit") != std::string::npos, "degree 6 of 784 inputs");
  });

  return suite.exit_code();
}
