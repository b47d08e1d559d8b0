// "FailOnRank": the identity, except that its training forward throws in the process whose MPI
// rank is $GRADFLOW_TEST_FAIL_RANK, once it has run $GRADFLOW_TEST_FAIL_AFTER times (default 0):
// one process of a data-parallel run failing mid-epoch while the others carry on.
#include <gradflow/op.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace {

// The rank Open MPI's or MPICH's launcher gave this process; -1 outside a launcher.
long launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK"})
    if (const char* text = std::getenv(name)) return std::strtol(text, nullptr, 10);
  return -1;
}

long env_number(const char* name, long fallback) {
  const char* text = std::getenv(name);
  return text ? std::strtol(text, nullptr, 10) : fallback;
}

class FailOnRank : public gradflow::Op {
 public:
  static gradflow::OpSchema schema() {
    return gradflow::OpSchema("FailOnRank",
                              "Identity; throws in training on the rank $GRADFLOW_TEST_FAIL_RANK")
        .input("x");
  }
  static std::unique_ptr<FailOnRank> create(const gradflow::Attrs&, gradflow::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    auto op = std::make_unique<FailOnRank>();
    op->armed_ = std::getenv("GRADFLOW_TEST_FAIL_RANK") &&
                 env_number("GRADFLOW_TEST_FAIL_RANK", -2) == launcher_rank();
    op->calls_left_ = env_number("GRADFLOW_TEST_FAIL_AFTER", 0);
    return op;
  }
  void forward(const gradflow::ForwardContext& c) override {
    if (armed_ && c.training && calls_left_-- <= 0)
      throw gradflow::OpError("rank " + std::to_string(launcher_rank()) +
                              " fails on purpose (GRADFLOW_TEST_FAIL_RANK)");
    std::copy_n(c.in(0).data, c.in(0).size(), c.out.data);
  }
  void backward(const gradflow::BackwardContext& c) override {
    if (!c.in_grad(0)) return;
    for (int64_t i = 0; i < c.out_grad.size(); ++i) c.in_grad(0)[i] += c.out_grad[i];
  }

 private:
  bool armed_ = false;
  long calls_left_ = 0;
};

}  // namespace

GRADFLOW_PLUGIN("fail-on-rank", FailOnRank)
