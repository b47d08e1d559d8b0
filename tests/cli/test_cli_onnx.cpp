// graph-runner export and import: the files they write, and every kind of bad ONNX file
// getting exit status 2 with a message that says where.
#include "cli/cli_support.hpp"
#include "onnx/onnx_models.hpp"
#include "support/temp_dir.hpp"

#include <gradflow/atomic_file.hpp>
#include <gradflow/safetensors.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>

using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

const std::string kCircles = source_path("graphs/circles_mlp.yaml");

ProcessResult expect_exit(const std::vector<std::string>& args, int status) {
  ProcessResult r = run_runner(args, std::chrono::seconds(120));
  require_no_crash(r);
  INFO(r.status_text() << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == status);
  return r;
}

onnx::ModelProto read_model(const std::string& path) {
  onnx::ModelProto m;
  REQUIRE(m.ParseFromString(gradflow::read_file(path)));
  return m;
}

std::string points_csv(const TempDir& tmp) {
  return tmp.write("points.csv", "x0,x1\n0.1,0.2\n-1.5,0.25\n0.9,-0.7\n2,2\n");
}

}  // namespace

TEST_CASE("export writes the inference graph with its weights, names and metadata", "[onnx]") {
  TempDir tmp;
  expect_exit({"export", kCircles, "-o", tmp / "m.onnx"}, 0);
  onnx::ModelProto m = read_model(tmp / "m.onnx");
  CHECK(m.opset_import(0).version() >= 13);
  const auto& g = m.graph();
  CHECK(g.name() == "circles-mlp");
  // Only x: the target y feeds the loss alone, and the loss is not exported.
  REQUIRE(g.input_size() == 1);
  CHECK(g.input(0).name() == "x");
  const auto& dims = g.input(0).type().tensor_type().shape().dim();
  CHECK(dims[0].dim_param() == "N");
  CHECK(dims[1].dim_value() == 2);
  REQUIRE(g.output_size() == 1);
  CHECK(g.output(0).name() == "yhat");
  std::vector<std::string> names, types;
  for (const auto& n : g.node()) {
    names.push_back(n.name());
    types.push_back(n.op_type());
  }
  CHECK(names == std::vector<std::string>{"hidden", "h", "logits", "yhat"});
  CHECK(types == std::vector<std::string>{"Gemm", "Tanh", "Gemm", "Softmax"});
  CHECK(g.initializer_size() == 4);
  bool described = false;
  for (const auto& p : m.metadata_props())
    described |= p.key() == "description" && p.value().find("perceptron") != std::string::npos;
  CHECK(described);
}

TEST_CASE("YAML -> ONNX -> YAML predicts exactly what the graph predicts", "[onnx]") {
  TempDir tmp;
  expect_exit({"train", kCircles, "--epochs", "3", "--out", tmp / "run"}, 0);
  const std::string weights = tmp / "run/model.safetensors";
  expect_exit({"export", kCircles, "--weights", weights, "-o", tmp / "m.onnx"}, 0);
  expect_exit({"import", tmp / "m.onnx", "-o", tmp / "back"}, 0);
  const std::string csv = points_csv(tmp);
  ProcessResult before =
      expect_exit({"predict", kCircles, "--weights", weights, "--input", csv, "--digits", "9"}, 0);
  ProcessResult after =
      expect_exit({"predict", tmp / "back/circles-mlp.yaml", "--weights",
                   tmp / "back/model.safetensors", "--input", csv, "--digits", "9"},
                  0);
  CHECK(after.out == before.out);
  CHECK(before.out.size() > 40);
}

TEST_CASE("export names the node whose plugin op has no ONNX mapping", "[onnx]") {
  ProcessResult r = expect_exit(
      {"--plugin", std::string(GRADFLOW_TEST_PLUGIN_DIR) + "/not_differentiable.so", "export",
       source_path("tests/plugins/graphs/round_side_branch.yaml"), "-o", "/nonexistent/x.onnx"},
      2);
  CHECK_THAT(r.err, Contains("round_side_branch.yaml:10:") && Contains("'rounded'") &&
                        Contains("Round") && Contains("no ONNX mapping"));
}

