// A training step in steady state allocates nothing: counts calls of the global operator new,
// replaced for this test binary, over whole steps (batch gathering, forward, loss, backward,
// optimizer), with every optimizer, on one thread and on two (the graph is wide enough that
// the optimizers and the elementwise ops split their work over the core pool). Other tests only pay
// one relaxed atomic increment per allocation.
//
// Under sanitizers the counter is compiled out and the test is skipped.
#include <gradflow/binding.hpp>
#include <gradflow/datasets.hpp>
#include <gradflow/optimizer.hpp>
#include <gradflow/trainer.hpp>

#include <algorithm>
#include <numeric>

#include "support/alloc_counter.hpp"
#include "unit/graph_test_support.hpp"
#include "unit/image_graph_support.hpp"

namespace gradflow::test {
namespace {

const char* kGraph = R"(
format: gradflow/1
name: no-alloc
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: hidden, op: Linear,       inputs: [x],      out_features: 200, init: {normal: 0.3}}
  - {name: h,      op: Tanh,         inputs: [hidden]}
  - {name: z,      op: Linear,       inputs: [h],      out_features: 700}
  - {name: r,      op: ReLU,         inputs: [z]}
  - {name: logits, op: Linear,       inputs: [r],      out_features: 2}
  - {name: yhat,   op: Softmax,      inputs: [logits]}
  - {name: loss,   op: CrossEntropy, inputs: [yhat, y]}
loss: loss
predict: yhat
)";

struct Case {
  const char* label;
  const char* name;
  double momentum;
  bool nesterov;
  double weight_decay;
};

const Case kOptimizers[] = {{"sgd", "sgd", 0.0, false, 0.0},
                            {"sgd + momentum", "sgd", 0.9, false, 0.0},
                            {"sgd + nesterov + weight decay", "sgd", 0.9, true, 0.01},
                            {"adam", "adam", 0.0, false, 0.0},
                            {"adamw", "adamw", 0.0, false, 0.01}};

long steady_state_allocations(const Case& optimizer, int threads, bool shuffled, bool bytes) {
  auto registry = builtin_registry();
  auto model = plan_text(kGraph, *registry);
  CirclesOptions circles;
  circles.train_size = 200;
  Dataset data = make_circles(circles);
  if (bytes) {
    // Byte features (as IDX loads them) are converted while gathering: that must not allocate.
    data.train.pixels.resize(data.train.x.size());
    for (size_t i = 0; i < data.train.x.size(); ++i)
      data.train.pixels[i] = static_cast<uint8_t>(i * 37);
    data.train.x.clear();
  }
  // With two threads, batches of 200: the ReLU's 140,000 values are split over the pool too.
  const int64_t batch = threads == 1 ? 10 : 200;
  model->allocate(batch);
  model->set_threads(threads);
  auto bindings = bind_inputs(*model, data, {});
  model->init_parameters(1);
  OptimizerSpec spec;
  spec.name = optimizer.name;
  spec.lr = 0.01;
  spec.momentum = optimizer.momentum;
  spec.nesterov = optimizer.nesterov;
  spec.weight_decay = optimizer.weight_decay;
  auto opt = make_optimizer(spec, model->parameters());

  std::vector<int64_t> order(static_cast<size_t>(data.train.size));
  std::iota(order.begin(), order.end(), 0);
  if (shuffled) std::reverse(order.begin(), order.end());
  auto step = [&](int64_t s) {
    const int64_t begin = (s * batch) % data.train.size;
    load_batch(*model, bindings, data.train, data.classes, order.data() + begin, batch);
    model->forward(batch);
    (void)model->loss();
    model->backward(batch);
    opt->step(model->parameters());
  };
  for (int64_t s = 0; s < 3; ++s) step(s);  // first-touch work (lazy state) is allowed here
  const long before = allocation_count();
  for (int64_t s = 3; s < 30; ++s) step(s);
  return allocation_count() - before;
}

