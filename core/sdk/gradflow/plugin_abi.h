/* gradflow plugin ABI: the only thing that crosses the shared-library boundary.
 *
 * A plugin exports exactly one C symbol, GF_PLUGIN_ENTRY_NAME, returning a pointer to a
 * constant gf_plugin. The host reads abi_major/abi_minor/struct_size from that constant
 * before it calls anything else in the library, so a plugin built against another ABI is
 * rejected without running any of its C++ code.
 *
 * Rules that keep old plugins working:
 *  - structs only grow at the end; every struct that can grow starts with struct_size, and
 *    arrays of growable structs are arrays of pointers, so their stride never changes;
 *  - a plugin with the same major and a minor <= the host's is accepted; the host reads a
 *    field only when the struct_size the plugin wrote covers it;
 *  - errors travel back as return codes plus a gf_error message, never as C++ exceptions.
 *
 * Version history:
 *  1.0  create/forward/backward with positional tensors.
 *  1.1  one call struct (gf_call) for forward and backward with a training flag, a per-node
 *       random stream, state tensors and the host's thread pool; int-list attributes;
 *       constant and He initialisers; FLOP counts; fusions; hooks for formulas and ONNX.
 *       1.0 plugins load and run unchanged.
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
#define GF_ABI_MINOR 1u
#define GF_PLUGIN_ENTRY_NAME "gradflow_plugin"
#define GF_MAX_RANK 4
#define GF_MAX_PARAMS 8
#define GF_MAX_STATE 8 /* 1.1 */
#define GF_MAX_LIST 8  /* 1.1: longest int-list attribute */
#define GF_ERROR_CAPACITY 512

/* Return codes of every plugin call. */
#define GF_OK 0
#define GF_FAIL 1
#define GF_DECLINE 2 /* 1.1: "not mine", for hooks that are offered to every op in turn */

/* A per-sample shape: the batch dimension is never part of it. Rank 0 is a scalar. */
typedef struct gf_shape {
  uint32_t rank;
  int64_t dims[GF_MAX_RANK];
} gf_shape;

/* A view on host-owned float32 memory, row-major, contiguous.
 * batch > 0: `batch` samples of `shape` each. batch == 0: one unbatched value of `shape`
 * (parameters, state, and the scalar output of a loss). data == NULL means "not requested". */
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
  GF_ATTR_INIT = 4, /* {normal: std} | {uniform: a} | xavier | he | zeros | ones | {constant: c} */
  GF_ATTR_INTS = 5  /* 1.1: an int or a list of up to GF_MAX_LIST ints; range applies to each */
};

enum gf_init_kind {
  GF_INIT_ZEROS = 0,
  GF_INIT_NORMAL = 1,
  GF_INIT_UNIFORM = 2,
  GF_INIT_XAVIER = 3,   /* uniform, bound sqrt(6 / (fan_in + fan_out)) */
  GF_INIT_CONSTANT = 4, /* 1.1: every element `value` (ones is constant 1) */
  GF_INIT_HE = 5        /* 1.1: uniform, bound sqrt(6 / fan_in), for ReLU layers */
};
/* fan_in and fan_out of a parameter [d0, d1, ...]: fan_in = d1 * d2 * ..., fan_out = d0 * d2 *
 * ... (for a Linear weight [out, in]: in and out; for a convolution [C', C, kh, kw]:
 * C kh kw and C' kh kw). A rank-1 parameter has fan_in = fan_out = its length. */

typedef struct gf_init {
  uint32_t kind;
  double value; /* std for NORMAL, half-width for UNIFORM, the value for CONSTANT */
} gf_init;

/* One attribute an op accepts. The host checks type and range and fills defaults before the
 * op sees anything, so ops never parse YAML. */
typedef struct gf_attr_spec {
  const char* name;
  uint32_t type;            /* gf_attr_type */
  const char* default_text; /* YAML text of the default; NULL = required */
  double min;               /* inclusive range for INT, FLOAT and each element of INTS */
  double max;
  const char* doc;
} gf_attr_spec;

typedef struct gf_attr_value {
  const char* name;
  uint32_t type;
  int64_t i;     /* INT, BOOL; INTS: the number of elements */
  double f;      /* FLOAT */
  const char* s; /* STRING */
  gf_init init;  /* INIT */
} gf_attr_value;

