/* A plugin that claims a future major ABI. Written against the raw C structs: the host must
 * reject it from the version fields alone, so get_ops aborts if it is ever called. */
#include <gradflow/plugin_abi.h>

#include <stdlib.h>

static const gf_op_def* const* never_called(uint32_t* n_ops) {
  (void)n_ops;
  abort();
}

static const gf_plugin kPlugin = {sizeof(gf_plugin), 99u, 0u, "wrong-abi-major", never_called};

__attribute__((visibility("default"))) const gf_plugin* gradflow_plugin(void) {
  return &kPlugin;
}
