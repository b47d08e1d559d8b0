// Times one optimizer step per parameter count, optimizer and thread count: the numbers behind
// the grains in core/src/optimizer.cpp (below which an update stays on one thread). Before each
// timed step the gradients are refilled (untimed), as backward() would have left them.
//
// usage: gradflow_optimizer_bench [--sizes 4096,16384,...] [--threads 1,2] [--seconds-ms 200]
// prints a Markdown table: nanoseconds per parameter per step, medians.
#include <gradflow/optimizer.hpp>
#include <gradflow/trainer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

using namespace gradflow;

namespace {

std::vector<long> list_arg(int argc, char** argv, const char* name, std::vector<long> fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) != 0) continue;
    std::vector<long> out;
    std::stringstream in(argv[i + 1]);
    for (std::string item; std::getline(in, item, ',');) out.push_back(std::stol(item));
    return out;
  }
  return fallback;
}

struct Case {
  const char* label;
  OptimizerSpec spec;
};

std::vector<Case> cases() {
  std::vector<Case> out(4);
  out[0].label = "sgd";
  out[1].label = "momentum";
  out[1].spec.momentum = 0.9;
  out[2].label = "adam";
  out[2].spec.name = "adam";
  out[3].label = "adamw";
  out[3].spec.name = "adamw";
  out[3].spec.weight_decay = 0.01;
  return out;
}

// Median nanoseconds per parameter of one step over about `seconds` of steps.
double time_steps(const Case& c, long n, double seconds) {
  std::vector<Parameter> params(1);
  params[0].name = "w";
  params[0].shape = {n};
  params[0].value = Tensor({n}, 0);
  params[0].grad = Tensor({n}, 0);
  params[0].value.fill(0.5f);
  auto optimizer = make_optimizer(c.spec, params);
  std::vector<double> samples;
  double total = 0;
  while (total < seconds || samples.size() < 5) {
    params[0].grad.fill(0.001f);
    auto t0 = std::chrono::steady_clock::now();
    optimizer->step(params);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total += s;
    samples.push_back(s);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2] * 1e9 / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  const auto sizes = list_arg(argc, argv, "--sizes",
                              {1024, 4096, 16384, 32768, 65536, 131072, 262144, 1048576, 2917386});
  const auto threads = list_arg(argc, argv, "--threads", {1, 2});
  const double seconds = static_cast<double>(list_arg(argc, argv, "--seconds-ms", {200})[0]) / 1e3;
  std::string header = "| parameters | optimizer |", rule = "|---:|---|";
  for (long t : threads) {
    header += fmt::format(" ns/param, {} thr |", t);
    rule += "---:|";
  }
  fmt::print("{}\n{}\n", header, rule);
  for (const Case& c : cases()) {
    for (long n : sizes) {
      std::string row = fmt::format("| {} | {} |", n, c.label);
      for (long t : threads) {
        set_thread_count(static_cast<int>(t));
        row += fmt::format(" {:.3f} |", time_steps(c, n, seconds));
      }
      fmt::print("{}\n", row);
    }
  }
  return 0;
}
