// The bad-input corpus: every file in tests/bad_graphs/ must make `graph-runner check` exit
// with status 2, print nothing on stdout, and report each problem as FILE:LINE:COL with a
// message that says what is wrong. The table below is the specification of those messages.
#include "cli/cli_support.hpp"

#include <filesystem>
#include <set>
#include <sstream>
#include <vector>

using namespace gradflow::test;

namespace {

struct Expected {
  int line;
  std::vector<std::string> phrases;  // all on the diagnostic line for `line`
};

struct BadGraph {
  std::string file;
  std::vector<Expected> errors;  // every one must be reported, in one run
};

// Line numbers are where a user would look: the offending key, value or node.
const std::vector<BadGraph> kCorpus = {
    {"syntax_error.yaml", {{7, {"YAML syntax"}}}},
    {"empty.yaml", {{1, {"the file is empty", "format: gradflow/1"}}}},
    {"not_a_mapping.yaml", {{1, {"must be a mapping"}}}},
    {"missing_format.yaml", {{1, {"missing 'format: gradflow/1'"}}}},
    {"format_not_first.yaml", {{2, {"'format' must be the first key"}}}},
    {"wrong_format_version.yaml", {{1, {"unsupported format 'gradflow/2'", "gradflow/1"}}}},
    {"unknown_top_level_key.yaml",
     {{11, {"unknown top-level key 'predcit'", "did you mean 'predict'?"}}}},
    {"unknown_op.yaml",
     {{8,
       {"nodes[1] 'yhat'", "unknown op 'SoftMaks'", "did you mean 'Softmax'?",
        // Every built-in op; the kernel plugin's ops may come between them.
        "known ops: Add AvgPool2D BatchNorm Concat Conv2D CrossEntropy Dropout Flatten "
        "GlobalAvgPool Linear MSE MaxPool2D",
        " ReLU Reshape SVM Softmax Tanh;", "plugins loaded:", "libgradflow_builtin_ops.so"}}}},
    {"misspelt_attribute.yaml",
     {{10, {"nodes[0] 'hidden'", "no attribute 'out_feature'", "did you mean 'out_features'?"}}}},
    {"unknown_input.yaml",
     {{9, {"nodes[2] 'logits'", "unknown input 'hiden'", "did you mean 'hidden'?"}}}},
    {"duplicate_name.yaml", {{9, {"duplicate name 'hidden'", "first defined at line 7"}}}},
    {"duplicate_key.yaml", {{7, {"duplicate key 'out_features'", "first at line 7, column 45"}}}},
    // yaml-cpp keeps both copies of a nested key and a lookup finds one: at any depth, the
    // second is refused with the position of the first.
    {"nested_duplicate_keys.yaml",
     {{5, {"duplicate key 'shape' in 'inputs.x'", "first at line 5, column 7"}},
      {8, {"duplicate key 'normal' in 'nodes[0].init'", "first at line 8, column 69"}},
      {15, {"duplicate key 'x' in 'train.data.bind'", "first at line 15, column 12"}},
      {16, {"duplicate key 'seed' in 'train.data'", "first at line 14, column 5"}},
      {17, {"duplicate key 'lr' in 'train.optimizer'", "first at line 17, column 26"}}}},
    {"merge_key.yaml", {{9, {"merge keys ('<<')", "not supported", "nodes[1]"}}}},
    {"second_document.yaml", {{11, {"a second YAML document", "exactly one"}}}},
    {"nul_byte.yaml", {{5, {"NUL byte"}}}},
    {"cycle.yaml", {{8, {"cycle", "a -> b -> c -> a"}}}},
    {"shape_mismatch.yaml", {{9, {"nodes[2] 'loss'", "'yhat' [3]", "'y' [2]"}}}},
    {"wrong_type.yaml",
     {{7, {"nodes[0] 'logits'", "'out_features'", "must be an integer", "'ten'"}}}},
    {"negative_shape.yaml", {{4, {"shape of input 'x'", "-2", "outside [1,"}}}},
    {"negative_out_features.yaml",
     {{9, {"nodes[2] 'logits'", "'out_features' is -3", "outside [1,"}}}},
    {"absurd_size.yaml", {{7, {"nodes[0] 'hidden'", "'out_features' is 1e12", "outside [1,"}}}},
    {"huge_input.yaml", {{4, {"shape of input 'x'", "elements per sample", "limit"}}}},
    {"huge_layer.yaml",
     {{7, {"nodes[0] 'wide'", "parameter wide.weight [10000000, 1000000]", "above the limit"}}}},
    {"wrong_arity.yaml", {{9, {"nodes[2] 'loss'", "CrossEntropy takes 2 input(s)", "got 1"}}}},
    {"loss_not_scalar.yaml", {{10, {"loss 'yhat' is not a scalar", "Softmax", "[2]"}}}},
    {"unknown_loss_node.yaml", {{10, {"unknown node 'xnet'", "did you mean 'xent'?"}}}},
    {"bad_init.yaml", {{7, {"nodes[0] 'logits'", "'init'", "unknown init 'gaussian'"}}}},
    {"multiple_errors.yaml",
     {{8, {"nodes[1] 'h'", "unknown input 'hiddn'", "did you mean 'hidden'?"}},
      {10, {"nodes[3] 'yhat'", "unknown input 'logitz'", "did you mean 'logits'?"}},
      {13, {"'predict'", "unknown node 'yhatt'", "did you mean 'yhat'?"}}}},
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("the bad-graph table covers every file of the corpus", "[cli][bad-graphs]") {
  std::set<std::string> on_disk, in_table;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("tests/bad_graphs")))
    on_disk.insert(entry.path().filename().string());
  for (const auto& c : kCorpus) in_table.insert(c.file);
  CHECK(on_disk == in_table);
  CHECK(kCorpus.size() >= 14);
}