TEST_CASE("import lists every node no op imports, with its op type", "[onnx]") {
  TempDir tmp;
  onnx::ModelProto m = tiny_model();
  auto* g = m.mutable_graph();
  // features -> Sin -> Gemm -> Relu -> Cos -> y
  g->mutable_node(0)->set_input(0, "s");
  g->mutable_node(1)->set_output(0, "r");
  add_node(g, "Cos", "wave", {"r"}, {"y"});
  onnx::NodeProto sin;
  sin.set_op_type("Sin");
  sin.set_name("first");
  sin.add_input("features");
  sin.add_output("s");
  *g->mutable_node()->Add() = sin;
  std::rotate(g->mutable_node()->rbegin(), g->mutable_node()->rbegin() + 1,
              g->mutable_node()->rend());
  const std::string file = tmp.write("m.onnx", bytes_of(m));
  ProcessResult r = expect_exit({"import", file, "-o", tmp / "out"}, 2);
  CHECK_THAT(r.err, Contains(file + ": error: node 0 'first' (Sin)") &&
                        Contains("node 3 'wave' (Cos)") && Contains("no gradflow op imports"));
  CHECK_FALSE(std::filesystem::exists(tmp / "out/tiny.yaml"));
}

TEST_CASE("import of a broken or foreign file says where it breaks", "[onnx]") {
  TempDir tmp;
  const std::string good = bytes_of(tiny_model());
  for (size_t cut : {size_t{1}, size_t{7}, good.size() / 2, good.size() - 1}) {
    INFO("cut at " << cut);
    ProcessResult r =
        expect_exit({"import", tmp.write("cut.onnx", good.substr(0, cut)), "-o", tmp / "out"}, 2);
    CHECK_THAT(r.err, Contains("cut.onnx: error:") && Contains("byte "));
  }
  for (const std::string& junk : {std::string("hello, world\n"), std::string(64, '\xff')}) {
    ProcessResult r = expect_exit({"import", tmp.write("junk.onnx", junk), "-o", tmp / "out"}, 2);
    CHECK_THAT(r.err, Contains("junk.onnx: error:") && Contains("not a valid ONNX"));
  }
  ProcessResult empty = expect_exit({"import", tmp.write("empty.onnx", ""), "-o", tmp / "out"}, 2);
  CHECK_THAT(empty.err, Contains("empty"));
  expect_exit({"import", tmp / "missing.onnx", "-o", tmp / "out"}, 2);
}

