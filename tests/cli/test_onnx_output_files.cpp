// export -o FILE and import -o DIR write like every other gradflow writer: through an exclusive
// temporary and a rename, never through a link, never over a user's file without --force, and
// an ONNX model's name becomes a file name only if it is safe.
#include <gradflow/atomic_file.hpp>
#include <gradflow/diagnostics.hpp>

#include "cli/cli_support.hpp"
#include "onnx/onnx_models.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <set>

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

const std::string kCircles = source_path("graphs/circles_mlp.yaml");

std::set<std::string> names_in(const std::string& folder) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(folder)) names.insert(e.path().filename().string());
  return names;
}

}  // namespace

TEST_CASE("export keeps a file that is already there unless --force", "[onnx][output]") {
  TempDir tmp;
  const std::string mine = tmp.write("mine.onnx", "the user's own file");
  ProcessResult r = run_runner({"export", kCircles, "-o", mine});
  require_clean_rejection(r);
  CHECK_THAT(r.err, Contains(mine + ": error: exists; pass --force to replace it"));
  CHECK(read_file(mine) == "the user's own file");
  REQUIRE(run_runner({"export", kCircles, "-o", mine, "--force"}).exit_code == 0);
  CHECK(read_file(mine) != "the user's own file");
  CHECK(names_in(tmp.path()) == std::set<std::string>{"mine.onnx"});  // no temporary left
}

TEST_CASE("export and import never write through a link", "[onnx][output]") {
  TempDir tmp;
  const std::string victim = tmp.write("victim.txt", "precious");
  SECTION("a link where the file goes, even a dangling one, counts as a file") {
    fs::create_symlink(victim, tmp / "m.onnx");
    fs::create_symlink(tmp / "nowhere", tmp / "dangling.onnx");
    for (const std::string& out : {tmp / "m.onnx", tmp / "dangling.onnx"}) {
      ProcessResult r = run_runner({"export", kCircles, "-o", out});
      require_clean_rejection(r);
      CHECK_THAT(r.err, Contains("exists; pass --force"));
    }
    CHECK(!fs::exists(tmp / "nowhere"));
    // --force replaces the link itself; its target is untouched.
    REQUIRE(run_runner({"export", kCircles, "-o", tmp / "m.onnx", "--force"}).exit_code == 0);
    CHECK(!fs::is_symlink(tmp / "m.onnx"));
    CHECK(read_file(victim) == "precious");
  }
  SECTION("import's graph and weights") {
    const std::string model = tmp.write("tiny.onnx", bytes_of(tiny_model()));
    fs::create_directory(tmp / "out");
    fs::create_symlink(victim, tmp / "out/model.safetensors");
    ProcessResult r = run_runner({"import", model, "-o", tmp / "out"});
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("model.safetensors: error: exists; pass --force"));
    CHECK(names_in(tmp / "out") == std::set<std::string>{"model.safetensors"});
    REQUIRE(run_runner({"import", model, "-o", tmp / "out", "--force"}).exit_code == 0);
    CHECK(read_file(victim) == "precious");
    CHECK(!fs::is_symlink(tmp / "out/model.safetensors"));
  }
}

TEST_CASE("an ONNX model's name becomes a file name only if it is safe", "[onnx][output]") {
  TempDir tmp;
  fs::create_directory(tmp / "deep");
  for (const char* hostile : {"..", "../../escape", ".hidden", "-rf", "\n-x", "\xff\xfe"}) {
    INFO(hostile);
    onnx::ModelProto m = tiny_model();
    m.mutable_graph()->set_name(hostile);
    const std::string file = tmp.write("deep/from-web.onnx", bytes_of(m));
    fs::remove_all(tmp / "deep/out");
    ProcessResult r = run_runner({"import", file, "-o", tmp / "deep/out"});
    require_no_crash(r);
    REQUIRE(r.exit_code == 0);
    // Every file lands inside DIR under a safe name (here the ONNX file's own), and the graph
    // written there loads: its `name:` passed the same rule.
    CHECK(names_in(tmp / "deep/out") ==
          std::set<std::string>{"from-web.yaml", "model.safetensors"});
    CHECK(names_in(tmp / "deep") == std::set<std::string>{"from-web.onnx", "out"});
    CHECK(run_runner({"check", tmp / "deep/out/from-web.yaml"}).exit_code == 0);
  }
}
