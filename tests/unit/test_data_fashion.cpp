#include <gradflow/datasets.hpp>

#include "unit/test_data_support.hpp"

#include <algorithm>
#include <filesystem>

using Catch::Matchers::Contains;

namespace {
const std::string kFolder = "/usr/share/datasets/fashion-mnist/";
bool installed() {
  return std::filesystem::exists(kFolder + "t10k-labels-idx1-ubyte.gz");
}
}  // namespace

TEST_CASE("fashion-mnist: the Debian package's files, 60000/10000", "[data][fashion][real]") {
  if (!installed()) {
    WARN("dataset-fashion-mnist is not installed; run tools/setup.sh --data");
    auto message = gradflow::test::input_error_of(
        [] { gradflow::load_dataset(YAML::Load("{dataset: fashion-mnist}"), ".", "g.yaml"); });
    CHECK_THAT(message, Contains("tools/setup.sh --data") && Contains("dataset-fashion-mnist"));
    return;
  }
  auto d = gradflow::load_dataset(YAML::Load("{dataset: fashion-mnist}"), ".", "g.yaml");
  CHECK(d.name == "fashion-mnist");
  CHECK(d.classes == 10);
  REQUIRE(d.class_names.size() == 10);
  CHECK(d.class_names[0] == "T-shirt/top");
  CHECK(d.class_names[9] == "Ankle boot");
  CHECK(d.train.size == 60000);
  CHECK(d.test.size == 10000);
  CHECK(d.train.feature_shape == std::vector<int64_t>{784});
  // Pixels stay bytes (47 MiB rather than 188 MiB as floats for the training images).
  CHECK(d.train.x.empty());
  CHECK(d.train.pixels.size() == 60000u * 784);
  CHECK(d.test.pixels.size() == 10000u * 784);
  auto [lo, hi] = std::minmax_element(d.test.pixels.begin(), d.test.pixels.end());
  CHECK(d.test.feature(lo - d.test.pixels.begin()) == 0.0f);
  CHECK(d.test.feature(hi - d.test.pixels.begin()) == 1.0f);
  // Fashion-MNIST is balanced by construction: 6000 and 1000 images per class.
  std::vector<int> train_counts(10), test_counts(10);
  for (auto l : d.train.labels) ++train_counts.at(l);
  for (auto l : d.test.labels) ++test_counts.at(l);
  CHECK(train_counts == std::vector<int>(10, 6000));
  CHECK(test_counts == std::vector<int>(10, 1000));
}

TEST_CASE("fashion-mnist: train_limit and test_limit take the first N", "[data][fashion][real]") {
  if (!installed()) {
    WARN("dataset-fashion-mnist is not installed; run tools/setup.sh --data");
    return;
  }
  auto small = gradflow::load_dataset(
      YAML::Load("{dataset: fashion-mnist, train_limit: 100, test_limit: 10}"), ".", "g.yaml");
  CHECK(small.train.size == 100);
  CHECK(small.train.feature_count() == 100u * 784);
  CHECK(small.test.labels.size() == 10);
  auto full = gradflow::load_idx(kFolder + "t10k-images-idx3-ubyte.gz",
                                 kFolder + "t10k-labels-idx1-ubyte.gz");
  CHECK(std::equal(small.test.pixels.begin(), small.test.pixels.end(), full.pixels.begin()));
  CHECK(std::equal(small.test.labels.begin(), small.test.labels.end(), full.labels.begin()));
}
