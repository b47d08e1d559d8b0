// A fault inside a plugin's code (tests/plugins/crashing_op.cpp) is reported in one line that
// names the node, the op, the plugin file and the pass, and the process still dies of that very
// signal, so that shells, CI and core dumps see what happened.
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"

#include <signal.h>

#include <string>
#include <vector>

using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

std::string crash_graph(const std::string& how, const std::string& pass) {
  return "format: gradflow/1\nname: crash\ninputs:\n  x: {shape: [2]}\n  y: {shape: [2]}\n"
         "nodes:\n"
         "  - {name: lin, op: Linear, inputs: [x], out_features: 2}\n"
         "  - {name: bad, op: Crash, inputs: [lin], how: " +
         how + ", pass: " + pass +
         "}\n"
         "  - {name: yhat, op: Softmax, inputs: [bad]}\n"
         "  - {name: loss, op: CrossEntropy, inputs: [yhat, y]}\n"
         "loss: loss\npredict: yhat\n"
         "train:\n  data: {dataset: circles, seed: 0}\n  batch_size: 10\n  epochs: 1\n";
}

struct Fault {
  const char* how;
  int signal;
  const char* name;
};

void expect_crash_line(const std::string& command, const Fault& f, const std::string& pass) {
  TempDir tmp;
  const std::string graph = tmp.write("crash.yaml", crash_graph(f.how, pass));
  std::vector<std::string> args{command, graph, "--plugin", test_plugin("crashing_op")};
  if (command == "train") args.insert(args.end(), {"--out", tmp / "run"});
  ProcessResult r = run_runner(args);
  INFO(command << " " << f.how << " in " << pass << ": " << r.status_text() << "\nstderr:\n"
               << r.err);
  REQUIRE(r.signalled);
  CHECK(r.signal == f.signal);
  // One line, and it is the report.
  REQUIRE(!r.err.empty());
  CHECK(r.err.find('\n') == r.err.size() - 1);
  CHECK_THAT(r.err, Contains(graph + ":8:5: error: nodes[1] 'bad': op Crash (") &&
                        Contains(test_plugin("crashing_op") + ") crashed in " + pass + ": ") &&
                        Contains(f.name) && Contains("bug in the plugin"));
}

}  // namespace

TEST_CASE("a fault in a plugin names node, op, plugin and pass, and keeps its signal",
          "[cli][crash]") {
  const std::vector<Fault> faults{{"segv", SIGSEGV, "SIGSEGV"}, {"abort", SIGABRT, "SIGABRT"},
                                  {"fpe", SIGFPE, "SIGFPE"},    {"ill", SIGILL, "SIGILL"},
                                  {"bus", SIGBUS, "SIGBUS"},    {"stack", SIGSEGV, "SIGSEGV"}};
  for (const auto& f : faults)
    for (const char* pass : {"create", "reserve", "forward", "backward"})
      expect_crash_line("check", f, pass);
}

TEST_CASE("a fault in a plugin during training is reported the same way", "[cli][crash]") {
  expect_crash_line("train", {"segv", SIGSEGV, "SIGSEGV"}, "forward");
  expect_crash_line("train", {"fpe", SIGFPE, "SIGFPE"}, "backward");
}