/* 1.1: the elements of a GF_ATTR_INTS attribute (a single int in the file gives n = 1). */
typedef struct gf_attr_list {
  uint32_t n;
  int64_t values[GF_MAX_LIST];
} gf_attr_list;

typedef struct gf_param_decl {
  char name[32];
  gf_shape shape;
  gf_init init; /* drawn by the host from its seeded generator */
} gf_param_decl;

/* Filled by an op's create(): what the node produces and which parameters it owns. The host
 * zeroes it and sets struct_size to its own size; a plugin writes 1.1 fields only when
 * struct_size covers them. */
typedef struct gf_node_info {
  uint32_t struct_size;
  gf_shape out_shape;
  uint32_t out_batched; /* 0 for ops that reduce the batch (losses) */
  uint32_t n_params;
  gf_param_decl params[GF_MAX_PARAMS];
  /* ---- 1.1 ---- */
  /* Tensors the op keeps across steps that are not trained (batch norm's running statistics):
   * initialised by the host from `init`, saved in model files and checkpoints as
   * "<node>.<name>", handed to forward and backward in gf_call.state, never touched by an
   * optimizer. */
  uint32_t n_state;
  gf_param_decl state[GF_MAX_STATE];
  /* Floating-point operations per sample (a multiply-add counts 2), for `bench`; 0 = unknown.
   * backward_params: parameter gradients; backward_inputs: input gradients, when wanted. */
  double flops_forward;
  double flops_backward_params;
  double flops_backward_inputs;
} gf_node_info;

enum gf_op_flags {
  GF_OP_LOSS = 1u /* output is a scalar suitable for `loss:` */
};

/* ---- 1.1: the host's services ---- */

typedef void (*gf_range_fn)(void* ctx, int64_t begin, int64_t end);

typedef struct gf_host {
  uint32_t struct_size;
  uint32_t threads; /* threads parallel_for may use, >= 1 */
  void* self;
  /* Calls fn on chunks of [0, n) of at least `grain` items, on up to `threads` threads, and
   * returns when every chunk is done. Never allocates. fn must not throw or longjmp; chunks
   * must not depend on each other. */
  void (*parallel_for)(void* self, int64_t n, int64_t grain, gf_range_fn fn, void* ctx);
} gf_host;

/* What create_ex receives. */
typedef struct gf_create_args {
  uint32_t struct_size;
  const gf_attr_value* attrs;
  uint32_t n_attrs;
  const gf_attr_list* lists; /* lists[i] holds attrs[i]'s elements when it is GF_ATTR_INTS */
  const gf_shape* in_shapes;
  uint32_t n_inputs;
  uint64_t seed; /* the node's random stream: the same for the same run seed and node name */
  const gf_host* host;
} gf_create_args;

/* One forward or backward call of one node. */
typedef struct gf_call {
  uint32_t struct_size;
  uint32_t training; /* 1 in a training step; 0 in evaluation, prediction and export */
  /* This node's random stream for this step: a function of (run seed, node name, step), so
   * that a run and its resumption draw the same numbers, and forward and backward of one
   * step see the same value. */
  uint64_t seed;
  const gf_host* host;
  const gf_tensor* inputs;
  uint32_t n_inputs;
  const gf_tensor* params;
  uint32_t n_params;
  const gf_tensor* state; /* writable; see gf_node_info.state */
  uint32_t n_state;
  const gf_tensor* out;
  /* backward only; NULL in forward */
  const gf_tensor* out_grad;
  const gf_tensor* in_grads;    /* n_inputs entries; data == NULL: not wanted */
  const gf_tensor* param_grads; /* n_params entries; data == NULL: frozen */
} gf_call;

/* 1.1: a fusion an op offers. When input `input` of a node of this op is the output of a node
 * of op `producer` that has one input of the same shape as its output, and no other node needs
 * that output's gradient, the host skips the producer's backward and calls `backward` instead
 * of the op's own. In that call, inputs[input] is still the producer's output, but
 * in_grads[input] is the gradient of the PRODUCER's input: the op writes the combined gradient
 * through both (Caffe's SoftmaxWithLoss). */
