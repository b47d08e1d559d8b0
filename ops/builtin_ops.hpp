// The built-in op classes. builtin_plugin.cpp lists them in the plugin's op table; each is
// defined in its own file.
#pragma once

#include <gradflow/op.hpp>

#include <cstdint>
#include <memory>
#include <span>

namespace gradflow::builtin {

// Y = X W^T + b over rank-1 samples; owns "weight" [out, in] and optionally "bias" [out].
class Linear final : public Op {
 public:
  static OpSchema schema();
  static std::unique_ptr<Linear> create(const Attrs& attrs, NodeSetup& setup);
  Linear(int64_t in_features, int64_t out_features, bool has_bias)
      : in_(in_features), out_(out_features), has_bias_(has_bias) {}

  void forward(std::span<const View> in, std::span<const View> params, const View& out) override;
  void backward(std::span<const View> in, std::span<const View> params, const View& out,
                const View& out_grad, std::span<const View> in_grads,
                std::span<const View> param_grads) override;

 private:
  int64_t in_;
  int64_t out_;
  bool has_bias_;
};

class Tanh final : public Op {
 public:
  static OpSchema schema();
  static std::unique_ptr<Tanh> create(const Attrs& attrs, NodeSetup& setup);

  void forward(std::span<const View> in, std::span<const View> params, const View& out) override;
  void backward(std::span<const View> in, std::span<const View> params, const View& out,
                const View& out_grad, std::span<const View> in_grads,
                std::span<const View> param_grads) override;
};

class ReLU final : public Op {
 public:
  static OpSchema schema();
  static std::unique_ptr<ReLU> create(const Attrs& attrs, NodeSetup& setup);

  void forward(std::span<const View> in, std::span<const View> params, const View& out) override;
  void backward(std::span<const View> in, std::span<const View> params, const View& out,
                const View& out_grad, std::span<const View> in_grads,
                std::span<const View> param_grads) override;
};

// Softmax over the last dimension of each sample.
class Softmax final : public Op {
 public:
  static OpSchema schema();
  static std::unique_ptr<Softmax> create(const Attrs& attrs, NodeSetup& setup);
  explicit Softmax(int64_t last_dim) : last_(last_dim) {}

  void forward(std::span<const View> in, std::span<const View> params, const View& out) override;
  void backward(std::span<const View> in, std::span<const View> params, const View& out,
                const View& out_grad, std::span<const View> in_grads,
                std::span<const View> param_grads) override;

 private:
  int64_t last_;
};

class CrossEntropy final : public Op {
 public:
  static OpSchema schema();
  static std::unique_ptr<CrossEntropy> create(const Attrs& attrs, NodeSetup& setup);

  void forward(std::span<const View> in, std::span<const View> params, const View& out) override;
  void backward(std::span<const View> in, std::span<const View> params, const View& out,
                const View& out_grad, std::span<const View> in_grads,
                std::span<const View> param_grads) override;
};

class MSE final : public Op {
 public:
  static OpSchema schema();
  static std::unique_ptr<MSE> create(const Attrs& attrs, NodeSetup& setup);

  void forward(std::span<const View> in, std::span<const View> params, const View& out) override;
  void backward(std::span<const View> in, std::span<const View> params, const View& out,
                const View& out_grad, std::span<const View> in_grads,
                std::span<const View> param_grads) override;
};

// Weston–Watkins multi-class hinge loss.
class SVM final : public Op {
 public:
  static OpSchema schema();
  static std::unique_ptr<SVM> create(const Attrs& attrs, NodeSetup& setup);
  explicit SVM(float margin) : margin_(margin) {}

  void forward(std::span<const View> in, std::span<const View> params, const View& out) override;
  void backward(std::span<const View> in, std::span<const View> params, const View& out,
                const View& out_grad, std::span<const View> in_grads,
                std::span<const View> param_grads) override;

 private:
  float margin_;
};

}  // namespace gradflow::builtin
