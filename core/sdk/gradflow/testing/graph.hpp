// The engine under every check: a small graph of op calls over guarded buffers. After each
// call it verifies what the ABI promises: the call succeeded, wrote nothing outside its
// buffers, changed nothing it may only read, and (when the test binary counts operator new)
// allocated nothing. A broken rule is a TestError naming the op, the buffer and the pass.
// Part of <gradflow/testing.hpp>; graph-runner's `check` runs the same engine on each node.
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/random.hpp>
#include <gradflow/testing/guarded.hpp>
#include <gradflow/testing/tensor.hpp>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace gradflow::testing {

using CallFn = std::function<int(const gf_call&, gf_error*)>;

// A test binary that counts operator new calls can hand the counter to the toolkit; every op
// call is then also checked for allocations (forward and backward must not allocate).
inline long (*&allocation_counter())() {
  static long (*counter)() = nullptr;
  return counter;
}
inline void count_allocations_with(long (*counter)()) {
  allocation_counter() = counter;
}

struct Slot {
  enum class Kind { input, output, param, state };
  Kind kind = Kind::input;
  std::string name;     // "input 'x'", "parameter 'weight'", "the output": for messages
  GuardedTensor value;  // what the op reads or writes
  GuardedTensor grad;   // allocated when the slot carries a gradient
};

struct Step {
  std::string label;  // "op Linear", "node 'l1' (op Linear)": who is blamed
  std::vector<int> inputs, params, state;
  int out = -1;
  CallFn forward;
  CallFn backward;  // empty: not differentiable
  // A backward that is a fusion with the producer of inputs[fused_input] (gf_fusion): it
  // writes that producer's input gradient, and the producer's own backward is skipped.
  bool fused = false;
  uint32_t fused_input = 0;
  bool fused_away = false;
};

class TestGraph {
 public:
  int64_t batch = 1;
  bool training = true;
  uint64_t seed = 1;  // each step's random stream is derived from it
  // What ops see as the host; null: one thread. A test of an op that splits its work passes a
  // host that hands out chunks in an unusual order, to show the result does not depend on it.
  const gf_host* host = nullptr;

  TestGraph() {
    host_.struct_size = sizeof host_;
    host_.threads = 1;
    host_.parallel_for = [](void*, int64_t n, int64_t, gf_range_fn fn, void* ctx) {
      if (n > 0) fn(ctx, 0, n);
    };
  }
  TestGraph(const TestGraph&) = delete;
  TestGraph& operator=(const TestGraph&) = delete;

