// A planned graph: ops resolved from plugins, attributes checked against their schemas, nodes
// in topological order, shapes inferred, parameters declared. After allocate() every buffer
// exists for the largest batch and a training step (forward, backward) allocates nothing.
#pragma once

#include <gradflow/graph_spec.hpp>
#include <gradflow/registry.hpp>
#include <gradflow/tensor.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gradflow {

struct CallSites;  // the node's crash-report lines (runtime/call_sites.hpp)

// A graph input or a node output.
struct Value {
  std::string name;
  std::vector<int64_t> shape;  // per sample
  bool batched = true;
  int producer = -1;  // node index, -1 for a graph input
  std::vector<int> consumers;
  bool needs_grad = false;
  Tensor data;
  Tensor grad;
  const float* external = nullptr;  // a graph input read in place from the data set
  const float* current() const { return external ? external : data.data(); }
};

struct Parameter {
  std::string name;  // "<node>.<param>", the name in checkpoints
  int node = -1;
  std::vector<int64_t> shape;
  gf_init init{};
  Tensor value;
  Tensor grad;
};

// A tensor an op keeps across steps without training it (running statistics): saved with the
// parameters, never touched by an optimizer.
struct StateTensor {
  std::string name;  // "<node>.<state>"
  int node = -1;
  std::vector<int64_t> shape;
  gf_init init{};
  Tensor value;
};

// Per-sample floating-point operations a node declared (0 = unknown), for `bench`.
struct NodeFlops {
  double forward = 0;
  double backward_params = 0;
  double backward_inputs = 0;
};

struct PlannedNode {
  const NodeSpec* spec = nullptr;
  const OpEntry* op = nullptr;
  void* instance = nullptr;
  std::vector<int> inputs;  // value indices
  int output = -1;          // value index
  std::vector<int> params;  // parameter indices
  std::vector<int> states;  // state indices
  bool in_backward = false;
  NodeFlops flops;
  uint64_t seed = 0;  // the node's random stream (per step it is mixed with the step number)
  // A fusion the op offered and the planner took: this node's fused backward writes the
  // gradient of its producer's input, and the producer's own backward is skipped.
  const gf_fusion* fusion = nullptr;
  bool fused_away = false;  // on that producer
  // What a crash in this node's plugin code prints, formatted once when the node is planned.
  std::shared_ptr<const CallSites> call_sites;

  // Views handed to the plugin, built once; only batch sizes and input pointers change.
  std::vector<gf_tensor> in_views, param_views, state_views, in_grad_views, param_grad_views;
  gf_tensor out_view{}, out_grad_view{};
  gf_call call{};  // points into the views above
};

// What one forward pass is for: training (dropout on, batch statistics) or evaluation, and
// the step number that, with the run's seed and the node, picks each node's random stream.
struct Pass {
  bool training = false;
  int64_t step = 0;
};

// Seconds spent in each node's forward and backward (indices in execution order) and in
// clearing gradients at the start of backward(), summed over every step run while attached to a
// model; `bench --breakdown` reports them.
struct NodeTimes {
  std::vector<double> forward, backward;
  double clear = 0;
};

struct PlanOptions {
  // Graph inputs whose gradient is wanted (for the finite-difference check).
  std::vector<std::string> input_grads;
};

class Model {
 public:
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // Stages two to four: ops and attributes, order (cycles), shapes. Throws InputError with
  // every problem of the first stage that has any.
  static std::unique_ptr<Model> plan(const GraphSpec& spec, const OpRegistry& registry,
                                     const PlanOptions& options = {});

  // Buffers for up to max_batch samples; calls each op's reserve(). Call before forward().
  // Throws InputError if they would exceed the buffer limit (see check_buffer_limit).
  void allocate(int64_t max_batch);
  // Bytes allocate(max_batch) would take: values (and their gradients) and parameters (and
  // theirs). Computed in double, so no shape can overflow it.
  double buffer_bytes(int64_t max_batch) const;
  // Throws InputError naming the largest tensors when buffer_bytes(max_batch) is above the
  // limit. plan() calls it for one sample, so a graph that could never run is rejected before
  // anything prints or allocates.
  void check_buffer_limit(int64_t max_batch) const;
  int64_t max_batch() const { return max_batch_; }

  // Draws every parameter from its init, with a generator seeded by (seed, parameter name):
  // the same seed gives the same weights whatever the order of the file's nodes.
  void init_parameters(uint64_t seed);

  void forward(int64_t batch, Pass pass = {});
  // Zeroes gradients, seeds each loss with its weight and runs the nodes in exact reverse,
  // with the pass of the last forward().
  void backward(int64_t batch);
  // Tells the next backward() that every parameter's gradient is already zero, as an optimizer
  // step leaves it, so that it skips one more pass over every weight.
  void parameter_gradients_are_zero() { parameter_gradients_zero_ = true; }
  double loss() const;  // weighted sum of the loss nodes after forward()
  // Starts (or, with nullptr, stops) adding each node's time to `times`, sized here.
  void time_nodes(NodeTimes* times);
  // Index of the first node (in execution order) whose output is not finite, or -1.
  int first_non_finite_node(int64_t batch) const;

  const GraphSpec& spec() const { return spec_; }
  const std::vector<Value>& values() const { return values_; }
  std::vector<Value>& values() { return values_; }
  const std::vector<PlannedNode>& nodes() const { return nodes_; }  // execution order
  std::vector<Parameter>& parameters() { return params_; }
  const std::vector<Parameter>& parameters() const { return params_; }
  std::vector<StateTensor>& states() { return states_; }
  const std::vector<StateTensor>& states() const { return states_; }
  // Every tensor a model file holds, parameters then state, by name.
  struct FileTensor {
    const std::string* name;
    const std::vector<int64_t>* shape;
    Tensor* value;
  };
  std::vector<FileTensor> file_tensors();
  std::vector<FileTensor> file_tensors() const { return const_cast<Model*>(this)->file_tensors(); }
  // Threads ops may use through the host's parallel_for.
  void set_threads(int threads);
  int value_index(const std::string& name) const;
  int input_value(const std::string& name) const;  // value index of a graph input, or -1
  int predict_value() const { return predict_; }
  const std::vector<std::pair<int, double>>& loss_terms() const { return losses_; }

 private:
  friend class Planner;
  Model(const GraphSpec& spec);
  void run_op_failure(const PlannedNode& node, const char* phase, const gf_error& err) const;
  void refresh_views(PlannedNode& node, int64_t batch, const Pass& pass);
  void bind_views(PlannedNode& node);
  void run_backward(PlannedNode& node);
  void clear_gradients(int64_t batch);

  GraphSpec spec_;
  std::vector<Value> values_;
  std::vector<PlannedNode> nodes_;
  std::vector<Parameter> params_;
  std::vector<StateTensor> states_;
  std::vector<std::pair<int, double>> losses_;  // value index, weight
  int predict_ = -1;
  int64_t max_batch_ = 0;
  bool parameter_gradients_zero_ = false;
  Pass pass_;
  gf_host host_{};
  NodeTimes* node_times_ = nullptr;
};

}  // namespace gradflow
