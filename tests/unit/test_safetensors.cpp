#include <catch2/catch.hpp>

#include <gradflow/diagnostics.hpp>
#include <gradflow/safetensors.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

using gradflow::decode_safetensors;
using gradflow::encode_safetensors;
using gradflow::InputError;
using gradflow::Metadata;
using gradflow::NamedTensor;

namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

std::string le64(uint64_t n) {
  std::string s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>((n >> (8 * i)) & 0xFF);
  return s;
}

// A file assembled by hand, so corrupt-input tests do not depend on the encoder.
std::string make_file(const std::string& header, const std::string& buffer) {
  return le64(header.size()) + header + buffer;
}

std::string f32_bytes(std::initializer_list<float> values) {
  std::string s;
  for (float v : values) {
    uint32_t u = bits(v);
    for (int i = 0; i < 4; ++i) s += static_cast<char>((u >> (8 * i)) & 0xFF);
  }
  return s;
}

std::string entry(const std::string& name, const std::string& shape, uint64_t begin, uint64_t end,
                  const std::string& dtype = "F32") {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
}

// Decoding must fail with an InputError whose text starts with the source name and mentions
// `fragment`.
void expect_rejected(const std::string& bytes, const std::string& fragment) {
  INFO("expecting rejection mentioning: " << fragment);
  try {
    decode_safetensors(bytes, "bad.safetensors");
    FAIL("decoder accepted corrupt input");
  } catch (const InputError& e) {
    const std::string message = e.what();
    INFO("message: " << message);
    CHECK(message.rfind("bad.safetensors: ", 0) == 0);
    CHECK(message.find(fragment) != std::string::npos);
  }
}

void check_bit_identical(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].name == b[i].name);
    CHECK(a[i].shape == b[i].shape);
    REQUIRE(a[i].data.size() == b[i].data.size());
    for (size_t k = 0; k < a[i].data.size(); ++k) CHECK(bits(a[i].data[k]) == bits(b[i].data[k]));
  }
}

}  // namespace

TEST_CASE("safetensors round trip keeps names, shapes, order, bits and metadata", "[safetensors]") {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<NamedTensor> tensors = {
      {"z.weight", {2, 3}, {1.5f, -0.0f, inf, -inf, from_bits(0x7fc01234u), 1e-40f}},
      {"a.bias", {3}, {0.1f, 0.2f, 0.3f}},
      {"scalar", {}, {42.0f}},
      {"empty", {0, 4}, {}},
      {"w\xc3\xa9ird \"name\"\\/", {1, 1, 1}, {-7.25f}},
  };
  Metadata metadata = {{"graph", "xor"}, {"epoch", "12"}, {"note", "tab\there \"quoted\""}};

  const std::string bytes = encode_safetensors(tensors, metadata);
  Metadata read_metadata = {{"stale", "entry"}};
  const auto decoded = decode_safetensors(bytes, "rt.safetensors", &read_metadata);
  check_bit_identical(tensors, decoded);
  CHECK(read_metadata == metadata);

  SECTION("encoding is deterministic") {
    CHECK(encode_safetensors(tensors, metadata) == bytes);
    CHECK(encode_safetensors(decoded, read_metadata) == bytes);
  }
  SECTION("no metadata") {
    const auto plain = encode_safetensors(tensors, {});
    CHECK(plain.find("__metadata__") == std::string::npos);
    Metadata none = {{"x", "y"}};
    check_bit_identical(tensors, decode_safetensors(plain, "plain", &none));
    CHECK(none.empty());
  }
  SECTION("no tensors at all") {
    const auto nothing = encode_safetensors({}, {});
    CHECK(nothing.size() == 16);
    CHECK(decode_safetensors(nothing, "nothing").empty());
  }
}

TEST_CASE("safetensors header is padded to a multiple of 8 bytes", "[safetensors]") {
  for (size_t len = 1; len <= 17; ++len) {
    const std::string bytes = encode_safetensors({{std::string(len, 'n'), {1}, {1.0f}}}, {});
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    CHECK(n % 8 == 0);
    CHECK(bytes.size() == 8 + n + 4);
    const std::string header = bytes.substr(8, n);
    const size_t close = header.rfind('}');
    CHECK(header.find_first_not_of(' ', close + 1) == std::string::npos);
  }
}

