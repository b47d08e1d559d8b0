#include <gradflow/optimizer.hpp>

#include <cmath>

namespace gradflow {
namespace {

// One state tensor per parameter, allocated once, saved as "<prefix>.<parameter name>".
struct SlotSet {
  std::string prefix;
  std::vector<Tensor> slots;
  std::vector<std::string> names;

  void create(const std::vector<Parameter>& params) {
    for (const auto& p : params) {
      slots.emplace_back(p.shape, 0);
      names.push_back(prefix + "." + p.name);
    }
  }
  void save(std::vector<NamedTensor>& out) const {
    for (size_t i = 0; i < slots.size(); ++i)
      out.push_back({names[i], slots[i].shape(),
                     std::vector<float>(slots[i].data(), slots[i].data() + slots[i].size())});
  }
  void load(const std::vector<NamedTensor>& tensors, const std::string& source) {
    for (size_t i = 0; i < slots.size(); ++i) {
      const std::string& name = names[i];
      const NamedTensor* found = nullptr;
      for (const auto& t : tensors)
        if (t.name == name) found = &t;
      if (!found) throw InputError(source + ": checkpoint has no optimizer state '" + name + "'");
      if (found->data.size() != static_cast<size_t>(slots[i].size()))
        throw InputError(source + ": optimizer state '" + name + "' has the wrong size");
      std::copy(found->data.begin(), found->data.end(), slots[i].data());
    }
  }
};

// Plain SGD touches every weight each step; at batch 10 that pass costs as much as the matrix
// products, so it gets a copy per vector width, picked at load time for the running CPU. It
// also clears the gradient while the line is in cache, saving backward() a pass of its own.
__attribute__((target_clones("default", "avx2", "avx512f"))) void sgd_update(float* __restrict w,
                                                                             float* __restrict g,
                                                                             int64_t n, float lr,
                                                                             float wd) {
  for (int64_t i = 0; i < n; ++i) {
    w[i] -= lr * (g[i] + wd * w[i]);
    g[i] = 0.0f;
  }
}

class Sgd final : public Optimizer {
 public:
  Sgd(const OptimizerSpec& s, const std::vector<Parameter>& params) : spec_(s) {
    lr_ = s.lr;
    velocity_.prefix = "sgd_velocity";
    if (s.momentum > 0) velocity_.create(params);
  }
  std::string name() const override { return "sgd"; }

  void step(std::vector<Parameter>& params) override {
    const float lr = static_cast<float>(lr_);
    const float wd = static_cast<float>(spec_.weight_decay);
    const float mu = static_cast<float>(spec_.momentum);
    for (size_t k = 0; k < params.size(); ++k) {
      float* w = params[k].value.data();
      float* g = params[k].grad.data();
      const int64_t n = params[k].value.size();
      if (mu == 0.0f) {
        sgd_update(w, g, n, lr, wd);
        params[k].grad_cleared = true;
        continue;
      }
      float* v = velocity_.slots[k].data();
      const bool first = steps_ == 0;  // PyTorch starts the velocity at the first gradient
      for (int64_t i = 0; i < n; ++i) {
        float d = g[i] + wd * w[i];
        v[i] = first ? d : mu * v[i] + d;
        w[i] -= lr * (spec_.nesterov ? d + mu * v[i] : v[i]);
      }
    }
    ++steps_;
  }
  std::vector<NamedTensor> state() const override {
    std::vector<NamedTensor> out;
    if (!velocity_.slots.empty()) velocity_.save(out);
    return out;
  }
  void load_state(const std::vector<NamedTensor>& tensors, const std::string& source) override {
    if (!velocity_.slots.empty()) velocity_.load(tensors, source);
  }

 private:
  OptimizerSpec spec_;
  SlotSet velocity_;
};

class Adam final : public Optimizer {
 public:
  Adam(const OptimizerSpec& s, const std::vector<Parameter>& params) : spec_(s) {
    lr_ = s.lr;
    m_.prefix = "adam_m";
    v_.prefix = "adam_v";
    m_.create(params);
    v_.create(params);
  }
  std::string name() const override { return "adam"; }

  void step(std::vector<Parameter>& params) override {
    ++steps_;
    const double b1 = spec_.beta1, b2 = spec_.beta2;
    const float correction1 = static_cast<float>(1.0 - std::pow(b1, static_cast<double>(steps_)));
    const float correction2 = static_cast<float>(1.0 - std::pow(b2, static_cast<double>(steps_)));
    const float step_size = static_cast<float>(lr_) / correction1;
    const float root2 = std::sqrt(correction2);
    const float fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2);
    const float wd = static_cast<float>(spec_.weight_decay);
    const float eps = static_cast<float>(spec_.eps);
    for (size_t k = 0; k < params.size(); ++k) {
      float* w = params[k].value.data();
      const float* g = params[k].grad.data();
      float* m = m_.slots[k].data();
      float* v = v_.slots[k].data();
      const int64_t n = params[k].value.size();
      for (int64_t i = 0; i < n; ++i) {
        float d = g[i] + wd * w[i];
        m[i] = fb1 * m[i] + (1 - fb1) * d;
        v[i] = fb2 * v[i] + (1 - fb2) * d * d;
        w[i] -= step_size * m[i] / (std::sqrt(v[i]) / root2 + eps);
      }
    }
  }
  std::vector<NamedTensor> state() const override {
    std::vector<NamedTensor> out;
    m_.save(out);
    v_.save(out);
    return out;
  }
  void load_state(const std::vector<NamedTensor>& tensors, const std::string& source) override {
    m_.load(tensors, source);
    v_.load(tensors, source);
  }

 private:
  OptimizerSpec spec_;
  SlotSet m_, v_;
};

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const OptimizerSpec& spec,
                                          const std::vector<Parameter>& params) {
  if (spec.name == "adam") return std::make_unique<Adam>(spec, params);
  return std::make_unique<Sgd>(spec, params);
}

}  // namespace gradflow
