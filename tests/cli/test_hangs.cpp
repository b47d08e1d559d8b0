// Files that would make a naive reader hang or take the machine's memory: a FIFO or a device
// where a regular file belongs, a gzip bomb, thousands of misspelt names, a plugin op whose
// tables would be gigabytes, a decision plot of millions of points. Each ends in seconds with
// a message naming the file, in bounded memory.
#include <gradflow/user_file.hpp>

#include "cli/cli_support.hpp"
#include "support/cpu_time.hpp"
#include "support/temp_dir.hpp"
#include "unit/graph_test_support.hpp"

#include <sys/stat.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

const std::string kTinyGraph = R"(format: gradflow/1
name: tiny
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: h, op: Linear, inputs: [x], out_features: 2}
  - {name: p, op: Softmax, inputs: [h]}
  - {name: loss, op: CrossEntropy, inputs: [p, y]}
loss: loss
predict: p
train:
  data: DATA
  epochs: 1
)";

std::string tiny_graph(const std::string& data = "{dataset: circles, seed: 0}") {
  std::string text = kTinyGraph;
  return text.replace(text.find("DATA"), 4, data);
}

// Bad input, refused quickly: a reader that blocks (using no CPU at all) shows up as the
// timeout, one that works through the input as CPU time.
ProcessResult quick(const std::vector<std::string>& args) {
  ProcessResult r = run_runner(args, std::chrono::seconds(30));
  require_clean_rejection(r);
  CHECK(r.cpu_seconds < 2 * kSanitizerSlowdown);
  return r;
}

std::string gzip(const std::string& bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size())) + 32;
  std::string out(size, '\0');
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) == Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string idx_header(const std::vector<uint32_t>& dims) {
  std::string bytes{'\0', '\0', '\x08', static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xff);
  return bytes;
}

}  // namespace

TEST_CASE("a FIFO, a device or a folder where a file belongs is refused before any read",
          "[cli][hardening][hangs]") {
  TempDir tmp;
  const std::string fifo = tmp / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string graph = tmp.write("g.yaml", tiny_graph());
  const std::string input = tmp.write("points.csv", "x0,x1\n0.1,0.2\n");
  ProcessResult trained = run_runner({"train", graph, "--out", tmp / "run"});
  REQUIRE(trained.exit_code == 0);
  const std::string weights = tmp / "run/model.safetensors";
  struct Case {
    const char* what;
    std::vector<std::string> args;
    std::string file;  // the file the message must name
    const char* says;
  };
  const std::vector<Case> cases = {
      {"--weights FIFO", {"eval", graph, "--weights", fifo}, fifo, "named pipe"},
      {"--weights /dev/zero", {"eval", graph, "--weights", "/dev/zero"}, "/dev/zero", "a device"},
      {"--weights folder",
       {"eval", graph, "--weights", tmp / "run"},
       tmp / "run",
       "is a directory, not a weights file"},
      {"--resume FIFO",
       {"train", graph, "--out", tmp / "r2", "--resume", fifo},
       fifo,
       "named pipe"},
      {"--input FIFO",
       {"predict", graph, "--weights", weights, "--input", fifo},
       fifo,
       "named pipe"},
      {"--input /dev/zero",
       {"predict", graph, "--weights", weights, "--input", "/dev/zero"},
       "/dev/zero",
       "a device"},
      {"train --weights FIFO",
       {"train", graph, "--out", tmp / "r4", "--weights", fifo},
       fifo,
       "named pipe"},
      {"export --weights FIFO",
       {"export", graph, "--weights", fifo, "-o", tmp / "m.onnx"},
       fifo,
       "named pipe"},
      {"import FIFO",
       {"import", fifo, "-o", tmp / "imported"},
       fifo,
       "an ONNX file must be a regular"},
      {"import /dev/zero",
       {"import", "/dev/zero", "-o", tmp / "imported"},
       "/dev/zero",
       "a device"},
      {"graph FIFO", {"check", fifo}, fifo, "named pipe"},
      {"graph /dev/zero", {"check", "/dev/zero"}, "/dev/zero", "a device"},
      {"--plugin FIFO", {"--plugin", fifo, "ops"}, fifo, "named pipe"},
      {"data file FIFO",
       {"train", tmp.write("csv.yaml", tiny_graph("{dataset: csv, train: pipe, test: pipe}")),
        "--out", tmp / "r3"},
       fifo,
       "named pipe"},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      ProcessResult r = quick(c.args);
      CHECK_THAT(r.err, Contains(c.file) && Contains(c.says));
    }
  }
}

