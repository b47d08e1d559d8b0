// graph-runner import of ONNX image models: Conv, the pools, the shape ops, BatchNormalization,
// Dropout, Add and Concat become gradflow nodes with the right attributes, and what gradflow's
// ops cannot be gets exit status 2 naming the node, its ONNX op and the gradflow op that
// refused it.
#include "cli/cli_support.hpp"
#include "onnx/onnx_models.hpp"
#include "support/temp_dir.hpp"

#include <gradflow/atomic_file.hpp>

#include <functional>

using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

ProcessResult import_model(const onnx::ModelProto& m, int status) {
  TempDir tmp;
  ProcessResult r = run_runner({"import", tmp.write("m.onnx", bytes_of(m)), "-o", tmp / "out"},
                               std::chrono::seconds(60));
  require_no_crash(r);
  INFO(r.status_text() << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == status);
  if (status == 0) r.out = gradflow::read_file(tmp / ("out/" + m.graph().name() + ".yaml"));
  return r;
}

// Attribute `name` of node `n`, added if it is missing.
onnx::AttributeProto* attr(onnx::NodeProto* n, const std::string& name) {
  for (auto& a : *n->mutable_attribute())
    if (a.name() == name) return &a;
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  return a;
}

void replace_ints(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> values) {
  onnx::AttributeProto* a = attr(n, name);
  a->set_type(onnx::AttributeProto::INTS);
  a->clear_ints();
  for (int64_t v : values) a->add_ints(v);
}

// image_model() with the node after the convolution replaced: x -> conv -> c [2, 6, 6] ->
// `type` 'op' (inputs c and `extra`) -> y.
onnx::ModelProto after_conv(const std::string& type, std::vector<std::string> extra = {}) {
  onnx::ModelProto m = image_model();
  onnx::GraphProto* g = m.mutable_graph();
  g->mutable_node()->DeleteSubrange(1, 2);
  std::vector<std::string> inputs{"c"};
  inputs.insert(inputs.end(), extra.begin(), extra.end());
  add_node(g, type, "op", inputs, {"y"});
  return m;
}

struct Refusal {
  const char* what;
  std::function<void(onnx::ModelProto&)> change;
  std::vector<std::string> said;  // besides the node's label
};

}  // namespace

TEST_CASE("ONNX Conv, MaxPool and Flatten import as Conv2D, MaxPool2D and Flatten", "[onnx]") {
  const std::string yaml = import_model(image_model(), 0).out;
  CHECK_THAT(yaml, Contains("op: Conv2D, inputs: [x], out_channels: 2, kernel: [3, 3], "
                            "stride: [1, 1], padding: [1, 1], bias: true}"));
  CHECK_THAT(yaml, Contains("op: MaxPool2D, inputs: [conv], kernel: [2, 2], stride: [2, 2], "
                            "padding: [0, 0]}"));
  CHECK_THAT(yaml, Contains("op: Flatten, inputs: [pool]}"));

  // auto_pad SAME_UPPER pads a 3x3 kernel by one on each side, as pads [1, 1, 1, 1] did.
  onnx::ModelProto same = image_model();
  auto* conv = same.mutable_graph()->mutable_node(0);
  conv->mutable_attribute()->RemoveLast();  // pads
  set_string(conv, "auto_pad", "SAME_UPPER");
  CHECK_THAT(import_model(same, 0).out, Contains("padding: [1, 1], bias: true}"));
}