  int add_slot(Slot::Kind kind, std::string name, const Shape& shape, bool batched,
               bool with_grad) {
    Slot s;
    s.kind = kind;
    s.name = std::move(name);
    s.value = GuardedTensor(shape, batched ? batch : 0);
    if (with_grad) s.grad = GuardedTensor(shape, batched ? batch : 0);
    slots_.push_back(std::move(s));
    return static_cast<int>(slots_.size()) - 1;
  }
  void add_step(Step step) { steps_.push_back(std::move(step)); }
  Slot& slot(int i) { return slots_.at(static_cast<size_t>(i)); }
  const Slot& slot(int i) const { return slots_.at(static_cast<size_t>(i)); }
  std::vector<Slot>& slots() { return slots_; }
  const std::vector<Step>& steps() const { return steps_; }
  std::vector<Step>& steps() { return steps_; }
  int output() const { return steps_.back().out; }
  // Graph inputs and parameters that carry a gradient: what backward computes for the test.
  std::vector<int> leaves() const {
    std::vector<int> out;
    for (size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].grad.allocated() &&
          (slots_[i].kind == Slot::Kind::input || slots_[i].kind == Slot::Kind::param))
        out.push_back(static_cast<int>(i));
    return out;
  }

  void forward() {
    for (size_t k = 0; k < steps_.size(); ++k) run(k, false);
  }
  // Adds into the gradient buffers as they are: zero_grads() first, or prefill the leaves.
  // The output's gradient must hold the upstream gradient.
  void backward() {
    for (size_t k = steps_.size(); k-- > 0;) {
      const Step& s = steps_[k];
      if (s.fused_away || !slot(s.out).grad.allocated()) continue;
      if (!s.backward) throw TestError(s.label + " is not differentiable");
      run(k, true);
    }
  }
  void zero_grads(bool keep_output = false) {
    for (size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].grad.allocated() && !(keep_output && static_cast<int>(i) == output()))
        slots_[i].grad.fill(0.0f);
  }

 private:
  // The slot whose gradient a step's backward writes for input k.
  int grad_target(const Step& s, size_t k) const {
    if (!s.fused || k != s.fused_input) return s.inputs[k];
    for (const Step& p : steps_)
      if (p.out == s.inputs[k]) return p.inputs.at(0);
    return s.inputs[k];
  }
  std::vector<gf_tensor> values_of(const std::vector<int>& ids) const {
    std::vector<gf_tensor> v;
    for (int i : ids) v.push_back(slot(i).value.view());
    return v;
  }
  std::vector<gf_tensor> grads_of(const std::vector<int>& ids) const {
    std::vector<gf_tensor> v;
    for (int i : ids) v.push_back(slot(i).grad.view());
    return v;
  }

  void run(size_t k, bool backward) {
    const Step& s = steps_[k];
    std::vector<int> targets;
    for (size_t i = 0; i < s.inputs.size(); ++i) targets.push_back(grad_target(s, i));
    const auto in = values_of(s.inputs), params = values_of(s.params), state = values_of(s.state);
    const auto in_grads = grads_of(targets), param_grads = grads_of(s.params);
    const gf_tensor out = slot(s.out).value.view(), out_grad = slot(s.out).grad.view();
    gf_call call{};
    call.struct_size = sizeof call;
    call.training = training ? 1u : 0u;
    call.seed = splitmix64(seed + 0x9E3779B97F4A7C15ull * (k + 1));
    call.host = host ? host : &host_;
    call.inputs = in.data();
    call.n_inputs = static_cast<uint32_t>(in.size());
    call.params = params.data();
    call.n_params = static_cast<uint32_t>(params.size());
    call.state = state.data();
    call.n_state = static_cast<uint32_t>(state.size());
    call.out = &out;
    if (backward) {
      call.out_grad = &out_grad;
      call.in_grads = in_grads.data();
      call.param_grads = param_grads.data();
    }
    snapshot();
    call_op(s, call, backward);
    verify(s, backward, targets);
  }

  void call_op(const Step& s, const gf_call& call, bool backward) {
    const char* pass = backward ? "backward" : "forward";
    gf_error err{};
    long (*counter)() = allocation_counter();
    const long before = counter ? counter() : 0;
    const int rc = backward ? s.backward(call, &err) : s.forward(call, &err);
    const long allocations = counter ? counter() - before : 0;
    err.message[GF_ERROR_CAPACITY - 1] = '\0';
    if (rc != GF_OK) throw TestError(s.label + " failed in " + pass + ": " + err.message);
    if (allocations != 0)
      throw TestError(s.label + " allocated memory " + std::to_string(allocations) +
                      " time(s) in " + pass +
                      ": forward and backward must not allocate (size scratch in reserve())");
  }

  // Kept between calls: copying into buffers of the same size allocates nothing.
  void snapshot() {
    before_.resize(2 * slots_.size());
    for (size_t i = 0; i < slots_.size(); ++i) {
      before_[2 * i] = slots_[i].value.storage();
      before_[2 * i + 1] = slots_[i].grad.storage();
    }
  }

  // What a call may write: forward its output and state; backward the gradients of its
  // inputs and parameters, and its state.
  static bool writable(const Step& s, bool backward, const std::vector<int>& targets, int id,
                       bool grad) {
    auto in = [](const std::vector<int>& ids, int i) {
      for (int x : ids)
        if (x == i) return true;
      return false;
    };
    if (!grad && in(s.state, id)) return true;
    if (!backward) return !grad && id == s.out;
    return grad && (in(targets, id) || in(s.params, id));
  }

  void verify(const Step& s, bool backward, const std::vector<int>& targets) const {
    const std::string pass = backward ? "backward" : "forward";
    for (size_t i = 0; i < slots_.size(); ++i) {
      for (bool grad : {false, true}) {
        const GuardedTensor& t = grad ? slots_[i].grad : slots_[i].value;
        if (!t.allocated()) continue;
        const std::string what = (grad ? "the gradient of " : "") + slots_[i].name;
        const std::string damage = t.guard_damage();
        if (!damage.empty())
          throw TestError(s.label + " wrote outside " + what + " in " + pass + ": " + damage +
                          " were overwritten");
        if (writable(s, backward, targets, static_cast<int>(i), grad)) continue;
        const std::vector<float>& old = before_[2 * i + (grad ? 1 : 0)];
        if (std::memcmp(old.data(), t.storage().data(), old.size() * sizeof(float)) != 0)
          throw TestError(s.label + " changed " + what + " in " + pass + ", which it may only " +
                          "read" + first_change(old, t));
      }
    }
  }
  static std::string first_change(const std::vector<float>& old, const GuardedTensor& t) {
    for (int64_t e = 0; e < t.size(); ++e) {
      const float a = old[static_cast<size_t>(e + GuardedTensor::kGuard)], b = t.data()[e];
      if (std::memcmp(&a, &b, sizeof a) != 0)
        return " (element " + std::to_string(e) + ": " + std::to_string(a) + " became " +
               std::to_string(b) + ")";
    }
    return "";
  }

  std::vector<Slot> slots_;
  std::vector<Step> steps_;
  std::vector<std::vector<float>> before_;  // every storage before the current call
  gf_host host_{};
};

}  // namespace gradflow::testing
