#include <gradflow/datasets.hpp>

#include "unit/test_data_support.hpp"

using Catch::Matchers::Contains;
using gradflow::load_dataset;
using gradflow::test::idx_bytes;
using gradflow::test::input_error_of;
using gradflow::test::ScopedEnv;
using gradflow::test::TempDir;

namespace {
gradflow::Dataset load(const std::string& yaml, const std::string& base = ".") {
  return load_dataset(YAML::Load(yaml), base, "g.yaml");
}
std::string error_of(const std::string& yaml, const std::string& base = ".") {
  return input_error_of([&] { load(yaml, base); });
}
}  // namespace

TEST_CASE("load_dataset: circles with options matches make_circles", "[data][registry]") {
  auto d = load(
      "dataset: circles\nseed: 7\ntrain_size: 50\ntest_size: 20\nnoise: 0.05\n"
      "factor: 0.3\nbind: {x: x}\n");
  gradflow::CirclesOptions o;
  o.seed = 7;
  o.train_size = 50;
  o.test_size = 20;
  o.noise = 0.05;
  o.factor = 0.3;
  auto expected = gradflow::make_circles(o);
  CHECK(d.train.x == expected.train.x);
  CHECK(d.test.labels == expected.test.labels);
  CHECK(d.train.size == 50);
  // `data: circles` is shorthand for the defaults.
  CHECK(load("circles").train.x == gradflow::make_circles({}).train.x);
  // The seed may use the whole unsigned 64-bit range.
  CHECK(load("{dataset: circles, seed: 18446744073709551615}").train.size == 200);
}

TEST_CASE("load_dataset: unknown data sets and keys, with suggestions and positions",
          "[data][registry]") {
  CHECK_THAT(error_of("\ndataset: circels\n"),
             Contains("g.yaml:2:10: error: unknown data set 'circels'") &&
                 Contains("did you mean 'circles'") && Contains("fashion-mnist") &&
                 Contains("csv"));
  CHECK_THAT(error_of("dataset: fashion_mnist"), Contains("did you mean 'fashion-mnist'"));
  CHECK_THAT(error_of("seed: 3"), Contains("no 'dataset' key") && Contains("circles"));
  CHECK_THAT(error_of("[1, 2]"), Contains("must be a mapping"));
  CHECK_THAT(error_of("dataset: [circles]"), Contains("'dataset' must be a name"));
  auto m = error_of("dataset: circles\nnosie: 0.2\nseeed: 1\n");
  CHECK_THAT(m, Contains("g.yaml:2:1: error: unknown key 'nosie' for data set 'circles' (did "
                         "you mean 'noise'?)") &&
                    Contains("g.yaml:3:1:") && Contains("'seed'"));
  CHECK_THAT(error_of("dataset: csv\ntrain_images: a\n"),
             Contains("unknown key 'train_images' for data set 'csv'"));
}

TEST_CASE("load_dataset: circles values are checked at their line", "[data][registry]") {
  auto m = error_of(
      "dataset: circles\ntrain_size: 1\ntest_size: abc\nnoise: -0.5\nfactor: 1.5\nseed: -3\n");
  CHECK_THAT(m, Contains("g.yaml:2:13: error: 'train_size' must be between 2 and 10000000") &&
                    Contains("g.yaml:3:12: error: 'test_size' must be an integer, got 'abc'") &&
                    Contains("g.yaml:4:8: error: 'noise'") &&
                    Contains("g.yaml:5:9: error: 'factor'") &&
                    Contains("g.yaml:6:7: error: 'seed'"));
  CHECK_THAT(error_of("dataset: circles\nnoise: .nan\n"),
             Contains("g.yaml:2:8") && Contains("finite"));
  CHECK_THAT(error_of("dataset: circles\ntrain_size: 10000001\n"), Contains("g.yaml:2:13"));
  CHECK_THAT(error_of("dataset: circles\ntrain_size: 99999999999999999999999\n"),
             Contains("g.yaml:2:13"));
  CHECK_THAT(error_of("dataset: circles\nnoise: [1]\n"), Contains("'noise' must be a number"));
}