TEST_CASE("a gzip IDX whose header claims 10^12 bytes fails at once in little memory",
          "[cli][hardening][hangs]") {
  TempDir tmp;
  // 10^6 images of 1000 x 1000: 10^12 bytes promised. The file holds 1.5 GB of real zeros
  // (1500 concatenated gzip members of 1 MB each), so a reader that inflates before checking
  // spends seconds and gigabytes finding out that the header lies.
  const std::string zeros = gzip(std::string(1 << 20, '\0'));
  std::string bomb = gzip(idx_header({1000000, 1000, 1000}) + std::string(1 << 20, '\0'));
  for (int i = 0; i < 1500; ++i) bomb += zeros;
  tmp.write("images.idx.gz", bomb);
  tmp.write("labels.idx", idx_header({2}) + std::string(2, '\0'));
  std::string graph = tmp.write(
      "g.yaml", tiny_graph("{dataset: idx, train_images: images.idx.gz, train_labels: labels.idx, "
                           "test_images: images.idx.gz, test_labels: labels.idx}"));
  ProcessResult r = quick({"train", graph, "--out", tmp / "run"});
  CHECK_THAT(r.err, Contains("images.idx.gz: error: ") && Contains("1000000 images"));
  INFO("peak memory " << r.peak_rss_kib << " KiB");
  CHECK(r.peak_rss_kib < 512 * 1024);
}

TEST_CASE("4000 unknown names are reported in well under a second", "[hardening][hangs]") {
  // Long, similar names: the worst case for an unbounded edit-distance search.
  const std::string tail(100, 'q');
  std::string text = "format: gradflow/1\nname: many\ninputs:\n  x: {shape: [2]}\nnodes:\n";
  for (int i = 0; i < 4000; ++i)
    text += "  - {name: n" + std::to_string(i) + tail + ", op: Tanh, inputs: [m" +
            std::to_string(i) + tail + "]}\n";
  const double start = process_cpu_seconds();
  try {
    parse_graph(text, "many.yaml");
    FAIL("unknown inputs were accepted");
  } catch (const InputError& e) {
    CHECK(e.diagnostics().size() == 4000);
    CHECK_THAT(e.diagnostics().front().message, Contains("unknown input 'm0"));
  }
  const double seconds = process_cpu_seconds() - start;
  INFO("CPU seconds " << seconds);
  CHECK(seconds < 1.0 * kSanitizerSlowdown);
  // Close names still get their suggestion.
  CHECK_THROWS_WITH(parse_graph("format: gradflow/1\nname: one\ninputs:\n  x: {shape: [2]}\n"
                                "nodes:\n  - {name: hidden, op: Tanh, inputs: [x]}\n"
                                "  - {name: t, op: Tanh, inputs: [hiden]}\n",
                                "one.yaml"),
                    Contains("did you mean 'hidden'?"));
}

TEST_CASE("dot on a graph with huge RBF features is quick and small", "[cli][hardening][hangs]") {
  TempDir tmp;
  // 2600 inputs x 100000 features: 2.6e8 random weights (1 GiB), within the op's limit, and
  // not needed at all to draw the graph.
  std::string graph = tmp.write("rbf.yaml", R"(format: gradflow/1
name: rbf
inputs:
  x: {shape: [2600]}
  y: {shape: [2]}
nodes:
  - {name: phi, op: RBFFeatures, inputs: [x], gamma: 1.0, features: 100000}
  - {name: s, op: Linear, inputs: [phi], out_features: 2}
  - {name: loss, op: SVM, inputs: [s, y]}
loss: loss
)");
  ProcessResult r = run_runner({"dot", graph}, std::chrono::seconds(60));
  require_no_crash(r);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("phi"));
  CHECK(r.cpu_seconds < 2 * kSanitizerSlowdown);
  INFO("peak memory " << r.peak_rss_kib << " KiB");
  CHECK(r.peak_rss_kib < 256 * 1024);
  // Beyond the limit it is a clean error at plan time.
  std::string text = read_file(graph);
  text.replace(text.find("[2600]"), 6, "[2700]");
  ProcessResult over = quick({"dot", tmp.write("over.yaml", text)});
  CHECK_THAT(over.err, Contains("above the limit of 268435456 random weights"));
}
