// What create() learns about its node (input shapes, random stream) and declares back
// (output shape, parameters, state, FLOPs). Part of <gradflow/op.hpp>.
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/op_view.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace gradflow {

namespace init {
inline gf_init zeros() {
  return {GF_INIT_ZEROS, 0.0};
}
inline gf_init ones() {
  return {GF_INIT_CONSTANT, 1.0};
}
inline gf_init constant(double c) {
  return {GF_INIT_CONSTANT, c};
}
inline gf_init normal(double std) {
  return {GF_INIT_NORMAL, std};
}
inline gf_init uniform(double half_width) {
  return {GF_INIT_UNIFORM, half_width};
}
inline gf_init xavier() {
  return {GF_INIT_XAVIER, 0.0};
}
inline gf_init he() {
  return {GF_INIT_HE, 0.0};
}
}  // namespace init

class NodeSetup {
 public:
  NodeSetup(const gf_shape* in, uint32_t n, gf_node_info* info, uint64_t seed = 0)
      : info_(info), seed_(seed) {
    for (uint32_t i = 0; i < n; ++i) inputs_.push_back(to_shape(in[i]));
  }
  const std::vector<Shape>& input_shapes() const { return inputs_; }
  const Shape& input_shape(size_t i) const { return inputs_.at(i); }
  // The node's random stream, for ops that draw something once (e.g. fixed random features).
  uint64_t seed() const { return seed_; }

  // Every create() must call this once. batched = false: the op reduces the batch (a loss).
  void set_output(const Shape& shape, bool batched = true) {
    info_->out_shape = pack(shape);
    info_->out_batched = batched ? 1u : 0u;
    output_set_ = true;
  }
  bool output_set() const { return output_set_; }

  // A trainable tensor, named "<node>.<name>" in files; the host draws it from `init`.
  void add_param(const std::string& name, const Shape& shape, gf_init init) {
    if (info_->n_params >= GF_MAX_PARAMS)
      throw OpError("too many parameters (at most " + std::to_string(GF_MAX_PARAMS) + ")");
    declare(info_->params[info_->n_params++], name, shape, init);
  }
  // A tensor kept across steps but never trained (running statistics): saved in model files
  // and checkpoints, handed to forward/backward in ForwardContext::state.
  void add_state(const std::string& name, const Shape& shape, gf_init init) {
    require_1_1("state tensors");
    if (info_->n_state >= GF_MAX_STATE)
      throw OpError("too many state tensors (at most " + std::to_string(GF_MAX_STATE) + ")");
    declare(info_->state[info_->n_state++], name, shape, init);
  }
  // Floating-point operations per sample (a multiply-add is 2), shown by `graph-runner bench`.
  void set_flops(double forward, double backward_params, double backward_inputs) {
    require_1_1("FLOP counts");
    info_->flops_forward = forward;
    info_->flops_backward_params = backward_params;
    info_->flops_backward_inputs = backward_inputs;
  }

 private:
  void require_1_1(const char* what) const {
    if (info_->struct_size < sizeof(gf_node_info))
      throw OpError(std::string(what) + " need a gradflow host with plugin ABI 1.1");
  }
  static void declare(gf_param_decl& p, const std::string& name, const Shape& shape, gf_init init) {
    if (name.empty() || name.size() >= sizeof(p.name))
      throw OpError("tensor name '" + name + "' must have 1 to " +
                    std::to_string(sizeof(p.name) - 1) + " characters");
    std::memset(&p, 0, sizeof p);
    std::memcpy(p.name, name.c_str(), name.size());
    p.shape = pack(shape);
    p.init = init;
  }
  static gf_shape pack(const Shape& s) {
    if (s.size() > GF_MAX_RANK) throw OpError("rank above " + std::to_string(GF_MAX_RANK));
    gf_shape out{};
    out.rank = static_cast<uint32_t>(s.size());
    for (size_t i = 0; i < s.size(); ++i) out.dims[i] = s[i];
    return out;
  }
  std::vector<Shape> inputs_;
  gf_node_info* info_;
  uint64_t seed_;
  bool output_set_ = false;
};

}  // namespace gradflow
