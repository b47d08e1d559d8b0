// The plugin's single exported entry point. The op table is built lazily by the SDK after the
// host has accepted the ABI version, so nothing here runs at load time.
#include "builtin_ops.hpp"

using namespace gradflow::builtin;

GRADFLOW_PLUGIN("gradflow-builtin", Linear, Tanh, ReLU, Softmax, CrossEntropy, MSE, SVM)
