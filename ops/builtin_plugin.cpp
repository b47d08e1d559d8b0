// The plugin's single exported entry point. The op table is built lazily by the SDK after the
// host has accepted the ABI version, so nothing here runs at load time.
#include "builtin_ops.hpp"

#include <gradflow/op.hpp>

using namespace gradflow::builtin;

GRADFLOW_PLUGIN_TABLE("gradflow-builtin", linear_op, tanh_op, relu_op, softmax_op, cross_entropy_op,
                      mse_op, svm_op, conv2d_op, max_pool2d_op, avg_pool2d_op, global_avg_pool_op,
                      flatten_op, reshape_op, dropout_op, batch_norm_op, add_op, concat_op)
