/* gradflow plugin ABI: the only thing that crosses the shared-library boundary.
 *
 * A plugin exports exactly one C symbol, GF_PLUGIN_ENTRY_NAME, returning a pointer to a
 * constant gf_plugin. The host reads abi_major/abi_minor/struct_size from that constant
 * before it calls anything else in the library, so a plugin built against another ABI is
 * rejected without running any of its C++ code.
 *
 * Rules that keep old plugins working:
 *  - structs only grow at the end; every struct that can grow starts with struct_size;
 *  - a plugin with the same major and a minor <= the host's is accepted;
 *  - errors travel back as return codes plus a gf_error message, never as C++ exceptions.
 *
 * Plain C so that any compiler (or language) can implement a plugin. Most authors use the
 * C++ layer in <gradflow/op.hpp> instead of writing these structs by hand. */
#ifndef GRADFLOW_PLUGIN_ABI_H
#define GRADFLOW_PLUGIN_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GF_ABI_MAJOR 1u
#define GF_ABI_MINOR 0u
#define GF_PLUGIN_ENTRY_NAME "gradflow_plugin"
#define GF_MAX_RANK 4
#define GF_MAX_PARAMS 8
#define GF_ERROR_CAPACITY 512

/* Return codes of every plugin call. */
#define GF_OK 0
#define GF_FAIL 1

/* A per-sample shape: the batch dimension is never part of it. Rank 0 is a scalar. */
typedef struct gf_shape {
  uint32_t rank;
  int64_t dims[GF_MAX_RANK];
} gf_shape;

/* A view on host-owned float32 memory, row-major, contiguous.
 * batch > 0: `batch` samples of `shape` each. batch == 0: one unbatched value of `shape`
 * (parameters, and the scalar output of a loss). data == NULL means "not requested". */
typedef struct gf_tensor {
  float* data;
  int64_t batch;
  gf_shape shape;
} gf_tensor;

typedef struct gf_error {
  char message[GF_ERROR_CAPACITY];
} gf_error;

enum gf_attr_type {
  GF_ATTR_INT = 0,
  GF_ATTR_FLOAT = 1,
  GF_ATTR_BOOL = 2,
  GF_ATTR_STRING = 3,
  GF_ATTR_INIT = 4 /* {normal: std} | {uniform: a} | xavier | zeros */
};

enum gf_init_kind {
  GF_INIT_ZEROS = 0,
  GF_INIT_NORMAL = 1,
  GF_INIT_UNIFORM = 2,
  GF_INIT_XAVIER = 3
};

typedef struct gf_init {
  uint32_t kind;
  double value; /* std for NORMAL, half-width for UNIFORM, unused otherwise */
} gf_init;

/* One attribute an op accepts. The host checks type and range and fills defaults before the
 * op sees anything, so ops never parse YAML. */
typedef struct gf_attr_spec {
  const char* name;
  uint32_t type;            /* gf_attr_type */
  const char* default_text; /* YAML text of the default; NULL = required */
  double min;               /* inclusive range for INT and FLOAT */
  double max;
  const char* doc;
} gf_attr_spec;

typedef struct gf_attr_value {
  const char* name;
  uint32_t type;
  int64_t i;     /* INT, BOOL */
  double f;      /* FLOAT */
  const char* s; /* STRING */
  gf_init init;  /* INIT */
} gf_attr_value;

typedef struct gf_param_decl {
  char name[32];
  gf_shape shape;
  gf_init init; /* drawn by the host from its seeded generator */
} gf_param_decl;

/* Filled by an op's create(): what the node produces and which parameters it owns. */
typedef struct gf_node_info {
  uint32_t struct_size;
  gf_shape out_shape;
  uint32_t out_batched; /* 0 for ops that reduce the batch (losses) */
  uint32_t n_params;
  gf_param_decl params[GF_MAX_PARAMS];
} gf_node_info;

enum gf_op_flags {
  GF_OP_LOSS = 1u /* output is a scalar suitable for `loss:` */
};

typedef struct gf_op_def {
  uint32_t struct_size;
  const char* name;
  const char* doc;
  uint32_t n_inputs;
  const char* const* input_names;
  uint32_t n_attrs;
  const gf_attr_spec* attrs;
  uint32_t flags; /* gf_op_flags */

  /* Checks attributes against the input shapes, fills `info`, returns an instance. */
  int (*create)(const gf_attr_value* attrs, uint32_t n_attrs, const gf_shape* in_shapes,
                uint32_t n_in, gf_node_info* info, void** instance, gf_error* err);
  /* Called once when the plan is built: allocate any scratch for up to max_batch samples.
   * forward/backward must not allocate. May be NULL. */
  int (*reserve)(void* instance, int64_t max_batch, gf_error* err);
  int (*forward)(void* instance, const gf_tensor* inputs, uint32_t n_in, const gf_tensor* params,
                 uint32_t n_params, gf_tensor* out, gf_error* err);
  /* Adds (never assigns) into in_grads[i].data (skipped when NULL) and param_grads. NULL when
   * the op is not differentiable; the planner rejects graphs that would need it. */
  int (*backward)(void* instance, const gf_tensor* inputs, uint32_t n_in, const gf_tensor* params,
                  uint32_t n_params, const gf_tensor* out, const gf_tensor* out_grad,
                  gf_tensor* in_grads, gf_tensor* param_grads, gf_error* err);
  void (*destroy)(void* instance);
} gf_op_def;

typedef struct gf_plugin {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* name;
  /* Called only after the version check. Returns the op table (owned by the plugin). */
  const gf_op_def* const* (*get_ops)(uint32_t* n_ops);
} gf_plugin;

typedef const gf_plugin* (*gf_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* GRADFLOW_PLUGIN_ABI_H */
