// graph-runner sweep: a grid of `train` runs over values of the graph file, each in its own
// folder, summarised in sweep.csv, sweep.svg and sweep.html. A folder holding a run.json of
// the same settings, and a copy of the same graph file, is a finished run and is not run again.
#include "commands.hpp"
#include "session.hpp"
#include "sweep_grid.hpp"
#include "sweep_runner.hpp"

#include <gradflow/atomic_file.hpp>
#include <gradflow/run_report.hpp>
#include <gradflow/sweep_report.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

namespace gradflow::cli {
namespace {

struct SweepArgs {
  std::string graph;
  std::vector<std::string> set;
  std::string seeds;
  int jobs = 0;
  std::string out;
  std::optional<double> target;
};

// The graph file as each run was started from: an edited graph makes the old runs stale.
constexpr const char* kGraphCopy = "/sweep-graph.yaml";

bool same_graph(const std::string& dir, const std::string& graph_text) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(dir + kGraphCopy, ec);
  return !ec && size == graph_text.size() && read_file(dir + kGraphCopy) == graph_text;
}

// A finished run of exactly these settings and graph file, or nothing.
std::optional<RunRecord> finished_run(const std::string& dir, const SweepPoint& point,
                                      const std::string& graph_path,
                                      const std::string& graph_text) {
  if (!std::filesystem::exists(dir + "/run.json")) return std::nullopt;
  try {
    if (!same_graph(dir, graph_text)) return std::nullopt;
    RunRecord record = read_run_record(dir);
    if (record.settings.overrides != point.overrides() || record.settings.seed != point.seed ||
        record.settings.graph_path != graph_path)
      return std::nullopt;
    return record;
  } catch (const InputError&) {
    return std::nullopt;
  }
}

std::vector<std::string> train_args(const SweepArgs& a, const SweepPoint& point,
                                    const std::string& dir, const Common& common) {
  std::vector<std::string> args{"train", a.graph,  "--out",
                                dir,     "--seed", std::to_string(point.seed)};
  for (const auto& o : point.overrides()) args.insert(args.end(), {"--set", o});
  for (const auto& p : common.plugins) args.insert(args.end(), {"--plugin", p});
  return args;
}

std::string reproduce_command(const SweepArgs& a) {
  std::string command = "graph-runner sweep " + a.graph;
  for (const auto& s : a.set) command += " --set " + s;
  if (!a.seeds.empty()) command += " --seeds " + a.seeds;
  if (a.jobs > 0) command += " --jobs " + std::to_string(a.jobs);
  if (!a.out.empty()) command += " --out " + a.out;
  if (a.target) command += fmt::format(" --target {}", *a.target);
  return command;
}

// The last line a run printed (its error message when it failed).
std::string last_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(std::max<std::streamoff>(0, size - 4096));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
}

int run_sweep(const SweepArgs& a, const Common& common, const std::string& command) {
  OpRegistry registry;
  SweepGrid grid = make_grid(a.graph, a.set, a.seeds, registry, common.plugins);
  const std::string out = a.out.empty() ? "sweeps/" + grid.graph_name : a.out;
  std::filesystem::create_directories(out);
  SweepResults results = grid.results(command, a.target);
  results.graph_path = a.graph;
  const std::string graph_text = read_file(a.graph);
  std::vector<ChildJob> jobs;
  std::vector<size_t> job_run;
  for (size_t i = 0; i < grid.points.size(); ++i) {
    const std::string dir = out + "/" + results.runs[i].dir;
    if (auto record = finished_run(dir, grid.points[i], a.graph, graph_text)) {
      results.runs[i].record = std::move(record);
      results.runs[i].history = read_run_history(dir);
      results.runs[i].status = "ok";
      continue;
    }
    std::filesystem::create_directories(dir);
    write_file_atomically(dir + kGraphCopy, graph_text);
    jobs.push_back({train_args(a, grid.points[i], dir, common), dir + "/train.log"});
    job_run.push_back(i);
  }
  const int parallel =
      a.jobs > 0 ? a.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::cout << fmt::format(
                   "sweep of {}: {} runs, {} finished before, {} to run, {} at a time -> {}\n",
                   a.graph, grid.points.size(), grid.points.size() - jobs.size(), jobs.size(),
                   parallel, out)
            << std::flush;
  write_sweep_files(out, results);
  size_t done = 0, failed = 0;
  const bool complete = run_children(own_executable(), jobs, parallel, [&](const ChildResult& r) {
    SweepRun& run = results.runs[job_run[r.job]];
    const std::string dir = out + "/" + run.dir;
    ++done;
    if (r.exit_status == 0) {
      run.record = finished_run(dir, grid.points[job_run[r.job]], a.graph, graph_text);
      if (run.record) run.history = read_run_history(dir);
    }
    run.status = run.record             ? "ok"
                 : r.exit_status == 130 ? "interrupted"
                                        : fmt::format("failed (exit {})", r.exit_status);
    if (!run.record && r.exit_status != 130) {
      ++failed;
      std::cerr << fmt::format("run {} failed (exit {}): {}\n  see {}/train.log\n", run.dir,
                               r.exit_status, last_line(dir + "/train.log"), dir);
    }
    if (run.record)
      std::cout << fmt::format("[{}/{}] {}: test accuracy {:.2f} %, test loss {:.4f} ({:.1f} s)\n",
                               done, jobs.size(), run.dir,
                               100 * run.record->final_metrics.test_accuracy,
                               run.record->final_metrics.test_loss, r.seconds)
                << std::flush;
    write_sweep_files(out, results);
  });
  std::cout << '\n'
            << sweep_summary_markdown(results) << '\n'
            << fmt::format("{0}/sweep.csv\n{0}/sweep.svg\n{0}/sweep.html\n", out);
  if (!complete) {
    std::cerr << "interrupted: finished runs are kept; run the same command again to finish the "
                 "others\n";
    return 130;
  }
  return failed > 0 ? 1 : 0;
}

}  // namespace

void add_sweep(CLI::App& app, Common& common, Action& run) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Train a grid of variants of a graph (values x seeds); sweep.csv, .svg, .html");
  cmd->add_option("graph", args->graph, "Graph file")->required();
  cmd->add_option("--set", args->set,
                  "KEY=V1,V2,...: values of one key of the graph file, e.g. "
                  "train.optimizer.lr=0.01,0.1 or train.batch_size=1,10,full (repeatable)")
      ->required();
  cmd->add_option("--seeds", args->seeds, "Training seeds: 0-4 or 0,1,7 (default: the graph's)");
  cmd->add_option("--jobs", args->jobs, "Runs at the same time (default: the number of CPUs)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--out", args->out, "Sweep folder (default sweeps/<graph name>)");
  cmd->add_option("--target", args->target,
                  "A test accuracy (0-1): sweep.csv gives the epochs each run took to reach it")
      ->check(CLI::Range(0.0, 1.0));
  cmd->callback([args, &common, &run] {
    run = [args, &common] { return run_sweep(*args, common, reproduce_command(*args)); };
  });
}

}  // namespace gradflow::cli
