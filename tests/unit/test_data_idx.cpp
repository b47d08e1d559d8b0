#include <gradflow/datasets.hpp>

#include "unit/test_data_support.hpp"

using Catch::Matchers::Contains;
using gradflow::load_idx;
using gradflow::test::gzip_stored;
using gradflow::test::idx_bytes;
using gradflow::test::input_error_of;
using gradflow::test::TempDir;

namespace {

constexpr uint32_t kImages = 0x00000803;
constexpr uint32_t kLabels = 0x00000801;

// Three 2x3 images with pixel values 0, 1, ..., 17 (scaled by 15 to span the byte range)
// and labels 2, 0, 1.
std::string good_images() {
  std::string pixels;
  for (int i = 0; i < 18; ++i) pixels += static_cast<char>(i * 15);
  return idx_bytes(kImages, {3, 2, 3}, pixels);
}
std::string good_labels() {
  return idx_bytes(kLabels, {3}, std::string("\x02\x00\x01", 3));
}

}  // namespace

TEST_CASE("idx: plain files load with pixels scaled to [0, 1]", "[data][idx]") {
  TempDir dir;
  auto split = load_idx(dir.write("img", good_images()), dir.write("lbl", good_labels()));
  CHECK(split.size == 3);
  CHECK(split.feature_shape == std::vector<int64_t>{6});
  // Kept as bytes; the features are those bytes scaled, exactly as parse_idx_images scales.
  CHECK(split.x.empty());
  CHECK_FALSE(split.has_float_features());
  REQUIRE(split.feature_count() == 18);
  for (int i = 0; i < 18; ++i) CHECK(split.pixels[i] == i * 15);
  for (int i = 0; i < 18; ++i) CHECK(split.feature(i) == Approx(i * 15 / 255.0));
  CHECK(split.feature(17) == 1.0f);
  std::vector<float> row(6);
  split.copy_features(2, row.data());
  for (int j = 0; j < 6; ++j) CHECK(row[j] == split.feature(12 + j));
  CHECK(split.features() == gradflow::parse_idx_images(good_images(), "mem", nullptr, nullptr));
  CHECK(split.labels == std::vector<int32_t>{2, 0, 1});
}

TEST_CASE("idx: gzipped files are detected by content, not by name", "[data][idx]") {
  TempDir dir;
  auto plain = load_idx(dir.write("a", good_images()), dir.write("b", good_labels()));
  // No .gz suffix on purpose; and a plain file named .gz must still load.
  auto gz = load_idx(dir.write("c", gzip_stored(good_images())),
                     dir.write("d", gzip_stored(good_labels())));
  auto misnamed = load_idx(dir.write("e.gz", good_images()), dir.write("f.gz", good_labels()));
  CHECK(gz.pixels == plain.pixels);
  CHECK(gz.labels == plain.labels);
  CHECK(misnamed.pixels == plain.pixels);
}

TEST_CASE("idx: a gzip file of several members loads", "[data][idx]") {
  TempDir dir;
  std::string bytes = good_images();
  std::string two = gzip_stored(bytes.substr(0, 10)) + gzip_stored(bytes.substr(10));
  auto split = load_idx(dir.write("img.gz", two), dir.write("lbl", good_labels()));
  CHECK(split.size == 3);
}

