// Zalando's Fashion-MNIST, from the Debian package dataset-fashion-mnist (60,000 training and
// 10,000 test images of 28 x 28 pixels, gzipped IDX files).
#include "data_internal.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace gradflow::data_detail {
namespace {

constexpr const char* kFolder = "/usr/share/datasets/fashion-mnist";

void check_labels(const Split& split, const std::string& path) {
  for (size_t i = 0; i < split.labels.size(); ++i) {
    if (split.labels[i] >= 10) {
      throw InputError(SourceLocation{path, 0, 0},
                       fmt::format("label {} of sample {} is not a Fashion-MNIST class (0-9)",
                                   split.labels[i], i));
    }
  }
}

}  // namespace

Dataset load_fashion_mnist_spec(const YAML::Node& spec, const std::string& source) {
  DiagnosticList errors;
  Limits limits = read_limits(spec, source, errors);
  errors.throw_if_any();

  const auto file = [](const char* name) { return std::string(kFolder) + "/" + name; };
  const std::string train_images = file("train-images-idx3-ubyte.gz");
  const std::string train_labels = file("train-labels-idx1-ubyte.gz");
  const std::string test_images = file("t10k-images-idx3-ubyte.gz");
  const std::string test_labels = file("t10k-labels-idx1-ubyte.gz");
  for (const auto& path : {train_images, train_labels, test_images, test_labels}) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      throw InputError(yaml_location(source, spec["dataset"]),
                       "fashion-mnist is not installed (no " + path +
                           "): run `tools/setup.sh --data` (installs Debian package "
                           "dataset-fashion-mnist)");
    }
  }
  Dataset d;
  d.name = "fashion-mnist";
  d.classes = 10;
  d.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  d.train = load_idx(train_images, train_labels);
  d.test = load_idx(test_images, test_labels);
  check_labels(d.train, train_labels);
  check_labels(d.test, test_labels);
  apply_limits(d, limits);
  return d;
}

}  // namespace gradflow::data_detail
