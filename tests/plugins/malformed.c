/* Some defects leave a table unused, hence __attribute__((unused)).
 *
 * One small op, "Malformed" (an identity with a `scale` attribute it ignores), built once per
 * defect: tests/plugins/CMakeLists.txt compiles this file with -DDEFECT_<name> into
 * malformed_<name>.so. Each defect is something a plugin can hand back to the host that the
 * host must refuse with a message (naming this file, the op and the defect) instead of
 * crashing: tests/cli/test_malformed_plugins.cpp runs graph-runner on every one of them.
 * Written against the raw C structs, because the C++ SDK would not let an author make most of
 * these mistakes. */
#include <gradflow/plugin_abi.h>

#include <string.h>

__attribute__((unused)) static const char* const kInputs[] = {
#ifdef DEFECT_null_input_name
    NULL
#else
    "x"
#endif
};

__attribute__((unused)) static const gf_attr_spec kAttrs[] = {{
#if defined(DEFECT_null_attr_name)
    NULL,
#elif defined(DEFECT_attr_named_like_node_key)
    "inputs",
#else
    "scale",
#endif
#ifdef DEFECT_bad_attr_type
    99u,
#else
    GF_ATTR_FLOAT,
#endif
#if defined(DEFECT_unparsable_default)
    "[1, 2",
#elif defined(DEFECT_default_out_of_range)
    "50",
#else
    "1",
#endif
#ifdef DEFECT_min_above_max
    5.0, 1.0,
#else
    0.0, 10.0,
#endif
    "ignored"},
    /* Used only by duplicate_attr_name, which declares two attributes. */
    {"scale", GF_ATTR_FLOAT, "1", 0.0, 10.0, "the same name again"}};

__attribute__((unused)) static int token;

static void fill_node_info(gf_node_info* info, const gf_shape* in) {
  info->out_shape = in[0];
  info->out_batched = 1u;
  info->n_params = 0u;
#if defined(DEFECT_negative_dim)
  info->out_shape.dims[0] = -3;
#elif defined(DEFECT_zero_dim)
  info->out_shape.dims[0] = 0;
#elif defined(DEFECT_rank_above_max)
  info->out_shape.rank = 9u;
#elif defined(DEFECT_overflowing_shape)
  info->out_shape.rank = 4u;
  for (int d = 0; d < 4; ++d) info->out_shape.dims[d] = (int64_t)1 << 40;
#elif defined(DEFECT_too_many_params)
  info->n_params = 1000u;
#elif defined(DEFECT_unterminated_param_name) || defined(DEFECT_empty_param_name) || \
    defined(DEFECT_duplicate_param_name) || defined(DEFECT_unknown_init) ||           \
    defined(DEFECT_negative_param_dim) || defined(DEFECT_negative_init_scale) ||          \
    defined(DEFECT_dotted_param_name)
  info->n_params = 1u;
  memset(&info->params[0], 0, sizeof info->params[0]);
  strcpy(info->params[0].name, "w");
  info->params[0].shape.rank = 1u;
  info->params[0].shape.dims[0] = 2;
#if defined(DEFECT_unterminated_param_name)
  memset(info->params[0].name, 'w', sizeof info->params[0].name);
#elif defined(DEFECT_empty_param_name)
  info->params[0].name[0] = '\0';
#elif defined(DEFECT_duplicate_param_name)
  info->n_params = 2u;
  info->params[1] = info->params[0];
#elif defined(DEFECT_unknown_init)
  info->params[0].init.kind = 42u;
#elif defined(DEFECT_negative_param_dim)
  info->params[0].shape.dims[0] = -1;
#elif defined(DEFECT_negative_init_scale)
  info->params[0].init.kind = GF_INIT_NORMAL;
  info->params[0].init.value = -0.5;
#elif defined(DEFECT_dotted_param_name)
  strcpy(info->params[0].name, "w.bias");
#endif
#endif
}