TEST_CASE("import rejects malformed models with a message naming the part", "[onnx]") {
  struct Case {
    const char* what;
    std::function<void(onnx::ModelProto&)> spoil;
    std::vector<std::string> expected;
  };
  auto g = [](onnx::ModelProto& m) { return m.mutable_graph(); };
  const std::vector<Case> cases = {
      {"missing initializer",
       [&](auto& m) { g(m)->mutable_initializer()->RemoveLast(); },
       {"node 0 'dense' (Gemm)", "input 'B' is not a graph input"}},
      {"weights of the wrong shape",
       [&](auto& m) { g(m)->mutable_initializer(0)->set_dims(1, 5); },
       {"initializer 0 'W'", "holds 6 values but the dims need 15"}},
      {"weights that do not fit the input",
       [&](auto& m) {
         g(m)->mutable_initializer()->Clear();
         add_weights(g(m), "W", {3, 5});
         add_weights(g(m), "B", {3});
       },
       {"node 0 'dense' (Gemm)", "[2]", "[5]"}},
      {"absurd dims",
       [&](auto& m) {
         auto* t = g(m)->mutable_initializer(0);
         t->clear_float_data();
         t->set_dims(0, int64_t{1} << 40);
         t->set_dims(1, int64_t{1} << 40);
       },
       {"initializer 0 'W'", "elements"}},
      {"raw data of the wrong length",
       [&](auto& m) {
         auto* t = g(m)->mutable_initializer(0);
         t->clear_float_data();
         t->set_raw_data(std::string(10, '\0'));
       },
       {"initializer 0 'W'", "raw_data holds 10 bytes"}},
      {"external data",
       [&](auto& m) {
         g(m)->mutable_initializer(0)->set_data_location(onnx::TensorProto::EXTERNAL);
       },
       {"initializer 0 'W'", "external file"}},
      {"a symbolic feature dimension",
       [&](auto& m) {
         g(m)->mutable_input(0)
             ->mutable_type()
             ->mutable_tensor_type()
             ->mutable_shape()
             ->mutable_dim(1)
             ->set_dim_param("F");
       },
       {"graph input 'features'", "only the batch may be symbolic"}},
      {"integer inputs",
       [&](auto& m) {
         g(m)->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
             onnx::TensorProto::INT64);
       },
       {"graph input 'features'", "float32"}},
      {"no opset", [&](auto& m) { m.clear_opset_import(); }, {"opset"}},
      {"no graph", [&](auto& m) { m.clear_graph(); }, {"no graph"}},
      {"a value written twice",
       [&](auto& m) { g(m)->mutable_node(1)->set_output(0, "h"); },
       {"node 1 'act' (Relu)", "written twice"}},
      {"nodes out of order",
       [&](auto& m) { g(m)->mutable_node()->SwapElements(0, 1); },
       {"node 0 'act' (Relu)", "input 'h'"}},
      {"the output is the input",
       [&](auto& m) { g(m)->mutable_output(0)->set_name("features"); },
       {"graph output 'features'", "not computed"}},
      {"Gemm with transA",
       [&](auto& m) { set_int(g(m)->mutable_node(0), "transA", 1); },
       {"node 0 'dense' (Gemm)", "transA"}},
      {"Softmax over the batch",
       [&](auto& m) {
         g(m)->mutable_node(1)->set_op_type("Softmax");
         set_int(g(m)->mutable_node(1), "axis", 0);
       },
       {"node 1 'act' (Softmax)", "axis 0"}},
  };
  TempDir tmp;
  for (const auto& c : cases) {
    INFO(c.what);
    onnx::ModelProto m = tiny_model();
    c.spoil(m);
    const std::string file = tmp.write("bad.onnx", bytes_of(m));
    ProcessResult r = expect_exit({"import", file, "-o", tmp / "out"}, 2);
    CHECK_THAT(r.err, Contains(file + ": error:"));
    for (const auto& text : c.expected) CHECK_THAT(r.err, Contains(text));
  }
}

TEST_CASE("a small hostile file cannot make the importer take gigabytes", "[onnx]") {
  // 5 million empty nodes take 10 MB on disk and would take gigabytes as protobuf objects.
  std::string nodes;
  for (int i = 0; i < 5000000; ++i) nodes += std::string("\x0a\x00", 2);
  std::string graph = "\x3a";
  for (uint64_t n = nodes.size();; n >>= 7) {  // the length as a varint
    graph += static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    if (n < 0x80) break;
  }
  TempDir tmp;
  ProcessResult r =
      expect_exit({"import", tmp.write("bomb.onnx", graph + nodes), "-o", tmp / "out"}, 2);
  CHECK_THAT(r.err, Contains("bomb.onnx: error:") && Contains("MiB"));
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  CHECK(usage.ru_maxrss < 512 * 1024);  // KiB
}

