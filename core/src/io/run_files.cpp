#include "io/run_files.hpp"

#include <gradflow/evaluation.hpp>
#include <gradflow/inference.hpp>

#include <gradflow/atomic_file.hpp>

#include "graph/yaml_reader.hpp"
#include "io/run_lock.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace gradflow {

std::string metrics_csv(const std::vector<EpochMetrics>& history) {
  std::string text = "epoch,split,loss,accuracy,seconds\n";
  for (const auto& m : history) {
    text += fmt::format("{},train,{:.6f},{:.6f},{:.4f}\n", m.epoch, m.train_loss, m.train_accuracy,
                        m.seconds);
    text += fmt::format("{},test,{:.6f},{:.6f},{:.4f}\n", m.epoch, m.test_loss, m.test_accuracy,
                        m.seconds);
  }
  return text;
}

std::vector<EpochMetrics> parse_metrics_csv(const std::string& text, const std::string& source) {
  std::vector<EpochMetrics> history;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream row(line);
    std::string cell;
    while (std::getline(row, cell, ',')) cells.push_back(cell);
    auto epoch = cells.size() == 5 ? parse_integer(cells[0]) : std::nullopt;
    auto loss = cells.size() == 5 ? parse_number(cells[2]) : std::nullopt;
    auto acc = cells.size() == 5 ? parse_number(cells[3]) : std::nullopt;
    auto secs = cells.size() == 5 ? parse_number(cells[4]) : std::nullopt;
    if (!epoch || !secs || (cells[1] != "train" && cells[1] != "test"))
      throw InputError(source + ": malformed metrics history");
    if (history.empty() || history.back().epoch != *epoch) history.push_back({*epoch});
    EpochMetrics& m = history.back();
    double l = loss.value_or(NAN), a = acc.value_or(NAN);
    if (cells[1] == "train") {
      m.train_loss = l;
      m.train_accuracy = a;
    } else {
      m.test_loss = l;
      m.test_accuracy = a;
    }
    m.seconds = *secs;
  }
  return history;
}

namespace {

// Every file a run writes, by its name inside the output folder.
const std::vector<std::string> kRunFileNames = {"metrics.csv", "curves.svg", "model.safetensors",
                                                "checkpoint.safetensors", "decision.svg"};

}  // namespace

RunFiles::RunFiles(std::string dir, Metadata identity)
    : dir_(std::move(dir)), identity_(std::move(identity)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec || !std::filesystem::is_directory(dir_))
    throw InputError(SourceLocation{dir_, 0, 0},
                     "cannot create the output folder" + (ec ? ": " + ec.message() : ""));
  lock_ = std::make_unique<RunLock>(dir_);
  // A folder in the place of a file would only fail at the end of training, at its rename.
  for (const auto& name : kRunFileNames)
    if (std::filesystem::is_directory(std::filesystem::symlink_status(dir_ + "/" + name, ec)))
      throw InputError(SourceLocation{dir_ + "/" + name, 0, 0},
                       "is a folder, so the run could not save its " + name +
                           " there: remove it or choose another --out");
}

RunFiles::~RunFiles() = default;

void RunFiles::write_metrics(const std::vector<EpochMetrics>& history) const {
  write_file_atomically(dir_ + "/metrics.csv", metrics_csv(history));
}

void RunFiles::write_curves(const std::vector<EpochMetrics>& history,
                            const std::string& title) const {
  write_file_atomically(dir_ + "/curves.svg", render_curves_svg(history, title));
}

void RunFiles::write_model(const Model& model) const {
  gradflow::save_checkpoint(dir_ + "/model.safetensors", model, nullptr, {});
}

void RunFiles::save_checkpoint(const Model& model, const Optimizer* optimizer,
                               const TrainingPosition& position,
                               const std::vector<EpochMetrics>& history) {
  Metadata extra = identity_;
  extra["metrics"] = metrics_csv(history);
  gradflow::save_checkpoint(checkpoint_path(), model, optimizer, position, extra);
  checkpoint_written_ = true;
}

std::vector<EpochMetrics> history_from_checkpoint(const Metadata& meta, const std::string& source) {
  auto it = meta.find("metrics");
  return it == meta.end() ? std::vector<EpochMetrics>{} : parse_metrics_csv(it->second, source);
}

void RunFiles::write_decision(Model& model, const std::vector<Binding>& bindings,
                              const Dataset& data) const {
  DecisionPlot plot;
  plot.classes = data.classes;
  plot.title = model.spec().name + ": predicted class";
  plot.x_min = plot.y_min = INFINITY;
  plot.x_max = plot.y_max = -INFINITY;
  for (const Split* split : {&data.train, &data.test})
    for (int64_t i = 0; i < split->size; ++i) {
      float x = split->feature(2 * i), y = split->feature(2 * i + 1);
      plot.x_min = std::min<double>(plot.x_min, x);
      plot.x_max = std::max<double>(plot.x_max, x);
      plot.y_min = std::min<double>(plot.y_min, y);
      plot.y_max = std::max<double>(plot.y_max, y);
      plot.points.push_back({x, y, split->labels[i], split == &data.test});
    }
  double pad_x = 0.1 * (plot.x_max - plot.x_min) + 1e-3,
         pad_y = 0.1 * (plot.y_max - plot.y_min) + 1e-3;
  plot.x_min -= pad_x;
  plot.x_max += pad_x;
  plot.y_min -= pad_y;
  plot.y_max += pad_y;
  plot.grid_w = plot.grid_h = 100;
  const Split grid =
      grid_split({plot.x_min, plot.x_max, plot.y_min, plot.y_max, plot.grid_w, plot.grid_h});
  infer_split(model, bindings, grid, data.classes, [&](int64_t, int64_t count) {
    for (int64_t r = 0; r < count; ++r) plot.grid_labels.push_back(predicted_class(model, r));
  });
  write_file_atomically(dir_ + "/decision.svg", render_decision_svg(plot));
}

}  // namespace gradflow
