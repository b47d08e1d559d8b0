// Formulas an op declares for `graph-runner explain` and the run report. Part of
// <gradflow/op.hpp>. An op class that defines
//   void explain(Explain& e) const
// gets it wired to the ABI's explain hook; inside, it writes its formulas with placeholders
// that the host replaces with the graph's names and shapes (see gf_explain in plugin_abi.h):
//
//   void explain(Explain& e) const {
//     e.forward("{out} = {factor} · {x}");
//     e.input_grad(0, "{grad x} += {factor} · {grad out}");
//   }
//
// An op without explain() is shown as "no formula declared".
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/op_view.hpp>

#include <cstdint>
#include <string>

namespace gradflow {

class Explain {
 public:
  explicit Explain(gf_explain* ex) : ex_(ex) {
    if (!ex_ || ex_->struct_size < sizeof(gf_explain) || !ex_->write)
      throw OpError("the host passed an explain request this op does not understand");
  }

  // The node as the graph has it: names and per-sample shapes of inputs, parameters, output.
  uint32_t inputs() const { return ex_->n_inputs; }
  uint32_t params() const { return ex_->n_params; }
  std::string input_name(uint32_t i) const { return tensor(ex_->inputs, ex_->n_inputs, i).name; }
  Shape input_shape(uint32_t i) const {
    return to_shape(tensor(ex_->inputs, ex_->n_inputs, i).shape);
  }
  std::string param_name(uint32_t i) const { return tensor(ex_->params, ex_->n_params, i).name; }
  Shape param_shape(uint32_t i) const {
    return to_shape(tensor(ex_->params, ex_->n_params, i).shape);
  }
  Shape out_shape() const { return to_shape(ex_->out.shape); }

  void forward(const std::string& formula) { write(GF_EXPLAIN_FORWARD, 0, formula); }
  void input_grad(uint32_t input, const std::string& formula) {
    write(GF_EXPLAIN_INPUT_GRAD, input, formula);
  }
  void param_grad(uint32_t param, const std::string& formula) {
    write(GF_EXPLAIN_PARAM_GRAD, param, formula);
  }
  // The gradient of the producer's input when the op's fusion on `input` is in use.
  void fused_grad(uint32_t input, const std::string& formula) {
    write(GF_EXPLAIN_FUSED_GRAD, input, formula);
  }
  void note(const std::string& text) { write(GF_EXPLAIN_NOTE, 0, text); }

  bool wrote_any() const { return wrote_; }

 private:
  static const gf_explain_tensor& tensor(const gf_explain_tensor* list, uint32_t n, uint32_t i) {
    if (i >= n || !list || !list[i].name)
      throw OpError("explain: no tensor " + std::to_string(i) + " (the node has " +
                    std::to_string(n) + ")");
    return list[i];
  }
  void write(uint32_t kind, uint32_t index, const std::string& text) {
    if (ex_->write(ex_->host, kind, index, text.c_str()) != GF_OK)
      throw OpError("explain: the host refused formula '" + text.substr(0, 80) + "'");
    wrote_ = true;
  }

  gf_explain* ex_;
  bool wrote_ = false;
};

}  // namespace gradflow
