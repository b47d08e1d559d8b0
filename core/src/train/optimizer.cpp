#include <gradflow/optimizer.hpp>

#include "runtime/thread_choice.hpp"
#include "runtime/thread_pool.hpp"
#include "runtime/threads.hpp"
#include "train/optimizer_kernels.hpp"

#include <algorithm>
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

// The parameters as one index space [0, total): one parallel_for covers them all, so a step
// wakes the pool's workers once, however many tensors there are.
class FlatParameters {
 public:
  explicit FlatParameters(const std::vector<Parameter>& params) {
    offsets_.push_back(0);
    for (const auto& p : params) offsets_.push_back(offsets_.back() + p.value.size());
  }

  // Calls update(k, begin, end) for every slice of parameter k's elements, on the core pool's
  // threads when there are more than `grain` elements and that is measured to be faster.
  template <class Update>
  void run(int64_t grain, Update update) {
    auto slice = [&](int64_t begin, int64_t end) {
      size_t k = static_cast<size_t>(std::upper_bound(offsets_.begin(), offsets_.end(), begin) -
                                     offsets_.begin() - 1);
      for (; k + 1 < offsets_.size() && offsets_[k] < end; ++k) {
        const int64_t b = std::max(begin, offsets_[k]) - offsets_[k];
        const int64_t e = std::min(end, offsets_[k + 1]) - offsets_[k];
        if (b < e) update(k, b, e);
      }
    };
    const int64_t total = offsets_.back();
    choice_.run(total > grain ? thread_limit() : 1, 0, [&](int threads) {
      if (threads > 1)
        core_pool().parallel_for(total, grain, slice);
      else
        slice(0, total);
    });
  }

 private:
  std::vector<int64_t> offsets_;  // parameter k is elements [offsets_[k], offsets_[k + 1])
  ThreadChoice choice_;
};

// Below these many elements an update stays on one thread without even timing two: one thread
// takes about 10 microseconds there (tools/bench/optimizer_bench), the order of waking a
// sleeping worker. Above them the ThreadChoice decides by timing.
constexpr int64_t kSgdGrain = 1 << 17;
constexpr int64_t kMomentumGrain = 1 << 16;
constexpr int64_t kAdamGrain = 1 << 16;

class Sgd final : public Optimizer {
 public:
  Sgd(const OptimizerSpec& s, const std::vector<Parameter>& params) : spec_(s), flat_(params) {
    lr_ = s.lr;
    velocity_.prefix = "sgd_velocity";
    if (s.momentum > 0) velocity_.create(params);
  }
  std::string name() const override { return "sgd"; }

  void step(std::vector<Parameter>& params) override {
    const float lr = static_cast<float>(lr_);
    const float wd = static_cast<float>(spec_.weight_decay);
    if (spec_.momentum == 0) {
      flat_.run(kSgdGrain, [&](size_t k, int64_t b, int64_t e) {
        kernels::sgd(params[k].value.data() + b, params[k].grad.data() + b, e - b, lr, wd);
      });
    } else {
      kernels::Momentum c;
      c.lr = lr;
      c.weight_decay = wd;
      c.momentum = static_cast<float>(spec_.momentum);
      c.nesterov = spec_.nesterov;
      c.first_step = steps_ == 0;
      flat_.run(kMomentumGrain, [&](size_t k, int64_t b, int64_t e) {
        kernels::sgd_momentum(params[k].value.data() + b, params[k].grad.data() + b,
                              velocity_.slots[k].data() + b, e - b, c);
      });
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
  FlatParameters flat_;
};

// Adam, and with `decoupled` AdamW (the weight decay shrinks the weight instead of joining the
// gradient); the checkpoint names of the moments are the same for both.
class Adam final : public Optimizer {
 public:
  Adam(const OptimizerSpec& s, const std::vector<Parameter>& params, bool decoupled)
      : spec_(s), decoupled_(decoupled), flat_(params) {
    lr_ = s.lr;
    m_.prefix = "adam_m";
    v_.prefix = "adam_v";
    m_.create(params);
    v_.create(params);
  }
  std::string name() const override { return decoupled_ ? "adamw" : "adam"; }

  void step(std::vector<Parameter>& params) override {
    ++steps_;
    const double t = static_cast<double>(steps_);
    kernels::Adam c;
    c.step_size = static_cast<float>(lr_) / static_cast<float>(1.0 - std::pow(spec_.beta1, t));
    c.inv_root_correction = 1.0f / std::sqrt(static_cast<float>(1.0 - std::pow(spec_.beta2, t)));
    c.beta1 = static_cast<float>(spec_.beta1);
    c.beta2 = static_cast<float>(spec_.beta2);
    c.eps = static_cast<float>(spec_.eps);
    const float wd = static_cast<float>(spec_.weight_decay);
    if (decoupled_)
      c.decay = static_cast<float>(1.0 - lr_ * spec_.weight_decay);
    else
      c.weight_decay = wd;
    flat_.run(kAdamGrain, [&](size_t k, int64_t b, int64_t e) {
      kernels::adam(params[k].value.data() + b, params[k].grad.data() + b, m_.slots[k].data() + b,
                    v_.slots[k].data() + b, e - b, c);
    });
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
  bool decoupled_;
  SlotSet m_, v_;
  FlatParameters flat_;
};

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const OptimizerSpec& spec,
                                          const std::vector<Parameter>& params) {
  if (spec.name == "adam") return std::make_unique<Adam>(spec, params, false);
  if (spec.name == "adamw") return std::make_unique<Adam>(spec, params, true);
  return std::make_unique<Sgd>(spec, params);
}

}  // namespace gradflow