TEST_CASE("ONNX pooling, shape, normalisation and joining nodes import with their settings",
          "[onnx]") {
  // Alone over [2, 6, 6], GlobalAveragePool keeps [2, 1, 1]: one 6x6 window.
  CHECK_THAT(import_model(after_conv("GlobalAveragePool"), 0).out,
             Contains("op: AvgPool2D, inputs: [conv], kernel: [6, 6]}"));
  // Followed by a flatten (here a Reshape to [N, 2]), it is GlobalAvgPool.
  onnx::ModelProto gap = after_conv("GlobalAveragePool");
  gap.mutable_graph()->mutable_node(1)->set_output(0, "g");
  add_shape(gap.mutable_graph(), "two", {-1, 2});
  add_node(gap.mutable_graph(), "Reshape", "rows", {"g", "two"}, {"y"});
  CHECK_THAT(import_model(gap, 0).out, Contains("op: GlobalAvgPool, inputs: [conv]}"));

  onnx::ModelProto avg = after_conv("AveragePool");
  replace_ints(avg.mutable_graph()->mutable_node(1), "kernel_shape", {3, 3});
  replace_ints(avg.mutable_graph()->mutable_node(1), "pads", {1, 1, 1, 1});
  set_int(avg.mutable_graph()->mutable_node(1), "count_include_pad", 1);
  CHECK_THAT(import_model(avg, 0).out,
             Contains("kernel: [3, 3], stride: [1, 1], padding: [1, 1], count_include_pad: true}"));

  onnx::ModelProto reshape = after_conv("Reshape", {"shape"});
  add_shape(reshape.mutable_graph(), "shape", {0, -1, 36});
  CHECK_THAT(import_model(reshape, 0).out,
             Contains("op: Reshape, inputs: [conv], shape: [2, 36]}"));

  // ONNX's momentum weighs the running statistics; gradflow's the batch.
  onnx::ModelProto bn = after_conv("BatchNormalization", {"s", "b", "mean", "var"});
  for (const char* t : {"s", "b", "mean", "var"}) add_weights(bn.mutable_graph(), t, {2});
  set_float(bn.mutable_graph()->mutable_node(1), "momentum", 0.9f);
  CHECK_THAT(import_model(bn, 0).out,
             Contains("op: BatchNorm, inputs: [conv], momentum: 0.1, eps: 1e-05}"));

  onnx::ModelProto dropout = after_conv("Dropout", {"ratio"});
  add_weights(dropout.mutable_graph(), "ratio", {}, 0.25f);
  CHECK_THAT(import_model(dropout, 0).out, Contains("op: Dropout, inputs: [conv], p: 0.25}"));

  CHECK_THAT(import_model(after_conv("Add", {"c"}), 0).out,
             Contains("op: Add, inputs: [conv, conv]}"));
  onnx::ModelProto concat = after_conv("Concat", {"c"});
  set_int(concat.mutable_graph()->mutable_node(1), "axis", -3);
  CHECK_THAT(import_model(concat, 0).out, Contains("op: Concat, inputs: [conv, conv]}"));
}