TEST_CASE("safetensors layout matches a file built byte by byte", "[safetensors]") {
  // {"__metadata__":{"format":"pt"},"a":{...}} is 85 bytes, padded with 3 spaces to 88 = 0x58.
  const std::string json =
      "{\"__metadata__\":{\"format\":\"pt\"},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}   ";
  REQUIRE(json.size() == 88);
  std::string expected("\x58\0\0\0\0\0\0\0", 8);
  expected += json;
  // 1.0f = 0x3f800000 and -2.0f = 0xc0000000, least significant byte first.
  expected += std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);

  CHECK(encode_safetensors({{"a", {2}, {1.0f, -2.0f}}}, {{"format", "pt"}}) == expected);

  Metadata metadata;
  const auto tensors = decode_safetensors(expected, "known", &metadata);
  REQUIRE(tensors.size() == 1);
  CHECK(tensors[0].name == "a");
  CHECK(tensors[0].shape == std::vector<int64_t>{2});
  CHECK(tensors[0].data == std::vector<float>{1.0f, -2.0f});
  CHECK(metadata == Metadata{{"format", "pt"}});
}

TEST_CASE("safetensors decoder accepts what other writers may produce", "[safetensors]") {
  SECTION("tensors listed out of offset order come back in offset order") {
    const auto bytes =
        make_file("{" + entry("second", "[1]", 4, 8) + "," + entry("first", "[1]", 0, 4) + "}",
                  f32_bytes({1.0f, 2.0f}));
    const auto tensors = decode_safetensors(bytes, "x");
    REQUIRE(tensors.size() == 2);
    CHECK(tensors[0].name == "first");
    CHECK(tensors[0].data == std::vector<float>{1.0f});
    CHECK(tensors[1].name == "second");
    CHECK(tensors[1].data == std::vector<float>{2.0f});
  }
  SECTION("unpadded header and an empty metadata object") {
    const auto bytes =
        make_file("{\"__metadata__\":{}," + entry("t", "[2]", 0, 8) + "}", f32_bytes({3, 4}));
    CHECK(decode_safetensors(bytes, "x").size() == 1);
  }
}

