/* Looks like a plugin but exports its descriptor under another name, as a plugin would after
 * a typo or a C++ build without extern "C": the host must report the missing entry point. */
#include <gradflow/plugin_abi.h>

#include <stdlib.h>

static const gf_op_def* const* never_called(uint32_t* n_ops) {
  (void)n_ops;
  abort();
}

static const gf_plugin kPlugin = {sizeof(gf_plugin), GF_ABI_MAJOR, GF_ABI_MINOR, "wrong-entry",
                                  never_called};

__attribute__((visibility("default"))) const gf_plugin* gradflow_plugin_v1(void) {
  return &kPlugin;
}
