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

}  // namespace gradflow::builtin