TEST_CASE("import keeps an earlier import unless --force, and checks --loss", "[onnx]") {
  TempDir tmp;
  const std::string file = tmp.write("m.onnx", bytes_of(tiny_model()));
  expect_exit({"import", file, "-o", tmp / "out"}, 0);
  ProcessResult again = expect_exit({"import", file, "-o", tmp / "out"}, 2);
  CHECK_THAT(again.err, Contains("tiny.yaml: error: exists") && Contains("--force"));
  expect_exit({"import", file, "-o", tmp / "out", "--force", "--loss", "MSE"}, 0);
  ProcessResult loss = expect_exit({"import", file, "-o", tmp / "x", "--loss", "hinge"}, 2);
  CHECK_THAT(loss.err, Contains("--loss 'hinge'") && Contains("CrossEntropy") && Contains("SVM"));
  ProcessResult labels =
      expect_exit({"import", file, "-o", tmp / "y", "--loss", "svm", "--labels", "10"}, 2);
  CHECK_THAT(labels.err, Contains("--labels 10") && Contains("[3]"));
}

namespace {

double percent_after(const std::string& text, const std::string& label) {
  const size_t at = text.rfind(label);
  REQUIRE(at != std::string::npos);
  return std::stod(text.substr(at + label.size()));
}

// PyTorch fixture `name` (tests/onnx/fixtures) imported with a cross-entropy loss, evaluated,
// and fine-tuned for one epoch (Adam, lr 1e-4, the import's train section).
struct FineTuned {
  double pytorch_accuracy = 0;
  std::string graph, weights;
  ProcessResult eval, tuned;
};

FineTuned import_and_fine_tune(const std::string& name, const TempDir& tmp) {
  const std::string fixture = source_path("tests/onnx/fixtures/" + name);
  gradflow::Metadata meta;
  gradflow::decode_safetensors(gradflow::read_file(fixture + ".safetensors"), fixture, &meta);
  FineTuned f;
  f.pytorch_accuracy = std::stod(meta.at("pytorch_test_accuracy"));
  expect_exit({"import", fixture + ".onnx", "-o", tmp / name, "--loss", "cross-entropy", "--labels",
               "10", "--data", "mnist"},
              0);
  f.graph = tmp / (name + "/torch_jit.yaml");
  f.weights = tmp / (name + "/model.safetensors");
  f.eval = expect_exit({"eval", f.graph, "--weights", f.weights}, 0);
  f.tuned = expect_exit(
      {"train", f.graph, "--weights", f.weights, "--epochs", "1", "--out", tmp / "tuned"}, 0);
  return f;
}

}  // namespace

TEST_CASE("a PyTorch MLP imports with a loss, evaluates to PyTorch's accuracy and fine-tunes",
          "[onnx]") {
  TempDir tmp;
  const FineTuned f = import_and_fine_tune("mlp", tmp);
  INFO(f.eval.out << f.tuned.out);
  // Both argmax the same float32 logits: at most a near-tie may differ (1 of 2,000 rows).
  CHECK(std::abs(percent_after(f.eval.out, "accuracy") - f.pytorch_accuracy) <= 0.05);
  CHECK(percent_after(f.tuned.out, "test accuracy") >= f.pytorch_accuracy - 1.0);
  CHECK(gradflow::read_file(tmp / "tuned/model.safetensors") != gradflow::read_file(f.weights));
}

TEST_CASE("PyTorch's LeNet-5 imports, evaluates to PyTorch's accuracy and fine-tunes", "[onnx]") {
  TempDir tmp;
  const FineTuned f = import_and_fine_tune("lenet5", tmp);
  INFO(f.eval.out << f.tuned.out);
  CHECK_THAT(gradflow::read_file(f.graph), Contains("op: Conv2D") && Contains("op: MaxPool2D"));
  CHECK(std::abs(percent_after(f.eval.out, "accuracy") - f.pytorch_accuracy) <= 0.05);
  // Training goes on from PyTorch's weights: the test loss falls.
  CHECK(percent_after(f.tuned.out, "test loss") < percent_after(f.eval.out, "\nloss"));
  CHECK(percent_after(f.tuned.out, "test accuracy") >= f.pytorch_accuracy - 1.0);
}

