// The report's and the sweep's bookkeeping: which epochs get a decision frame, sweep.csv's
// rows, the summary over seeds, and run.json as the mark of a finished run.
#include <gradflow/atomic_file.hpp>
#include <gradflow/sweep_report.hpp>

#include "unit/graph_test_support.hpp"

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

SweepRun finished(std::vector<std::string> values, uint64_t seed, double test_accuracy,
                  std::vector<double> accuracies) {
  SweepRun run{std::move(values), seed, "dir", "ok", RunRecord{}, {}};
  for (size_t e = 0; e < accuracies.size(); ++e)
    run.history.push_back({static_cast<int64_t>(e + 1), 0.5, 0.9, 0.5, accuracies[e], 0.1});
  run.record->final_metrics = {
      static_cast<int64_t>(accuracies.size()), 0.25, 0.875, 0.5, test_accuracy, 0};
  run.record->seconds = 1.5;
  return run;
}

}  // namespace

TEST_CASE("frames are taken before training, at every epoch or evenly, and at the end",
          "[report]") {
  CHECK(frame_epochs(0) == std::vector<int64_t>{0});
  CHECK(frame_epochs(3) == std::vector<int64_t>{0, 1, 2, 3});
  const auto few = frame_epochs(40);
  CHECK(few.size() == 41);
  const auto many = frame_epochs(1000);
  CHECK(many.size() == kMaxFrames);
  CHECK(many.front() == 0);
  CHECK(many.back() == 1000);
  CHECK(std::is_sorted(many.begin(), many.end()));
  CHECK(std::adjacent_find(many.begin(), many.end()) == many.end());
}

TEST_CASE("epochs to target is the first epoch at or above it", "[sweep]") {
  std::vector<EpochMetrics> h{{1, 0, 0, 0, 0.5, 0}, {2, 0, 0, 0, NAN, 0}, {3, 0, 0, 0, 0.95, 0}};
  CHECK(epochs_to_target(h, 0.9) == 3);
  CHECK(epochs_to_target(h, 0.5) == 1);
  CHECK_FALSE(epochs_to_target(h, 0.99).has_value());
}

TEST_CASE("sweep.csv has one row per run, quoted where needed", "[sweep]") {
  SweepResults s;
  s.keys = {"train.optimizer.lr", "nodes.h.init"};
  s.values = {{"0.1"}, {"{normal: 0.1, x: 2}"}};
  s.target = 0.9;
  s.runs.push_back(finished({"0.1", "{normal: 0.1, x: 2}"}, 0, 0.95, {0.5, 0.92, 0.95}));
  s.runs.push_back({{"0.1", "{normal: 0.1, x: 2}"}, 1, "other", "failed (exit 2)", {}, {}});
  const std::string csv = sweep_csv(s);
  CHECK(csv ==
        "train.optimizer.lr,nodes.h.init,seed,status,epochs,train_loss,train_accuracy,test_loss,"
        "test_accuracy,epochs_to_target,seconds,dir\n"
        "0.1,\"{normal: 0.1, x: 2}\",0,ok,3,0.250000,0.875000,0.500000,0.950000,2,1.500,dir\n"
        "0.1,\"{normal: 0.1, x: 2}\",1,failed (exit 2),,,,,,,,other\n");
}

TEST_CASE("the summary gives mean and range over seeds per combination", "[sweep]") {
  SweepResults s;
  s.keys = {"lr"};
  s.values = {{"0.1", "1"}};
  s.target = 0.9;
  s.runs.push_back(finished({"0.1"}, 0, 0.90, {0.95}));
  s.runs.push_back(finished({"0.1"}, 1, 0.80, {0.5, 0.5}));
  s.runs.push_back({{"1"}, 0, "x", "failed (exit 2)", {}, {}});
  const std::string table = sweep_summary_markdown(s);
  CHECK_THAT(table,
             Contains("| 0.1 | 2/2 | 87.50 % | 85.00 % | 80.0–90.0 % | 0.5000 | 1 (1/2) | 1.50 |"));
  CHECK_THAT(table, Contains("| 1 | 0/1 |"));
  const std::string svg = render_sweep_svg(s);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK_THAT(render_sweep_html(s, svg), Contains("2 of 3 runs finished"));
}

TEST_CASE("a folder without a well-formed run.json holds no finished run", "[report]") {
  TempDir tmp;
  CHECK_THROWS_AS(read_run_record(tmp.path().string()), InputError);
  write_file_atomically(tmp / "run.json", "{\"format\": \"gradflow-run/1\", \"settings\": 3}");
  CHECK_THROWS_AS(read_run_record(tmp.path().string()), InputError);
  CHECK_THROWS_AS(write_report(tmp.path().string()), InputError);
}