// The graph with every image op, on IDX bytes, in training mode (dropout masks, batch
// statistics, kept convolution columns) with evaluation passes in between, as the trainer runs.
long image_graph_allocations(const std::string& optimizer_name, int threads) {
  TempDir dir;
  auto registry = builtin_registry();
  GraphSpec spec = parse_graph(every_image_op_graph(write_image_data(dir)), "inline.yaml");
  Dataset data = load_dataset(spec.train.data, spec.dir, spec.path);
  auto model = Model::plan(spec, *registry);
  const int64_t batch = 16;
  model->allocate(64);
  model->set_threads(threads);
  auto bindings = bind_inputs(*model, data, spec.train.bind);
  model->init_parameters(1);
  OptimizerSpec optimizer_spec = spec.train.optimizer;
  optimizer_spec.name = optimizer_name;
  auto optimizer = make_optimizer(optimizer_spec, model->parameters());
  std::vector<int64_t> order(static_cast<size_t>(data.train.size));
  std::iota(order.begin(), order.end(), 0);
  std::reverse(order.begin(), order.end());
  auto step = [&](int64_t s) {
    const int64_t begin = (s * batch) % data.train.size;
    load_batch(*model, bindings, data.train, data.classes, order.data() + begin, batch);
    model->forward(batch, {true, s});
    (void)model->loss();
    model->backward(batch);
    optimizer->step(model->parameters());
    if (s % 5 == 0) model->forward(64);  // an evaluation chunk, larger than the batch
  };
  for (int64_t s = 0; s < 3; ++s) step(s);
  const long before = allocation_count();
  for (int64_t s = 3; s < 20; ++s) step(s);
  return allocation_count() - before;
}

}  // namespace

TEST_CASE("a steady-state training step of an image graph allocates nothing", "[model][alloc]") {
  if (!allocation_counter_enabled()) {
    WARN("allocation counting is off under sanitizers");
    return;
  }
  // Two threads: Conv2D's per-sample products and the pools run on the pool, with OpenBLAS
  // on one thread inside, and the evaluation chunks of 64 rows split their products.
  for (int threads : {1, 2}) {
    set_thread_count(threads);  // starts the pool's workers: allowed, outside the steps
    for (const char* optimizer : {"sgd", "adam"}) {
      INFO("optimizer " << optimizer << ", " << threads << " thread(s)");
      CHECK(image_graph_allocations(optimizer, threads) == 0);
    }
  }
  set_thread_count(1);
}

TEST_CASE("a steady-state training step allocates nothing", "[model][alloc]") {
  if (!allocation_counter_enabled()) {
    WARN("allocation counting is off under sanitizers");
    return;
  }
  for (int threads : {1, 2}) {
    set_thread_count(threads);  // starts the pool's workers: allowed, outside the steps
    for (const Case& optimizer : kOptimizers) {
      for (bool shuffled : {false, true}) {
        for (bool bytes : {false, true}) {
          INFO(optimizer.label << ", " << threads << " thread(s)"
                               << (shuffled ? ", gathered batches" : ", in-place batches")
                               << (bytes ? ", byte features" : ", float features"));
          CHECK(steady_state_allocations(optimizer, threads, shuffled, bytes) == 0);
        }
      }
    }
  }
  set_thread_count(1);
}

TEST_CASE("the allocation counter sees allocations", "[model][alloc]") {
  if (!allocation_counter_enabled()) return;
  const long before = allocation_count();
  // Direct calls: a new-expression whose result is unused may be elided by the optimiser.
  void* a = ::operator new(64);
  void* b = ::operator new(128);
  ::operator delete(a);
  ::operator delete(b);
  CHECK(allocation_count() - before >= 2);
  // ...and those made inside libgradflow, which binds to this binary's operator new.
  const long inside = allocation_count();
  Dataset data = make_circles(CirclesOptions{});
  CHECK(allocation_count() - inside >= 1);
}

}  // namespace gradflow::test
