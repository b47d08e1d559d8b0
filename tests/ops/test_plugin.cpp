// The plugin as the host sees it: entry point, ABI version, op table and schemas.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string>

#include "ops/builtin_ops.hpp"

using namespace gftest;

namespace {

// The plugin's own table entries, not the toolkit's grown copies: their struct_size is what
// the plugin wrote.
const gf_op_def& op_def(const std::string& name) {
  uint32_t n = 0;
  const gf_op_def* const* ops = builtin().descriptor().get_ops(&n);
  for (uint32_t i = 0; i < n; ++i)
    if (name == ops[i]->name) return *ops[i];
  FAIL("op " << name << " not found in the plugin");
  throw std::logic_error("unreachable");
}

std::vector<std::string> op_names() {
  return builtin().op_names();
}

const gf_attr_spec* find_attr(const gf_op_def& def, const char* name) {
  for (uint32_t i = 0; i < def.n_attrs; ++i)
    if (std::strcmp(def.attrs[i].name, name) == 0) return &def.attrs[i];
  return nullptr;
}

}  // namespace

TEST_CASE("builtin plugin exports a current-ABI entry point", "[plugin]") {
  const gf_plugin& p = builtin().descriptor();
  CHECK(p.struct_size == sizeof(gf_plugin));
  CHECK(p.abi_major == GF_ABI_MAJOR);
  CHECK(p.abi_minor == GF_ABI_MINOR);
  CHECK(std::string(p.name) == "gradflow-builtin");
}

TEST_CASE("builtin plugin lists exactly the built-in ops", "[plugin]") {
  std::vector<std::string> names = op_names();
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"Add", "AvgPool2D", "BatchNorm", "Concat", "Conv2D",
                                          "CrossEntropy", "Dropout", "Flatten", "GlobalAvgPool",
                                          "Linear", "MSE", "MaxPool2D", "ReLU", "Reshape", "SVM",
                                          "Softmax", "Tanh"});
  // A second call returns the same table rather than building another.
  uint32_t n1 = 0, n2 = 0;
  CHECK(builtin().descriptor().get_ops(&n1) == builtin().descriptor().get_ops(&n2));
  CHECK(n1 == n2);
}

TEST_CASE("every op definition is complete", "[plugin]") {
  const std::set<std::string> losses{"CrossEntropy", "MSE", "SVM"};
  const std::set<std::string> two_inputs{"CrossEntropy", "MSE", "SVM", "Add", "Concat"};
  for (const std::string& name : op_names()) {
    INFO("op " << name);
    const gf_op_def& def = op_def(name);
    CHECK(def.struct_size == sizeof(gf_op_def));
    REQUIRE(def.doc != nullptr);
    CHECK(std::strlen(def.doc) > 10);
    CHECK(std::strchr(def.doc, '\n') == nullptr);
    CHECK(def.n_inputs == (two_inputs.count(name) ? 2u : 1u));
    for (uint32_t i = 0; i < def.n_inputs; ++i) {
      REQUIRE(def.input_names[i] != nullptr);
      CHECK(std::strlen(def.input_names[i]) > 0);
    }
    // Built with ABI 1.1's C++ layer: the _ex entry points only.
    CHECK(def.create_ex != nullptr);
    CHECK(def.forward_ex != nullptr);
    CHECK(def.backward_ex != nullptr);
    CHECK(def.destroy != nullptr);
    CHECK(((def.flags & GF_OP_LOSS) != 0) == (losses.count(name) == 1));
    for (uint32_t i = 0; i < def.n_attrs; ++i) {
      INFO("attribute " << def.attrs[i].name);
      REQUIRE(def.attrs[i].doc != nullptr);
      CHECK(std::strlen(def.attrs[i].doc) > 0);
    }
    // The toolkit reads every default the host would fill in.
    for (uint32_t i = 0; i < def.n_attrs; ++i)
      if (def.attrs[i].default_text)
        CHECK_NOTHROW(gradflow::testing::detail::default_attr(def.attrs[i]));
  }
}

TEST_CASE("loss ops name their target input", "[plugin]") {
  for (const char* name : {"CrossEntropy", "MSE", "SVM"}) {
    INFO("op " << name);
    CHECK(std::string(op_def(name).input_names[1]) == "target");
  }
  CHECK(std::string(op_def("CrossEntropy").input_names[0]) == "probs");
}

TEST_CASE("Linear declares its attribute schema", "[plugin][linear]") {
  const gf_op_def& def = op_def("Linear");
  CHECK(def.n_attrs == 4);
  const gf_attr_spec* out = find_attr(def, "out_features");
  REQUIRE(out);
  CHECK(out->type == GF_ATTR_INT);
  CHECK(out->default_text == nullptr);
  CHECK(out->min == 1.0);
  CHECK(out->max == 1e7);
  const gf_attr_spec* init = find_attr(def, "init");
  REQUIRE(init);
  CHECK(init->type == GF_ATTR_INIT);
  CHECK(std::string(init->default_text) == "xavier");
  const gf_attr_spec* bias = find_attr(def, "bias");
  REQUIRE(bias);
  CHECK(bias->type == GF_ATTR_BOOL);
  CHECK(std::string(bias->default_text) == "true");
  const gf_attr_spec* bias_init = find_attr(def, "bias_init");
  REQUIRE(bias_init);
  CHECK(bias_init->type == GF_ATTR_INIT);
  CHECK(std::string(bias_init->default_text) == "zeros");
}

TEST_CASE("SVM declares its margin and names its loss", "[plugin][svm]") {
  const gf_op_def& def = op_def("SVM");
  CHECK(std::string(def.doc).find("Weston") != std::string::npos);
  const gf_attr_spec* margin = find_attr(def, "margin");
  REQUIRE(margin);
  CHECK(margin->type == GF_ATTR_FLOAT);
  CHECK(std::string(margin->default_text) == "1");
  CHECK(margin->min == 0.0);
}

TEST_CASE("MSE documents its sum-of-squares definition", "[plugin][mse]") {
  CHECK(std::string(op_def("MSE").doc).find("||prediction - target||^2") != std::string::npos);
}
