// The practical's toy problem: two noisy concentric circles (like scikit-learn's make_circles).
#include <gradflow/random.hpp>
#include "data_internal.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

namespace gradflow {
namespace {

// As in make_circles: the first half (rounded down) is the outer circle, class 0, the rest
// the inner one, class 1; angles are evenly spaced (endpoint excluded), noise is Gaussian on
// each coordinate, then the points are shuffled. Coordinates are computed in double and
// stored as float.
Split generate_split(int64_t size, double noise, double factor, uint64_t stream_seed) {
  Random rng(stream_seed);
  int64_t outer = size / 2;
  int64_t inner = size - outer;
  struct Point {
    double x, y;
    int32_t label;
  };
  std::vector<Point> points;
  points.reserve(static_cast<size_t>(size));
  const auto add_circle = [&](int64_t n, double radius, int32_t label) {
    for (int64_t i = 0; i < n; ++i) {
      double angle = 2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n);
      points.push_back({radius * std::cos(angle), radius * std::sin(angle), label});
    }
  };
  add_circle(outer, 1.0, 0);
  add_circle(inner, factor, 1);
  for (auto& p : points) {
    p.x += noise * rng.normal();
    p.y += noise * rng.normal();
  }
  rng.shuffle(points);

  Split split;
  split.size = size;
  split.feature_shape = {2};
  split.x.reserve(static_cast<size_t>(2 * size));
  split.labels.reserve(static_cast<size_t>(size));
  for (const auto& p : points) {
    split.x.push_back(static_cast<float>(p.x));
    split.x.push_back(static_cast<float>(p.y));
    split.labels.push_back(p.label);
  }
  return split;
}

void check_options(const CirclesOptions& o) {
  const auto bad = [](const std::string& message) { throw InputError("circles: " + message); };
  if (o.train_size < 2 || o.train_size > data_detail::kMaxSamples) {
    bad(fmt::format("train_size must be between 2 and {}, got {}", data_detail::kMaxSamples,
                    o.train_size));
  }
  if (o.test_size < 2 || o.test_size > data_detail::kMaxSamples) {
    bad(fmt::format("test_size must be between 2 and {}, got {}", data_detail::kMaxSamples,
                    o.test_size));
  }
  if (!std::isfinite(o.noise) || o.noise < 0) {
    bad(fmt::format("noise must be a finite number >= 0, got {}", o.noise));
  }
  if (!std::isfinite(o.factor) || o.factor <= 0 || o.factor >= 1) {
    bad(fmt::format("factor must be between 0 and 1 (exclusive), got {}", o.factor));
  }
}

}  // namespace

Dataset make_circles(const CirclesOptions& options) {
  check_options(options);
  Dataset d;
  d.name = "circles";
  d.classes = 2;
  d.class_names = {"outer", "inner"};
  // Two independent streams derived from one seed, so train and test are different points
  // and changing test_size never changes the training set.
  d.train =
      generate_split(options.train_size, options.noise, options.factor, splitmix64(options.seed));
  d.test = generate_split(options.test_size, options.noise, options.factor,
                          splitmix64(options.seed ^ 0x7465737473706c74ULL));
  return d;
}

namespace data_detail {

Dataset load_circles_spec(const YAML::Node& spec, const std::string& source) {
  DiagnosticList errors;
  CirclesOptions o;
  for (const char* key : {"train_size", "test_size"}) {
    YAML::Node node = spec[key];
    if (!node) continue;
    auto v = yaml_integer(node, key, source, errors);
    if (!v) continue;
    if (*v < 2 || *v > kMaxSamples) {
      errors.error(yaml_location(source, node),
                   fmt::format("'{}' must be between 2 and {}, got {}", key, kMaxSamples, *v));
      continue;
    }
    (std::string(key) == "train_size" ? o.train_size : o.test_size) = *v;
  }
  if (YAML::Node node = spec["seed"]) {
    if (auto v = yaml_unsigned(node, "seed", source, errors)) o.seed = *v;
  }
  if (YAML::Node node = spec["noise"]) {
    if (auto v = yaml_number(node, "noise", source, errors)) {
      if (!std::isfinite(*v) || *v < 0) {
        errors.error(yaml_location(source, node),
                     fmt::format("'noise' must be a finite number >= 0, got {}", node.Scalar()));
      } else {
        o.noise = *v;
      }
    }
  }
  if (YAML::Node node = spec["factor"]) {
    if (auto v = yaml_number(node, "factor", source, errors)) {
      if (!std::isfinite(*v) || *v <= 0 || *v >= 1) {
        errors.error(yaml_location(source, node),
                     fmt::format("'factor' (inner radius / outer radius) must be between 0 and 1 "
                                 "(exclusive), got {}",
                                 node.Scalar()));
      } else {
        o.factor = *v;
      }
    }
  }
  errors.throw_if_any();
  return make_circles(o);
}

}  // namespace data_detail
}  // namespace gradflow