static int create(const gf_attr_value* attrs, uint32_t n_attrs, const gf_shape* in_shapes,
                  uint32_t n_in, gf_node_info* info, void** instance, gf_error* err) {
  (void)attrs;
  (void)n_attrs;
  (void)n_in;
#if defined(DEFECT_unterminated_create_error)
  memset(err->message, 'e', sizeof err->message);
  return GF_FAIL;
#else
  (void)err;
#endif
  fill_node_info(info, in_shapes);
#ifdef DEFECT_no_instance
  *instance = NULL;
#else
  *instance = &token;
#endif
  return GF_OK;
}

static int64_t count(const gf_tensor* t) {
  int64_t n = t->batch > 0 ? t->batch : 1;
  for (uint32_t d = 0; d < t->shape.rank; ++d) n *= t->shape.dims[d];
  return n;
}

static int forward(void* instance, const gf_tensor* inputs, uint32_t n_in,
                   const gf_tensor* params, uint32_t n_params, gf_tensor* out, gf_error* err) {
  (void)instance;
  (void)n_in;
  (void)params;
  (void)n_params;
#ifdef DEFECT_unterminated_forward_error
  memset(err->message, '\n', 8);
  memset(err->message + 8, 'f', sizeof err->message - 8);
  (void)inputs;
  (void)out;
  return GF_FAIL;
#else
  (void)err;
  memcpy(out->data, inputs[0].data, (size_t)count(out) * sizeof(float));
  return GF_OK;
#endif
}

static int backward(void* instance, const gf_tensor* inputs, uint32_t n_in,
                    const gf_tensor* params, uint32_t n_params, const gf_tensor* out,
                    const gf_tensor* out_grad, gf_tensor* in_grads, gf_tensor* param_grads,
                    gf_error* err) {
  (void)instance;
  (void)inputs;
  (void)n_in;
  (void)params;
  (void)n_params;
  (void)param_grads;
  (void)err;
  if (in_grads[0].data)
    for (int64_t i = 0; i < count(out); ++i) in_grads[0].data[i] += out_grad->data[i];
  return GF_OK;
}

static void destroy(void* instance) { (void)instance; }

__attribute__((unused)) static const gf_op_def kOp = {
    .struct_size = sizeof(gf_op_def),
#ifdef DEFECT_null_name
    .name = NULL,
#else
    .name = "Malformed",
#endif
    .doc = "An identity op built with one defect.",
#ifdef DEFECT_absurd_input_count
    .n_inputs = 1000000u,
#else
    .n_inputs = 1u,
#endif
#ifdef DEFECT_null_input_names
    .input_names = NULL,
#else
    .input_names = kInputs,
#endif
#if defined(DEFECT_null_attrs)
    .n_attrs = 2u,
    .attrs = NULL,
#elif defined(DEFECT_absurd_attr_count)
    .n_attrs = 4000000000u,
    .attrs = kAttrs,
#elif defined(DEFECT_duplicate_attr_name)
    .n_attrs = 2u,
    .attrs = kAttrs,
#else
    .n_attrs = 1u,
    .attrs = kAttrs,
#endif
    .create = create,
    .forward = forward,
    .backward = backward,
    .destroy = destroy};

static const gf_op_def* const kTable[] = {
#ifdef DEFECT_null_def
    NULL
#else
    &kOp
#endif
};

static const gf_op_def* const* get_ops(uint32_t* n_ops) {
#ifdef DEFECT_absurd_op_count
  *n_ops = 1000000000u;
#else
  *n_ops = 1u;
#endif
  return kTable;
}

static const gf_plugin kPlugin = {.struct_size = sizeof(gf_plugin),
                                  .abi_major = GF_ABI_MAJOR,
                                  .abi_minor = GF_ABI_MINOR,
                                  .name = "malformed",
                                  .get_ops = get_ops};

__attribute__((visibility("default"))) const gf_plugin* gradflow_plugin(void) { return &kPlugin; }
