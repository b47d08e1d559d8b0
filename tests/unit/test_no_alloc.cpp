// A training step in steady state allocates nothing: counts calls of the global operator new,
// replaced for this test binary, over whole steps (batch gathering, forward, loss, backward,
// optimizer). Other tests only pay one relaxed atomic increment per allocation.
//
// Sanitizer runtimes interpose operator new themselves, so under them the counter is compiled
// out and the test is skipped.
#include <gradflow/binding.hpp>
#include <gradflow/dataset.hpp>
#include <gradflow/optimizer.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <numeric>

#include "unit/graph_test_support.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define GRADFLOW_NO_ALLOC_COUNTER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GRADFLOW_NO_ALLOC_COUNTER 1
#endif

#ifndef GRADFLOW_NO_ALLOC_COUNTER
namespace {
std::atomic<long> g_news{0};
}

void* operator new(std::size_t size) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#endif

namespace gradflow::test {
namespace {

const char* kGraph = R"(
format: gradflow/1
name: no-alloc
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: hidden, op: Linear,       inputs: [x],      out_features: 16, init: {normal: 0.3}}
  - {name: h,      op: Tanh,         inputs: [hidden]}
  - {name: z,      op: Linear,       inputs: [h],      out_features: 8}
  - {name: r,      op: ReLU,         inputs: [z]}
  - {name: logits, op: Linear,       inputs: [r],      out_features: 2}
  - {name: yhat,   op: Softmax,      inputs: [logits]}
  - {name: loss,   op: CrossEntropy, inputs: [yhat, y]}
loss: loss
predict: yhat
)";

long steady_state_allocations(const std::string& optimizer_name, bool shuffled, bool bytes) {
  auto registry = builtin_registry();
  auto model = plan_text(kGraph, *registry);
  CirclesOptions circles;
  circles.train_size = 100;
  Dataset data = make_circles(circles);
  if (bytes) {
    // Byte features (as IDX loads them) are converted while gathering: that must not allocate.
    data.train.pixels.resize(data.train.x.size());
    for (size_t i = 0; i < data.train.x.size(); ++i)
      data.train.pixels[i] = static_cast<uint8_t>(i * 37);
    data.train.x.clear();
  }
  const int64_t batch = 10;
  model->allocate(batch);
  auto bindings = bind_inputs(*model, data, {});
  model->init_parameters(1);
  OptimizerSpec spec;
  spec.name = optimizer_name;
  spec.lr = 0.01;
  spec.momentum = optimizer_name == "sgd-momentum" ? 0.9 : 0.0;
  if (optimizer_name == "sgd-momentum") spec.name = "sgd";
  auto optimizer = make_optimizer(spec, model->parameters());

  std::vector<int64_t> order(static_cast<size_t>(data.train.size));
  std::iota(order.begin(), order.end(), 0);
  if (shuffled) std::reverse(order.begin(), order.end());
  auto step = [&](int64_t s) {
    const int64_t begin = (s * batch) % data.train.size;
    load_batch(*model, bindings, data.train, data.classes, order.data() + begin, batch);
    model->forward(batch);
    (void)model->loss();
    model->backward(batch);
    optimizer->step(model->parameters());
  };
  for (int64_t s = 0; s < 3; ++s) step(s);  // first-touch work (lazy state) is allowed here
#ifdef GRADFLOW_NO_ALLOC_COUNTER
  return 0;
#else
  const long before = g_news.load();
  for (int64_t s = 3; s < 30; ++s) step(s);
  return g_news.load() - before;
#endif
}

}  // namespace

TEST_CASE("a steady-state training step allocates nothing", "[model][alloc]") {
#ifdef GRADFLOW_NO_ALLOC_COUNTER
  WARN("allocation counting is off under sanitizers");
  return;
#endif
  for (const char* optimizer : {"sgd", "sgd-momentum", "adam"}) {
    for (bool shuffled : {false, true}) {
      for (bool bytes : {false, true}) {
        INFO("optimizer " << optimizer << (shuffled ? ", gathered batches" : ", in-place batches")
                          << (bytes ? ", byte features" : ", float features"));
        CHECK(steady_state_allocations(optimizer, shuffled, bytes) == 0);
      }
    }
  }
}

TEST_CASE("the allocation counter sees allocations", "[model][alloc]") {
#ifndef GRADFLOW_NO_ALLOC_COUNTER
  const long before = g_news.load();
  auto* p = new std::vector<int>(100);
  delete p;
  CHECK(g_news.load() - before >= 2);
  // ...and those made inside libgradflow, which binds to this binary's operator new.
  const long inside = g_news.load();
  Dataset data = make_circles(CirclesOptions{});
  CHECK(g_news.load() - inside >= 1);
#endif
}

}  // namespace gradflow::test