typedef struct gf_fusion {
  uint32_t struct_size;
  const char* producer;
  uint32_t input;
  int (*backward)(void* instance, const gf_call* call, gf_error* err);
} gf_fusion;

/* 1.1: formulas for `graph-runner explain` and the run report. The host describes the node's
 * tensors; the op calls `write` once per formula. A formula is UTF-8 text in which a few
 * placeholders stand for the node's tensors, named as the op knows them: an input port ("x"),
 * a parameter ("weight") or "out":
 *   {name}         the tensor                      -> the graph's name, e.g. hidden.weight
 *   {grad name}    the loss's gradient w.r.t. it   -> ∂L/∂hidden.weight
 *   {source name}  the input of the node that produced input `name` (for fused gradients)
 *   {shape name}   its shape                       -> B×10
 *   {B}            the batch size
 * Everything else is copied as written. The host substitutes the names, lists the shapes of
 * the tensors a formula mentions, and shows "no formula declared" for ops without the hook. */
enum gf_explain_kind {
  GF_EXPLAIN_FORWARD = 0,    /* how the output is computed; index unused */
  GF_EXPLAIN_INPUT_GRAD = 1, /* what backward adds to input `index`'s gradient */
  GF_EXPLAIN_PARAM_GRAD = 2, /* ... to parameter `index`'s gradient */
  GF_EXPLAIN_FUSED_GRAD = 3, /* the gradient of the producer's input when the op's gf_fusion
                                on input `index` is in use */
  GF_EXPLAIN_NOTE = 4        /* a remark in words; index unused */
};
#define GF_EXPLAIN_MAX_TEXT 1024 /* bytes of one formula, without the terminating NUL */

typedef struct gf_explain_tensor {
  const char* name; /* as the graph names it: "hidden", "hidden.weight" */
  gf_shape shape;   /* per sample */
  uint32_t batched; /* 1: a batch of B samples of `shape`; 0: one tensor (parameter, loss) */
} gf_explain_tensor;

typedef struct gf_explain {
  uint32_t struct_size;
  const char* node;
  const gf_explain_tensor* inputs; /* in port order */
  uint32_t n_inputs;
  const gf_explain_tensor* params; /* in the order create() declared them */
  uint32_t n_params;
  gf_explain_tensor out;
  void* host;
  /* Copies one formula (NUL-terminated, at most GF_EXPLAIN_MAX_TEXT bytes). Returns GF_OK, or
   * GF_FAIL for an unknown kind, an index out of range or a text too long. */
  int (*write)(void* host, uint32_t kind, uint32_t index, const char* text);
} gf_explain;

/* Hooks whose argument structs are defined with the features that use them: ONNX export and
 * import. */
struct gf_onnx_export;
struct gf_onnx_import;

typedef struct gf_op_def {
  uint32_t struct_size;
  const char* name;
  const char* doc;
  uint32_t n_inputs;
  const char* const* input_names;
  uint32_t n_attrs;
  const gf_attr_spec* attrs;
  uint32_t flags; /* gf_op_flags */

  /* 1.0 entry points. A 1.1 op may leave create, forward and backward NULL and set the _ex
   * versions below instead; the host uses the _ex versions when they are present. */

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

  /* ---- 1.1 ---- */
  int (*create_ex)(const gf_create_args* args, gf_node_info* info, void** instance, gf_error* err);
  int (*forward_ex)(void* instance, const gf_call* call, gf_error* err);
  /* Adds into call->in_grads and call->param_grads, like backward. NULL (with backward NULL):
   * not differentiable. */
  int (*backward_ex)(void* instance, const gf_call* call, gf_error* err);
  uint32_t n_fusions;
  const gf_fusion* const* fusions;
  /* Optional. Each returns GF_OK, GF_FAIL with a message, or GF_DECLINE. explain: GF_DECLINE =
   * no formula for this node. */
  int (*explain)(void* instance, struct gf_explain* ex, gf_error* err);
  int (*onnx_export)(void* instance, struct gf_onnx_export* ex, gf_error* err);
  int (*onnx_import)(struct gf_onnx_import* im, gf_error* err);
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