TEST_CASE("idx: corrupt files give errors naming the file and the problem", "[data][idx]") {
  TempDir dir;
  std::string labels = dir.write("labels", good_labels());
  const auto error_for_images = [&](const std::string& name, const std::string& bytes) {
    std::string path = dir.write(name, bytes);
    std::string message = input_error_of([&] { load_idx(path, labels); });
    CHECK_THAT(message, Contains(path));
    return message;
  };

  SECTION("empty") {
    CHECK_THAT(error_for_images("empty", ""), Contains("empty"));
  }
  SECTION("shorter than the magic number") {
    CHECK_THAT(error_for_images("short", std::string("\0\0", 2)), Contains("too short"));
  }
  SECTION("bad magic") {
    std::string bytes = good_images();
    bytes[0] = 'P';  // e.g. a PNG or text file
    CHECK_THAT(error_for_images("magic", bytes),
               Contains("bad magic number") && Contains("0x00000803"));
  }
  SECTION("a label file where images are expected") {
    CHECK_THAT(error_for_images("swapped", good_labels()),
               Contains("bad magic number 0x00000801") && Contains("dimensions"));
  }
  SECTION("unsupported data type") {
    CHECK_THAT(error_for_images("float", idx_bytes(0x00000D03, {1, 1, 1}, "abcd")),
               Contains("data type 0x0D"));
  }
  SECTION("truncated header") {
    CHECK_THAT(error_for_images("header", idx_bytes(kImages, {3}, "")),
               Contains("truncated IDX header"));
  }
  SECTION("truncated pixels: expected and actual sizes") {
    std::string bytes = good_images();
    bytes.resize(bytes.size() - 5);
    CHECK_THAT(error_for_images("truncated", bytes),
               Contains("truncated") && Contains("34") && Contains("29"));
  }
  SECTION("trailing bytes") {
    CHECK_THAT(error_for_images("long", good_images() + "xx"),
               Contains("longer than its header says") && Contains("2 extra"));
  }
  SECTION("zero images") {
    CHECK_THAT(error_for_images("zero", idx_bytes(kImages, {0, 2, 3}, "")), Contains("no images"));
  }
  SECTION("zero-sized image") {
    CHECK_THAT(error_for_images("zerodim", idx_bytes(kImages, {3, 0, 3}, "")),
               Contains("dimension 1"));
  }
  SECTION("absurd header on a tiny file is refused without allocating") {
    CHECK_THAT(
        error_for_images("absurd", idx_bytes(kImages, {0xffffffff, 0xffffffff, 0xffff}, "x")),
        Contains("overflow"));
    CHECK_THAT(error_for_images("huge", idx_bytes(kImages, {0x7fffffff, 28, 28}, "x")),
               Contains("truncated"));
  }
  SECTION("gzip garbage") {
    CHECK_THAT(error_for_images("garbage.gz", std::string("\x1f\x8bgarbage, not deflate")),
               Contains("gzip"));
  }
  SECTION("truncated gzip") {
    std::string gz = gzip_stored(good_images());
    gz.resize(gz.size() - 12);
    CHECK_THAT(error_for_images("cut.gz", gz), Contains("truncated gzip"));
  }
  SECTION("gzip with a wrong checksum") {
    std::string gz = gzip_stored(good_images());
    gz[gz.size() - 8] ^= 0x55;
    CHECK_THAT(error_for_images("crc.gz", gz), Contains("corrupt gzip"));
  }
  SECTION("gzip with trailing junk") {
    CHECK_THAT(error_for_images("junk.gz", gzip_stored(good_images()) + "junk"),
               Contains("after the end of the compressed stream"));
  }
  SECTION("gzip whose content is truncated IDX: sizes in decompressed bytes") {
    std::string bytes = good_images();
    bytes.resize(bytes.size() - 1);
    CHECK_THAT(error_for_images("short.gz", gzip_stored(bytes)),
               Contains("truncated IDX file") && Contains("decompressed"));
  }
  SECTION("gzip whose content is longer than the header") {
    CHECK_THAT(error_for_images("long.gz", gzip_stored(good_images() + "x")),
               Contains("longer than its header says"));
  }
  SECTION("a directory") {
    std::string message = input_error_of([&] { load_idx(dir.path(), labels); });
    CHECK_THAT(message, Contains(dir.path()) && Contains("directory"));
  }
  SECTION("a missing file") {
    std::string missing = dir.file("nope");
    CHECK_THAT(input_error_of([&] { load_idx(missing, labels); }), Contains(missing));
  }
}

TEST_CASE("idx: label file problems and count mismatch", "[data][idx]") {
  TempDir dir;
  std::string images = dir.write("images", good_images());
  SECTION("more labels than images: both files named, both counts") {
    std::string path = dir.write("lbl4", idx_bytes(kLabels, {4}, std::string(4, '\0')));
    std::string message = input_error_of([&] { load_idx(images, path); });
    CHECK_THAT(message,
               Contains(path) && Contains(images) && Contains("4 labels") && Contains("3 images"));
  }
  SECTION("labels with image dimensions") {
    std::string path = dir.write("lbl3d", good_images());
    CHECK_THAT(input_error_of([&] { load_idx(images, path); }),
               Contains(path) && Contains("0x00000803"));
  }
  SECTION("truncated labels") {
    std::string path = dir.write("lblcut", idx_bytes(kLabels, {3}, std::string(2, '\0')));
    CHECK_THAT(input_error_of([&] { load_idx(images, path); }),
               Contains(path) && Contains("truncated"));
  }
}

TEST_CASE("idx: parse functions work on bytes in memory", "[data][idx]") {
  int64_t count = 0;
  std::vector<int64_t> shape;
  auto pixels = gradflow::parse_idx_images(good_images(), "mem", &count, &shape);
  CHECK(count == 3);
  CHECK(shape == std::vector<int64_t>{6});
  CHECK(pixels.size() == 18);
  CHECK(gradflow::parse_idx_labels(gzip_stored(good_labels()), "mem") ==
        std::vector<int32_t>{2, 0, 1});
  CHECK_THAT(input_error_of([] { gradflow::parse_idx_labels("\x1f\x8b", "in-memory"); }),
             Contains("in-memory") && Contains("truncated gzip"));
}