TEST_CASE("what a plugin's ONNX hooks hand over is checked", "[onnx]") {
  const std::string plugin = std::string(GRADFLOW_TEST_PLUGIN_DIR) + "/sloppy_onnx.so";
  TempDir tmp;
  ProcessResult out =
      expect_exit({"--plugin", plugin, "export", source_path("tests/plugins/graphs/sloppy.yaml"),
                   "-o", tmp / "s.onnx"},
                  2);
  CHECK_THAT(out.err, Contains("sloppy.yaml:8:5:") && Contains("'same' (op Sloppy") &&
                          Contains("input 'nowhere' is not defined yet"));
  CHECK_FALSE(std::filesystem::exists(tmp / "s.onnx"));

  onnx::ModelProto m = tiny_model();
  m.mutable_graph()->mutable_node(1)->set_op_type("Sin");
  const std::string file = tmp.write("sin.onnx", bytes_of(m));
  ProcessResult in = expect_exit({"--plugin", plugin, "import", file, "-o", tmp / "out"}, 2);
  CHECK_THAT(in.err, Contains("node 1 'act' (Sin) as gradflow Sloppy") &&
                         Contains("values for 'bogus', which the node does not have"));
}

TEST_CASE("ONNX Identity and Constant nodes only name values", "[onnx]") {
  onnx::ModelProto m = tiny_model();
  auto* g = m.mutable_graph();
  // The weight comes from a Constant node, and an Identity passes the result on.
  onnx::NodeProto* constant = add_node(g, "Constant", "const", {}, {"Wc"});
  auto* value = constant->add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  *value->mutable_t() = g->initializer(0);
  g->mutable_node()->SwapElements(0, 2);  // Constant first, then Relu, Gemm
  g->mutable_node()->SwapElements(1, 2);  // Constant, Gemm, Relu
  g->mutable_node(1)->set_input(1, "Wc");
  g->mutable_node(2)->set_output(0, "r");
  add_node(g, "Identity", "same", {"r"}, {"y"});
  TempDir tmp;
  expect_exit({"import", tmp.write("m.onnx", bytes_of(m)), "-o", tmp / "out"}, 0);
  const std::string yaml = gradflow::read_file(tmp / "out/tiny.yaml");
  CHECK_THAT(yaml, Contains("{name: dense, op: Linear, inputs: [x], out_features: 3") &&
                       Contains("{name: act, op: ReLU, inputs: [dense]}") &&
                       Contains("predict: act"));
}

TEST_CASE("a node named like a parameter keeps its value apart from the initializer", "[onnx]") {
  TempDir tmp;
  const std::string graph = tmp.write("clash.yaml", R"(format: gradflow/1
name: clash
inputs:
  x: {shape: [2]}
nodes:
  - {name: hidden, op: Linear, inputs: [x], out_features: 3, init: {normal: 0.5}}
  - {name: hidden.weight, op: Tanh, inputs: [hidden]}
predict: hidden.weight
)");
  expect_exit({"export", graph, "-o", tmp / "m.onnx"}, 0);
  onnx::ModelProto m = read_model(tmp / "m.onnx");
  CHECK(m.graph().initializer(0).name() == "hidden.weight_2");
  CHECK(m.graph().node(0).input(1) == "hidden.weight_2");
  CHECK(m.graph().output(0).name() == "hidden.weight");
  expect_exit({"import", tmp / "m.onnx", "-o", tmp / "back"}, 0);
  const std::string csv = points_csv(tmp);
  ProcessResult again = expect_exit({"predict", tmp / "back/clash.yaml", "--weights",
                                     tmp / "back/model.safetensors", "--input", csv},
                                    0);
  CHECK(again.out.find("nan") == std::string::npos);
}