TEST_CASE("safetensors decoder rejects corrupt input with a message", "[safetensors]") {
  const std::string two = f32_bytes({1.0f, 2.0f});

  SECTION("empty input") {
    expect_rejected("", "empty");
  }
  SECTION("truncated header length") {
    expect_rejected(std::string("\x10\x00\x00", 3), "too short");
  }
  SECTION("header length beyond the file") {
    expect_rejected(le64(1000) + "{}", "larger than the 2 bytes");
  }
  SECTION("absurd header length") {
    expect_rejected(le64(uint64_t{1} << 62) + "{}", "exceeds");
    expect_rejected(le64(~uint64_t{0}) + "{}", "exceeds");
  }
  SECTION("header that is not JSON") {
    expect_rejected(make_file("{\"a\":", ""), "not valid JSON");
    expect_rejected(make_file("{}\x01", ""), "not valid JSON");
    expect_rejected(make_file("{\"\xff\":1}", ""), "not valid JSON");
    expect_rejected(make_file("{\"a\":27777E777}", ""), "not valid JSON");
  }
  SECTION("header that is not an object") {
    expect_rejected(make_file("[]", ""), "must start with '{'");
    expect_rejected(make_file(" {}", ""), "must start with '{'");
    expect_rejected(make_file("", ""), "must start with '{'");
  }
  SECTION("deeply nested header") {
    expect_rejected(make_file("{\"a\":" + std::string(100000, '[') + "}", ""), "nested too deeply");
  }
  SECTION("wrong dtype names tensor and dtype") {
    expect_rejected(make_file("{" + entry("layer1.w", "[4]", 0, 8, "F16") + "}", two),
                    "tensor \"layer1.w\" has dtype \"F16\"");
    expect_rejected(
        make_file("{\"t\":{\"dtype\":3,\"shape\":[],\"data_offsets\":[0,4]}}", f32_bytes({1})),
        "\"dtype\" must be a string");
  }
  SECTION("malformed entries") {
    expect_rejected(make_file("{\"t\":[]}", ""), "must be a JSON object");
    expect_rejected(make_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[0]}}", ""),
                    "needs \"dtype\", \"shape\" and \"data_offsets\"");
    expect_rejected(
        make_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"x\":1}}",
                  f32_bytes({1})),
        "unknown field \"x\"");
    expect_rejected(make_file("{" + entry("t", "[2]", 0, 8) +
                                  ",\"u\":{\"dtype\":\"F32\","
                                  "\"shape\":[0],\"data_offsets\":[0]}}",
                              two),
                    "\"data_offsets\" must be two");
    expect_rejected(make_file("{" + entry("t", "2", 0, 8) + "}", two),
                    "\"shape\" must be an array");
    expect_rejected(make_file("{" + entry("t", "[2.0]", 0, 8) + "}", two), "non-negative integers");
  }
  SECTION("negative or overflowing shapes") {
    expect_rejected(make_file("{" + entry("t", "[-2]", 0, 8) + "}", two), "non-negative");
    expect_rejected(make_file("{" + entry("t", "[4294967296,4294967296,16]", 0, 8) + "}", two),
                    "needs 2^64+ bytes");
    expect_rejected(make_file("{" + entry("t", "[18446744073709551615]", 0, 8) + "}", two),
                    "non-negative integers");
  }
  SECTION("offsets out of range") {
    expect_rejected(make_file("{" + entry("t", "[4]", 0, 16) + "}", two), "outside the 8-byte");
    expect_rejected(make_file("{" + entry("t", "[1]", 8, 4) + "}", two), "end before they begin");
    expect_rejected(
        make_file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", two),
        "\"data_offsets\" must be two non-negative integers");
  }
  SECTION("shape and offsets disagree") {
    expect_rejected(make_file("{" + entry("t", "[3]", 0, 8) + "}", two),
                    "shape [3] needs 12 bytes but data_offsets [0, 8] span 8");
  }
  SECTION("overlapping tensors") {
    expect_rejected(make_file("{" + entry("a", "[2]", 0, 8) + "," + entry("b", "[2]", 4, 12) + "}",
                              f32_bytes({1, 2, 3})),
                    "overlaps");
  }
  SECTION("gap between tensors") {
    expect_rejected(make_file("{" + entry("a", "[1]", 0, 4) + "," + entry("b", "[1]", 8, 12) + "}",
                              f32_bytes({1, 2, 3})),
                    "gap in the data buffer: bytes 4..8");
  }
  SECTION("bytes left over after the last tensor") {
    expect_rejected(make_file("{" + entry("a", "[1]", 0, 4) + "}", two), "cover only 4");
  }
  SECTION("duplicate tensor names") {
    expect_rejected(make_file("{" + entry("a", "[1]", 0, 4) + "," + entry("a", "[1]", 0, 4) + "}",
                              f32_bytes({1})),
                    "names \"a\" twice");
  }
  SECTION("metadata that is not a string map") {
    expect_rejected(make_file("{\"__metadata__\":{\"k\":1}}", ""),
                    "\"__metadata__\" value for \"k\" must be a string");
    expect_rejected(make_file("{\"__metadata__\":[]}", ""), "must be a JSON object of strings");
  }
}

TEST_CASE("safetensors decoder survives every truncation and byte flip", "[safetensors]") {
  const std::string good = encode_safetensors({{"w", {2, 2}, {1, 2, 3, 4}}, {"b", {2}, {5, 6}}},
                                              {{"format", "gradflow"}});
  auto decode_or_reject = [](const std::string& bytes) {
    try {
      decode_safetensors(bytes, "fuzz");
    } catch (const InputError&) {
    }
  };
  for (size_t len = 0; len < good.size(); ++len) {
    CHECK_THROWS_AS(decode_safetensors(good.substr(0, len), "fuzz"), InputError);
  }
  for (size_t i = 0; i < good.size(); ++i) {
    for (unsigned char flip : {0x01, 0x20, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      CHECK_NOTHROW(decode_or_reject(bad));
    }
  }
}

TEST_CASE("safetensors encoder refuses inconsistent tensors", "[safetensors]") {
  CHECK_THROWS_AS(encode_safetensors({{"t", {3}, {1, 2}}}, {}), std::invalid_argument);
  CHECK_THROWS_AS(encode_safetensors({{"t", {-1}, {}}}, {}), std::invalid_argument);
  CHECK_THROWS_AS(encode_safetensors({{"t", {1}, {1}}, {"t", {1}, {2}}}, {}),
                  std::invalid_argument);
  CHECK_THROWS_AS(encode_safetensors({{"__metadata__", {1}, {1}}}, {}), std::invalid_argument);
  CHECK_THROWS_AS(encode_safetensors({{"bad\xff", {1}, {1}}}, {}), std::invalid_argument);
}
