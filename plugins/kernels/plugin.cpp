// The plugin's one exported entry point; nothing runs when the library is loaded.
#include "kernels.hpp"

GRADFLOW_PLUGIN("gradflow-kernels", gradflow_kernels::RBFFeatures, gradflow_kernels::PolyFeatures)