TEST_CASE("load_dataset: csv paths are relative to the graph's folder", "[data][registry]") {
  TempDir dir;
  dir.write("d/train.csv", "a,b,y\n1,2,0\n3,4,2\n");
  dir.write("d/test.csv", "a,b,y\n5,6,1\n");
  auto d = load("{dataset: csv, train: d/train.csv, test: d/test.csv, label: y}", dir.path());
  CHECK(d.classes == 3);
  CHECK(d.train.size == 2);
  CHECK(d.test.x == std::vector<float>{5, 6});

  CHECK_THAT(error_of("dataset: csv\ntrain: d/train.csv\ntest: d/nope.csv\nlabel: y\n", dir.path()),
             Contains("g.yaml:3:7: error: 'test': no such file") && Contains("nope.csv"));
  CHECK_THAT(error_of("dataset: csv\ntest: d/test.csv\n", dir.path()), Contains("missing 'train'"));
  dir.write("d/wide.csv", "a,b,c,y\n1,2,3,0\n");
  CHECK_THAT(error_of("{dataset: csv, train: d/train.csv, test: d/wide.csv, label: y}", dir.path()),
             Contains("wide.csv") && Contains("3 feature columns") && Contains("has 2"));
}

TEST_CASE("load_dataset: idx files by path", "[data][registry]") {
  TempDir dir;
  dir.write("ti", idx_bytes(0x803, {2, 1, 2}, std::string("\x00\xff\x10\x20", 4)));
  dir.write("tl", idx_bytes(0x801, {2}, std::string("\x04\x01", 2)));
  dir.write("vi", idx_bytes(0x803, {1, 1, 2}, std::string("\x01\x02", 2)));
  dir.write("vl", idx_bytes(0x801, {1}, std::string("\x00", 1)));
  dir.write("wide", idx_bytes(0x803, {1, 1, 3}, std::string("\x01\x02\x03", 3)));
  auto d = load(
      "{dataset: idx, train_images: ti, train_labels: tl, test_images: vi, "
      "test_labels: vl}",
      dir.path());
  CHECK(d.classes == 5);
  CHECK(d.train.size == 2);
  CHECK(d.train.feature(1) == 1.0f);
  CHECK(d.test.labels == std::vector<int32_t>{0});
  CHECK_THAT(error_of("{dataset: idx, train_images: ti, train_labels: tl, test_images: wide, "
                      "test_labels: vl}",
                      dir.path()),
             Contains("wide") && Contains("3 pixels"));
  auto m = error_of("dataset: idx\ntrain_images: ti\n", dir.path());
  CHECK_THAT(m, Contains("missing 'train_labels'") && Contains("missing 'test_images'") &&
                    Contains("missing 'test_labels'"));
  CHECK_THAT(error_of("{dataset: idx, train_images: ti, train_labels: tl, test_images: vi, "
                      "test_labels: vl, train_limit: 0}",
                      dir.path()),
             Contains("'train_limit' must be at least 1"));
}

TEST_CASE("data_cache_dir: GRADFLOW_DATA_DIR, then XDG_CACHE_HOME, then HOME", "[data]") {
  ScopedEnv home("HOME", "/home/someone");
  {
    ScopedEnv a("GRADFLOW_DATA_DIR", "/data/here");
    ScopedEnv b("XDG_CACHE_HOME", "/xdg");
    CHECK(gradflow::data_cache_dir() == "/data/here");
  }
  {
    ScopedEnv a("GRADFLOW_DATA_DIR", std::nullopt);
    ScopedEnv b("XDG_CACHE_HOME", "/xdg");
    CHECK(gradflow::data_cache_dir() == "/xdg/gradflow");
  }
  {
    ScopedEnv a("GRADFLOW_DATA_DIR", "");
    ScopedEnv b("XDG_CACHE_HOME", std::nullopt);
    CHECK(gradflow::data_cache_dir() == "/home/someone/.cache/gradflow");
  }
}

TEST_CASE("load_dataset: a key given twice is refused with both positions", "[data][registry]") {
  // yaml-cpp keeps both entries and a lookup finds one: the seed (or the CSV file) actually
  // used would be a guess. Graph files are checked when parsed; this is every other caller.
  auto m = error_of("dataset: circles\nseed: 0\ntrain_size: 50\nseed: 7\n");
  CHECK_THAT(m, Contains("g.yaml:4:1") && Contains("duplicate key 'seed' in 'data'") &&
                    Contains("first at line 2, column 1"));
  // Before the data set is looked up: the two `dataset` values disagree on which loader runs.
  auto d = error_of("{dataset: nonsense, dataset: circles}");
  CHECK_THAT(d, Contains("duplicate key 'dataset'") && !Contains("unknown data set"));
}
