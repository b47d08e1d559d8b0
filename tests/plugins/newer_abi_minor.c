/* A plugin built against a newer minor ABI than this host knows: it may use struct fields the
 * host does not have, so the host must refuse it before calling get_ops (which aborts). */
#include <gradflow/plugin_abi.h>

#include <stdlib.h>

static const gf_op_def* const* never_called(uint32_t* n_ops) {
  (void)n_ops;
  abort();
}

static const gf_plugin kPlugin = {sizeof(gf_plugin), GF_ABI_MAJOR, GF_ABI_MINOR + 1u,
                                  "newer-abi-minor", never_called};

__attribute__((visibility("default"))) const gf_plugin* gradflow_plugin(void) {
  return &kPlugin;
}
