// Replays every fuzz seed and every input the fuzzers ever crashed on through the same entry
// functions as the libFuzzer targets, in the ordinary build: a fixed bug stays fixed even
// where no one runs the fuzzers.
#include "fuzz/fuzz_entry.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using gradflow::fuzz::Outcome;

namespace {

using Entry = std::function<Outcome(const uint8_t*, size_t)>;

const std::map<std::string, Entry>& entries() {
  static const std::map<std::string, Entry> all = {
      {"graph", gradflow::fuzz::graph_entry},
      {"idx", gradflow::fuzz::idx_entry},
      {"csv", gradflow::fuzz::csv_entry},
      {"safetensors", gradflow::fuzz::safetensors_entry},
      {"checkpoint", gradflow::fuzz::checkpoint_entry},
      {"onnx", gradflow::fuzz::onnx_entry},
  };
  return all;
}

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  if (!fs::is_directory(folder)) return files;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Outcome run(const std::string& target, const fs::path& file) {
  std::string bytes = read_bytes(file);
  return entries().at(target)(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

const fs::path kFuzzDir = fs::path(GRADFLOW_TEST_DIR) / "fuzz";

}  // namespace

TEST_CASE("fuzz regressions: every saved input is accepted or rejected cleanly", "[fuzz]") {
  size_t replayed = 0;
  for (const auto& [target, entry] : entries()) {
    for (const auto& kind : {"regressions", "corpus"}) {
      for (const auto& file : files_in(kFuzzDir / kind / target)) {
        INFO(file.string());
        // A crash aborts this test binary; any exception other than InputError fails here.
        CHECK_NOTHROW(run(target, file));
        ++replayed;
      }
    }
  }
  // The corpus is part of the repository: an empty walk means the paths broke, not success.
  CHECK(replayed >= 80);
}

TEST_CASE("fuzz entries tell good seeds from broken ones", "[fuzz]") {
  // Without this, an entry that rejected everything (say, a wrong plugin path) would make
  // every fuzzer run clean and useless.
  const fs::path corpus = kFuzzDir / "corpus";
  for (const auto& file : files_in(corpus / "graph")) {
    std::string name = file.filename().string();
    INFO(name);
    if (name.rfind("graphs_", 0) == 0) CHECK(run("graph", file) == Outcome::accepted);
    if (name.rfind("bad_graphs_", 0) == 0) CHECK(run("graph", file) == Outcome::rejected);
  }
  // Inputs once silently misread (issue 10) must stay refused.
  for (const auto& file : files_in(kFuzzDir / "regressions" / "graph")) {
    INFO(file.string());
    if (file.filename().string().rfind("issue10_", 0) == 0)
      CHECK(run("graph", file) == Outcome::rejected);
  }
  CHECK(run("idx", corpus / "idx" / "images_3x2x2.idx") == Outcome::accepted);
  CHECK(run("idx", corpus / "idx" / "labels_3.idx.gz") == Outcome::accepted);
  CHECK(run("idx", corpus / "idx" / "header_1e9_images.idx") == Outcome::rejected);
  CHECK(run("idx", corpus / "idx" / "gz_lying_header.idx.gz") == Outcome::rejected);
  CHECK(run("csv", corpus / "csv" / "basic.csv") == Outcome::accepted);
  CHECK(run("csv", corpus / "csv" / "unterminated.csv") == Outcome::rejected);
  CHECK(run("safetensors", corpus / "safetensors" / "two_tensors.safetensors") ==
        Outcome::accepted);
  CHECK(run("safetensors", corpus / "safetensors" / "overlap.safetensors") == Outcome::rejected);
  CHECK(run("safetensors", corpus / "safetensors" / "shape_overflow.safetensors") ==
        Outcome::rejected);
  CHECK(run("checkpoint", corpus / "checkpoint" / "epoch_1.safetensors") == Outcome::accepted);
  CHECK(run("checkpoint", corpus / "checkpoint" / "interrupted.safetensors") == Outcome::accepted);
  CHECK(run("checkpoint", corpus / "checkpoint" / "epoch_2e63.safetensors") == Outcome::rejected);
  CHECK(run("checkpoint", corpus / "checkpoint" / "nan_weight.safetensors") == Outcome::rejected);
  for (const auto& file : files_in(corpus / "onnx")) {
    std::string name = file.filename().string();
    INFO(name);
    CHECK(run("onnx", file) ==
          (name.rfind("good_", 0) == 0 ? Outcome::accepted : Outcome::rejected));
  }
}