TEST_CASE("ONNX image nodes gradflow's ops cannot be exit 2 naming node, ONNX op and op",
          "[onnx]") {
  auto conv = [](onnx::ModelProto& m) { return m.mutable_graph()->mutable_node(0); };
  auto pool = [](onnx::ModelProto& m) { return m.mutable_graph()->mutable_node(1); };
  const std::vector<Refusal> refusals = {
      {"dilations",
       [&](auto& m) {
         replace_ints(conv(m), "dilations", {2, 2});
       },
       {"node 0 'conv' (Conv): op Conv2D: dilations [2, 2]"}},
      {"groups", [&](auto& m) { set_int(conv(m), "group", 2); }, {"op Conv2D: group = 2"}},
      {"uneven pads",
       [&](auto& m) {
         replace_ints(conv(m), "pads", {1, 0, 0, 1});
       },
       {"pads [1, 0, 0, 1] pad the two sides"}},
      {"a 1-D kernel",
       [&](auto& m) { replace_ints(conv(m), "kernel_shape", {3}); },
       {"'kernel_shape' [3] has 1 values"}},
      {"a kernel unlike the weight",
       [&](auto& m) {
         replace_ints(conv(m), "kernel_shape", {5, 5});
       },
       {"kernel_shape [5, 5] differs from the weight's [3, 3]"}},
      {"a zero stride",
       [&](auto& m) {
         replace_ints(conv(m), "strides", {0, 1});
       },
       {"'strides' [0, 1]: each value must be in [1, 65536]"}},
      {"a huge pad",
       [&](auto& m) {
         replace_ints(conv(m), "pads", {1, 1LL << 40, 1, 1LL << 40});
       },
       {"'pads' [1, 1099511627776, 1, 1099511627776]"}},
      {"an unknown auto_pad",
       [&](auto& m) { set_string(conv(m), "auto_pad", "SAME_FOO"); },
       {"auto_pad 'SAME_FOO'"}},
      {"a kernel_shape of the wrong type",
       [&](auto& m) {
         attr(conv(m), "kernel_shape")->set_type(onnx::AttributeProto::INT);
         attr(conv(m), "kernel_shape")->set_i(3);
       },
       {"'kernel_shape' of Conv has an unexpected type"}},
      {"a weight of rank 3",
       [](auto& m) {  // [2, 1, 9]: the same values
         auto* dims = m.mutable_graph()->mutable_initializer(0)->mutable_dims();
         dims->RemoveLast();
         dims->Set(2, 9);
       },
       {"op Conv2D: the weight 'W' must be a float32 initializer of rank 4"}},
      {"a partial ceil_mode window",
       [&](auto& m) {
         replace_ints(pool(m), "kernel_shape", {3, 3});
         set_int(pool(m), "ceil_mode", 1);
       },
       {"node 1 'pool' (MaxPool): op MaxPool2D: ceil_mode = 1 adds a partial window"}},
      {"no kernel_shape",
       [&](auto& m) { pool(m)->clear_attribute(); },
       {"node 1 'pool' (MaxPool): op MaxPool2D: there is no kernel_shape"}},
      {"Flatten on axis 2",
       [](auto& m) { set_int(m.mutable_graph()->mutable_node(2), "axis", 2); },
       {"node 2 'flat' (Flatten): op Flatten: Flatten axis 2"}},
      {"an op nothing imports",
       [&](auto& m) { pool(m)->set_op_type("LpPool"); },
       {"node 1 'pool' (LpPool): no gradflow op imports ONNX LpPool"}},
  };
  for (const Refusal& r : refusals) {
    INFO(r.what);
    onnx::ModelProto m = image_model();
    r.change(m);
    const std::string err = import_model(m, 2).err;
    for (const auto& text : r.said) CHECK_THAT(err, Contains(text));
  }
}

TEST_CASE("ONNX shape, normalisation and joining nodes gradflow cannot take exit 2", "[onnx]") {
  std::vector<std::pair<onnx::ModelProto, std::string>> cases;
  auto reshape_to = [&](std::vector<int64_t> shape, const std::string& said) {
    onnx::ModelProto m = after_conv("Reshape", {"shape"});
    add_shape(m.mutable_graph(), "shape", shape);
    cases.emplace_back(m, "node 1 'op' (Reshape): op Reshape: " + said);
  };
  reshape_to({3, 72}, "the shape [3, 72] fixes the batch to 3");
  reshape_to({-1, 5}, "the shape [-1, 5] does not hold the 72 values");
  reshape_to({0, -1, -1}, "the shape [0, -1, -1] has more than one -1");

  onnx::ModelProto concat = after_conv("Concat", {"c"});
  set_int(concat.mutable_graph()->mutable_node(1), "axis", 2);
  cases.emplace_back(concat, "(Concat): op Concat: axis 2 of a rank-4 tensor");
  onnx::ModelProto three = after_conv("Concat", {"c", "c"});
  set_int(three.mutable_graph()->mutable_node(1), "axis", 1);
  cases.emplace_back(three, "(Concat): op Concat: it joins 3 inputs");

  onnx::ModelProto bn = after_conv("BatchNormalization", {"s", "b", "mean", "var"});
  for (const char* t : {"s", "b", "mean"}) add_weights(bn.mutable_graph(), t, {2});
  add_weights(bn.mutable_graph(), "var", {3});
  cases.emplace_back(bn,
                     "op BatchNorm: input 4 ('var') must be a float32 initializer of shape [2]");

  onnx::ModelProto bias = after_conv("Add", {"B"});
  cases.emplace_back(bias, "node 1 'op' (Add): op Add: it adds the constant 'B'");

  onnx::ModelProto dropout = after_conv("Dropout", {"ratio"});
  add_weights(dropout.mutable_graph(), "ratio", {}, 1.5f);
  cases.emplace_back(dropout, "op Dropout: ratio 1.5");
  for (const auto& [m, said] : cases) {
    INFO(said);
    CHECK_THAT(import_model(m, 2).err, Contains(said));
  }
}
