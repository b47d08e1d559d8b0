/* gradflow plugin ABI 1.1: the arguments of the ONNX hooks of gf_op_def (onnx_export,
 * onnx_import). The host owns the ONNX file (protobuf) on both sides; an op only says which
 * ONNX nodes stand for it, through the host's callbacks below, so a plugin never links
 * protobuf and the host never names an op.
 *
 * Tensors in an ONNX graph carry the batch as their first dimension; gradflow's shapes are per
 * sample. An op that writes an axis or a shape into an ONNX attribute adds that dimension
 * itself (Concat over gradflow axis 0 is ONNX axis 1; a Reshape's shape starts with 0).
 *
 * Same rules as plugin_abi.h: structs that can grow start with struct_size and only grow at
 * the end; every callback reports failure by return value plus a gf_error message, and
 * strings the host returns stay valid until the hook returns. Most authors use the C++ layer
 * in <gradflow/onnx.hpp> instead. */
#ifndef GRADFLOW_ONNX_ABI_H
#define GRADFLOW_ONNX_ABI_H

#include <gradflow/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GF_ONNX_MAX_RANK 8

/* The type of an ONNX attribute (the subset gradflow reads and writes). */
enum gf_onnx_attr_type {
  GF_ONNX_ATTR_INT = 0,
  GF_ONNX_ATTR_FLOAT = 1,
  GF_ONNX_ATTR_STRING = 2,
  GF_ONNX_ATTR_INTS = 3,
  GF_ONNX_ATTR_FLOATS = 4,
  GF_ONNX_ATTR_OTHER = 5 /* a tensor, graph or type attribute: present, but not readable here */
};

/* One ONNX attribute, written by an exporting op or read by an importing one. */
typedef struct gf_onnx_attr {
  const char* name;
  uint32_t type;       /* gf_onnx_attr_type */
  int64_t i;           /* INT */
  double f;            /* FLOAT */
  const char* s;       /* STRING */
  const int64_t* ints; /* INTS: n elements */
  const float* floats; /* FLOATS: n elements */
  uint32_t n;
} gf_onnx_attr;

enum gf_onnx_dtype { GF_ONNX_FLOAT32 = 1, GF_ONNX_INT64 = 7 };

/* A constant tensor (an initializer or the output of an ONNX Constant node), all dimensions
 * (no batch), row-major. Exactly one of floats / ints is set, by dtype. */
typedef struct gf_onnx_constant {
  uint32_t dtype; /* gf_onnx_dtype */
  uint32_t rank;
  int64_t dims[GF_ONNX_MAX_RANK];
  int64_t count; /* product of dims */
  const float* floats;
  const int64_t* ints;
} gf_onnx_constant;

/* ---- export: one gradflow node becomes ONNX nodes ---- */

typedef struct gf_onnx_export {
  uint32_t struct_size;
  void* host;
  int64_t opset;    /* of the default ONNX domain in the model being written */
  const char* node; /* the gradflow node's name */
  uint32_t n_inputs;
  const char* const* inputs; /* ONNX value names of the node's inputs, in port order */
  const gf_shape* in_shapes; /* per sample */
  gf_shape out_shape;        /* per sample */
  const char* output;        /* the value the op's ONNX nodes must finally write */

  /* The ONNX name of one of this node's parameters or state tensors ("weight"); the host
   * writes it as an initializer with the model's values. NULL (and err) if there is none. */
  const char* (*tensor)(void* host, const char* local_name, gf_error* err);
  /* A constant the op supplies (a fixed projection, a shape), written as an initializer named
   * "<node>/<hint>"; returns that name, or NULL (and err). */
  const char* (*constant)(void* host, const char* hint, const gf_onnx_constant* value,
                          gf_error* err);
  /* A fresh name "<node>/<hint>" for an intermediate value. */
  const char* (*temp)(void* host, const char* hint);
  /* Appends one node of the default ONNX domain. The first node an op adds is named after the
   * gradflow node, the others "<node>/<op_type>". Inputs must be graph inputs, earlier
   * outputs, tensor() or constant() names; "" leaves an optional input out. */
  int (*add_node)(void* host, const char* op_type, const char* const* inputs, uint32_t n_inputs,
                  const char* const* outputs, uint32_t n_outputs, const gf_onnx_attr* attrs,
                  uint32_t n_attrs, gf_error* err);
} gf_onnx_export;

/* ---- import: ONNX nodes become one gradflow node ---- */

enum gf_onnx_value_kind {
  GF_ONNX_ABSENT = 0,  /* an optional input left out ("") or no such input */
  GF_ONNX_RUNTIME = 1, /* computed per sample: `shape` (rank GF_ONNX_UNKNOWN_RANK: unknown) */
  GF_ONNX_CONSTANT = 2 /* known now: `constant` */
};
#define GF_ONNX_UNKNOWN_RANK 0xFFFFFFFFu

typedef struct gf_onnx_value {
  const char* name;
  uint32_t kind;  /* gf_onnx_value_kind */
  gf_shape shape; /* RUNTIME: per sample (the ONNX tensor's dims without the batch) */
  gf_onnx_constant constant;
} gf_onnx_value;

/* The host offers each ONNX node, in order, to every op's onnx_import until one returns GF_OK.
 * An op that returns GF_DECLINE must not have called claim() or alias().
 *
 * Nodes are addressed by `at`: 0 is the node offered, 1 the node that alone consumes its
 * (single) output, 2 the one after that, and so on: so Linear can take MatMul + Add. */
typedef struct gf_onnx_import {
  uint32_t struct_size;
  void* host;
  int64_t opset; /* of the default ONNX domain in the model being read */

  /* Node `at`: 1 and its op type, domain ("" for the default one), name and port counts; 0 if
   * there is no such node (a fork, a graph output or the end of the graph in between). */
  int (*node)(void* host, uint32_t at, const char** op_type, const char** domain, const char** name,
              uint32_t* n_inputs, uint32_t* n_outputs);
  /* Attribute `name` of node `at`: 1 and *out, or 0 if the node does not have it. */
  int (*attr)(void* host, uint32_t at, const char* name, gf_onnx_attr* out);
  /* Input `i` of node `at` (kind ABSENT past the last input). */
  int (*input)(void* host, uint32_t at, uint32_t i, gf_onnx_value* out);

  /* Nodes [0, count) become one gradflow node of op `op`; its output is node count-1's
   * first output. Call once, before the calls below. */
  int (*claim)(void* host, uint32_t count, const char* op, gf_error* err);
  /* An attribute of the gradflow node, as YAML text ("10", "[2, 2]", "false"). */
  int (*set_attr)(void* host, const char* key, const char* yaml, gf_error* err);
  /* The gradflow node's next input port: input `i` of claimed node `at` (a runtime value). */
  int (*add_input)(void* host, uint32_t at, uint32_t i, gf_error* err);
  /* The values of parameter or state tensor `local_name` ("weight"), `count` floats in the
   * shape the op declares for the node; the host copies them. */
  int (*set_tensor)(void* host, const char* local_name, const float* data, int64_t count,
                    gf_error* err);
  /* Instead of claim(): no gradflow node; node 0's first output is its input `i` (Identity,
   * Dropout at inference). */
  int (*alias)(void* host, uint32_t i, gf_error* err);
} gf_onnx_import;

#ifdef __cplusplus
}
#endif

#endif /* GRADFLOW_ONNX_ABI_H */
