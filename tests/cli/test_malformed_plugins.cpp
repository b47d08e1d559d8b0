// Plugins that hand the host malformed data (tests/plugins/malformed.c, one build per defect):
// graph-runner must refuse each with exit status 2 and a message naming the plugin file, the
// op and what is malformed, where it used to read through NULL pointers or allocate negative
// sizes.
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"

#include <algorithm>

using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

struct Defect {
  const char* name;
  std::vector<std::string> phrases;  // all in the message, besides the plugin file
};

std::string malformed_graph() {
  return std::string(GRADFLOW_TEST_DIR) + "/plugins/graphs/malformed.yaml";
}

ProcessResult expect_refused(const std::vector<std::string>& args, const std::string& plugin) {
  ProcessResult r = run_runner(args);
  INFO(r.status_text() << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  require_no_crash(r);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("error: ") && Contains(plugin));
  return r;
}

}  // namespace

TEST_CASE("the sound build of the test op plans and passes the gradient check",
          "[cli][plugins][malformed]") {
  // Without this, every refusal below could come from a broken op rather than its defect.
  ProcessResult r =
      run_runner({"check", malformed_graph(), "--plugin", test_plugin("malformed_none")});
  INFO(r.status_text() << "\n" << r.out << r.err);
  require_no_crash(r);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("gradient check passed"));
}

TEST_CASE("a malformed op table is refused when the plugin is loaded",
          "[cli][plugins][malformed]") {
  const std::vector<Defect> defects = {
      {"null_def", {"op #0 is a null pointer"}},
      {"null_name", {"op #0: its name is NULL"}},
      {"null_input_names", {"op 'Malformed' has n_inputs 1 with input_names NULL"}},
      {"null_input_name", {"op 'Malformed': the name of input #0 is NULL"}},
      {"absurd_input_count", {"op 'Malformed' has n_inputs 1000000, above the limit"}},
      {"null_attrs", {"op 'Malformed' has n_attrs 2 with attrs NULL"}},
      {"absurd_attr_count", {"op 'Malformed' has n_attrs 4000000000, above the limit"}},
      {"null_attr_name", {"op 'Malformed': the name of attribute #0 is NULL"}},
      {"attr_named_like_node_key", {"attribute 'inputs' has the name of a node key"}},
      {"duplicate_attr_name", {"attribute 'scale' is declared twice"}},
      {"bad_attr_type", {"attribute 'scale' has unknown type 99"}},
      {"unparsable_default", {"attribute 'scale' has a default that is not YAML: '[1, 2'"}},
      {"default_out_of_range", {"attribute 'scale': the op's own default '50' is 50, outside"}},
      {"min_above_max", {"attribute 'scale' has the range [5, 1]"}},
      {"absurd_op_count", {"it claims 1000000000 ops"}},
  };
  for (const auto& d : defects) {
    // `ops` reads every field of every op: the command that crashed on most of these.
    for (const char* command : {"ops", "check"}) {
      std::string plugin = test_plugin(std::string("malformed_") + d.name);
      INFO(d.name << " with " << command);
      std::vector<std::string> args{command};
      if (std::string(command) == "check") args.push_back(malformed_graph());
      args.insert(args.end(), {"--plugin", plugin});
      ProcessResult r = expect_refused(args, plugin);
      for (const auto& phrase : d.phrases) CHECK_THAT(r.err, Contains(phrase));
    }
  }
}

TEST_CASE("a malformed node description from create() is refused when the graph is planned",
          "[cli][plugins][malformed]") {
  const std::vector<Defect> defects = {
      {"negative_dim", {"the output has dimension -3"}},
      {"zero_dim", {"the output has dimension 0"}},
      {"rank_above_max", {"the output has rank 9"}},
      {"overflowing_shape", {"1.46e+48 elements", "above the limit"}},
      {"too_many_params", {"1000 parameters, above 8"}},
      {"unterminated_param_name", {"parameter #0: its name does not end within its 32 bytes"}},
      {"empty_param_name", {"parameter #0 has no name"}},
      {"dotted_param_name", {"parameter 'w.bias': a name may only use letters"}},
      {"duplicate_param_name", {"parameter 'w' is declared twice"}},
      {"unknown_init", {"parameter 'w' has unknown init kind 42"}},
      {"negative_init_scale", {"parameter 'w' has a negative init scale"}},
      {"negative_param_dim", {"parameter 'w' has dimension -1"}},
      {"no_instance", {"create() succeeded but made no instance"}},
  };
  const std::string graph = malformed_graph();
  for (const auto& d : defects) {
    std::string plugin = test_plugin(std::string("malformed_") + d.name);
    INFO(d.name);
    ProcessResult r = expect_refused({"check", graph, "--plugin", plugin}, plugin);
    // The node's line in the graph, and the op.
    CHECK_THAT(r.err, Contains(graph + ":9:") && Contains("'odd'") && Contains("Malformed"));
    for (const auto& phrase : d.phrases) CHECK_THAT(r.err, Contains(phrase));
  }
}

TEST_CASE("an error message without a NUL ends at the buffer and stays one line",
          "[cli][plugins][malformed]") {
  const std::string graph = malformed_graph();
  for (const char* name : {"unterminated_create_error", "unterminated_forward_error"}) {
    std::string plugin = test_plugin(std::string("malformed_") + name);
    INFO(name);
    ProcessResult r = expect_refused({"check", graph, "--plugin", plugin}, plugin);
    // GF_ERROR_CAPACITY bytes of the plugin's text at most, its newlines made spaces: the
    // whole report is one line, not a read past the buffer.
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.size() < GF_ERROR_CAPACITY + 400);
    char filler = std::string(name).find("create") != std::string::npos ? 'e' : 'f';
    CHECK_THAT(r.err, Contains(std::string(100, filler)));
  }
}
