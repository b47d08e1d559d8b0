// Models exported by PyTorch (tests/onnx/fixtures, made by tools/onnx/make_fixtures.py)
// imported through the library and run: PyTorch's outputs within 1e-5.
#include "unit/graph_test_support.hpp"

#include <gradflow/atomic_file.hpp>
#include <gradflow/onnx_convert.hpp>
#include <gradflow/safetensors.hpp>

#include <algorithm>
#include <cmath>

using namespace gradflow;
using namespace gradflow::test;

namespace {

const NamedTensor& find_tensor(const std::vector<NamedTensor>& tensors, const std::string& name) {
  auto it = std::find_if(tensors.begin(), tensors.end(),
                         [&](const NamedTensor& t) { return t.name == name; });
  REQUIRE(it != tensors.end());
  return *it;
}

// Imports fixture `name`, runs its recorded inputs and returns the largest difference to
// PyTorch's outputs, relative for values above 1.
double largest_difference(const std::string& name) {
  const std::string dir = std::string(GRADFLOW_TEST_DIR) + "/onnx/fixtures/";
  auto registry = builtin_registry();
  ImportedModel imported =
      import_onnx(read_file(dir + name + ".onnx"), name + ".onnx", *registry, {});
  const auto fixture = decode_safetensors(read_file(dir + name + ".safetensors"), name);
  const NamedTensor& input = find_tensor(fixture, "input");
  const NamedTensor& expected = find_tensor(fixture, "logits");
  const int64_t rows = input.shape[0];

  auto model = plan_text(imported.yaml, *registry);
  model->allocate(rows);
  for (const auto& t : model->file_tensors()) {
    const NamedTensor& values = find_tensor(imported.tensors, *t.name);
    REQUIRE(values.shape == *t.shape);
    std::copy(values.data.begin(), values.data.end(), t.value->data());
  }
  model->values()[model->input_value("x")].external = input.data.data();
  model->forward(rows);
  const Value& out = model->values()[model->predict_value()];
  REQUIRE(out.data.sample_size() * rows == static_cast<int64_t>(expected.data.size()));
  double worst = 0;
  for (size_t i = 0; i < expected.data.size(); ++i) {
    const double e = expected.data[i];
    worst = std::max(worst, std::abs(out.data.data()[i] - e) / std::max(1.0, std::abs(e)));
  }
  return worst;
}

}  // namespace

TEST_CASE("a PyTorch MLP (Gemm, Relu, MatMul + Add) gives PyTorch's outputs within 1e-5",
          "[onnx]") {
  const double worst = largest_difference("mlp");
  INFO("largest difference " << worst);
  CHECK(worst <= 1e-5);
}

TEST_CASE("PyTorch's LeNet-5 (Conv, MaxPool, Flatten, Gemm) gives PyTorch's outputs within 1e-5",
          "[onnx]") {
  const double worst = largest_difference("lenet5");
  INFO("largest difference " << worst);
  CHECK(worst <= 1e-5);
}
