// The built-in ops, one file each; every file defines its op class and exposes its C
// description through one function. builtin_plugin.cpp lists them in the plugin's op table.
#pragma once

#include <gradflow/plugin_abi.h>

namespace gradflow::builtin {

const gf_op_def* linear_op();
const gf_op_def* tanh_op();
const gf_op_def* relu_op();
const gf_op_def* softmax_op();
const gf_op_def* cross_entropy_op();
const gf_op_def* mse_op();
const gf_op_def* svm_op();
const gf_op_def* conv2d_op();
const gf_op_def* max_pool2d_op();
const gf_op_def* avg_pool2d_op();
const gf_op_def* global_avg_pool_op();
const gf_op_def* flatten_op();
const gf_op_def* reshape_op();
const gf_op_def* dropout_op();
const gf_op_def* batch_norm_op();
const gf_op_def* add_op();
const gf_op_def* concat_op();

}  // namespace gradflow::builtin