TEST_CASE("graph-runner check rejects every bad graph with a located message",
          "[cli][bad-graphs]") {
  for (const auto& c : kCorpus) {
    SECTION(c.file) {
      const std::string path = source_path("tests/bad_graphs/" + c.file);
      ProcessResult r = run_runner({"check", path}, std::chrono::seconds(30));
      INFO("graph-runner check " << path << "\n"
                                 << r.status_text() << "\nstdout:\n"
                                 << r.out << "\nstderr:\n"
                                 << r.err);
      require_no_crash(r);
      CHECK(r.exit_code == 2);
      CHECK(r.out.empty());

      std::vector<std::string> lines = lines_of(r.err);
      // Nothing but diagnostics, each one "FILE:LINE:COL: error: ...".
      for (const auto& line : lines) {
        INFO("line: " << line);
        CHECK(line.rfind(path + ":", 0) == 0);
        CHECK(line.find(": error: ") != std::string::npos);
      }
      for (const auto& e : c.errors) {
        const std::string prefix = path + ":" + std::to_string(e.line) + ":";
        const std::string* match = nullptr;
        for (const auto& line : lines)
          if (line.rfind(prefix, 0) == 0) match = &line;
        INFO("expected a diagnostic at " << prefix);
        REQUIRE(match != nullptr);
        for (const auto& phrase : e.phrases) {
          INFO("phrase: " << phrase);
          CHECK(match->find(phrase) != std::string::npos);
        }
      }
    }
  }
}

TEST_CASE("a missing graph file is an input error, not a crash", "[cli][bad-graphs]") {
  ProcessResult r = run_runner({"check", source_path("tests/bad_graphs/no_such_file.yaml")});
  require_no_crash(r);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("no_such_file.yaml") != std::string::npos);
  CHECK(r.err.find("no such graph file") != std::string::npos);
}

TEST_CASE("a folder given as the graph is an input error", "[cli][bad-graphs]") {
  ProcessResult r = run_runner({"check", source_path("tests/bad_graphs")});
  require_no_crash(r);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("is a directory, not a graph file") != std::string::npos);
}
