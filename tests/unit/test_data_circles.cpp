#include <gradflow/datasets.hpp>

#include "unit/test_data_support.hpp"

#include <cmath>

using Catch::Matchers::Contains;
using gradflow::CirclesOptions;
using gradflow::make_circles;
using gradflow::Split;

namespace {

double mean_radius(const Split& s, int32_t label) {
  double sum = 0;
  int n = 0;
  for (int64_t i = 0; i < s.size; ++i) {
    if (s.labels[i] != label) continue;
    sum += std::hypot(s.x[2 * i], s.x[2 * i + 1]);
    ++n;
  }
  return n ? sum / n : -1;
}

int64_t count_label(const Split& s, int32_t label) {
  int64_t n = 0;
  for (auto l : s.labels) n += l == label;
  return n;
}

}  // namespace

TEST_CASE("circles: default sizes, shape and classes", "[data][circles]") {
  auto d = make_circles({});
  CHECK(d.name == "circles");
  CHECK(d.classes == 2);
  for (const Split* s : {&d.train, &d.test}) {
    CHECK(s->size == 200);
    CHECK(s->feature_shape == std::vector<int64_t>{2});
    CHECK(s->x.size() == 400);
    CHECK(s->labels.size() == 200);
    CHECK(count_label(*s, 0) == 100);
    CHECK(count_label(*s, 1) == 100);
  }
}

TEST_CASE("circles: custom sizes, odd sizes split into near-equal halves", "[data][circles]") {
  CirclesOptions o;
  o.train_size = 31;
  o.test_size = 8;
  auto d = make_circles(o);
  CHECK(d.train.size == 31);
  CHECK(d.train.x.size() == 62);
  CHECK(count_label(d.train, 0) == 15);
  CHECK(count_label(d.train, 1) == 16);
  CHECK(d.test.size == 8);
  CHECK(count_label(d.test, 0) == 4);
}

TEST_CASE("circles: same seed gives identical floats, another seed different ones",
          "[data][circles]") {
  CirclesOptions o;
  o.seed = 42;
  auto a = make_circles(o);
  auto b = make_circles(o);
  CHECK(a.train.x == b.train.x);
  CHECK(a.train.labels == b.train.labels);
  CHECK(a.test.x == b.test.x);
  o.seed = 43;
  auto c = make_circles(o);
  CHECK(a.train.x != c.train.x);
  CHECK(a.test.x != c.test.x);
}

TEST_CASE("circles: train and test are different points", "[data][circles]") {
  auto d = make_circles({});
  CHECK(d.train.x != d.test.x);
  // No test point coincides with a training point.
  int shared = 0;
  for (int64_t i = 0; i < d.test.size; ++i) {
    for (int64_t j = 0; j < d.train.size; ++j) {
      shared += d.test.x[2 * i] == d.train.x[2 * j] && d.test.x[2 * i + 1] == d.train.x[2 * j + 1];
    }
  }
  CHECK(shared == 0);
}

TEST_CASE("circles: points are shuffled, not grouped by class", "[data][circles]") {
  auto d = make_circles({});
  int changes = 0;
  for (size_t i = 1; i < d.train.labels.size(); ++i) {
    changes += d.train.labels[i] != d.train.labels[i - 1];
  }
  // Sorted by class there would be one change; a random order has about 100.
  CHECK(changes > 50);
}

TEST_CASE("circles: radii follow the outer circle and the factor", "[data][circles]") {
  CirclesOptions o;
  o.train_size = 4000;
  auto d = make_circles(o);
  CHECK(mean_radius(d.train, 0) == Approx(1.0).margin(0.03));
  CHECK(mean_radius(d.train, 1) == Approx(0.5).margin(0.03));
  o.factor = 0.3;
  o.noise = 0.0;
  auto exact = make_circles(o);
  for (int64_t i = 0; i < exact.train.size; ++i) {
    double r = std::hypot(exact.train.x[2 * i], exact.train.x[2 * i + 1]);
    CHECK(r == Approx(exact.train.labels[i] == 0 ? 1.0 : 0.3).margin(1e-6));
  }
}

TEST_CASE("circles: noise has the requested standard deviation", "[data][circles]") {
  CirclesOptions o;
  o.train_size = 20000;
  o.noise = 0.2;
  auto noisy = make_circles(o);
  // Radial spread of the outer circle: with small noise the radius' std is close to `noise`.
  double sum = 0, sum2 = 0;
  int n = 0;
  for (int64_t i = 0; i < noisy.train.size; ++i) {
    if (noisy.train.labels[i] != 0) continue;
    double r = std::hypot(noisy.train.x[2 * i], noisy.train.x[2 * i + 1]);
    sum += r;
    sum2 += r * r;
    ++n;
  }
  double mean = sum / n;
  double sd = std::sqrt(sum2 / n - mean * mean);
  CHECK(sd == Approx(0.2).margin(0.02));
}

TEST_CASE("circles: invalid options are InputErrors", "[data][circles]") {
  CirclesOptions o;
  o.train_size = 1;
  CHECK_THAT(gradflow::test::input_error_of([&] { make_circles(o); }), Contains("train_size"));
  o = {};
  o.test_size = 10'000'001;
  CHECK_THAT(gradflow::test::input_error_of([&] { make_circles(o); }), Contains("test_size"));
  o = {};
  o.noise = -0.1;
  CHECK_THAT(gradflow::test::input_error_of([&] { make_circles(o); }), Contains("noise"));
  o.noise = NAN;
  CHECK_THAT(gradflow::test::input_error_of([&] { make_circles(o); }), Contains("noise"));
  o = {};
  o.factor = 1.0;
  CHECK_THAT(gradflow::test::input_error_of([&] { make_circles(o); }), Contains("factor"));
  o.factor = 0.0;
  CHECK_THAT(gradflow::test::input_error_of([&] { make_circles(o); }), Contains("factor"));
}
