// The run folder of `graph-runner train`. Every file is replaced atomically, so Ctrl-C or a
// crash at any moment leaves the previous complete version.
#pragma once

#include <gradflow/binding.hpp>
#include <gradflow/checkpoint.hpp>
#include <gradflow/plots.hpp>

#include <string>
#include <vector>

namespace gradflow {

class RunFiles {
 public:
  explicit RunFiles(std::string dir);
  const std::string& dir() const { return dir_; }
  std::string checkpoint_path() const { return dir_ + "/checkpoint.safetensors"; }

  void write_metrics(const std::vector<EpochMetrics>& history) const;
  void write_curves(const std::vector<EpochMetrics>& history, const std::string& title) const;
  void write_model(const Model& model) const;
  void write_decision(Model& model, const std::vector<Binding>& bindings,
                      const Dataset& data) const;
  void save_checkpoint(const Model& model, const Optimizer* optimizer,
                       const TrainingPosition& position,
                       const std::vector<EpochMetrics>& history) const;

 private:
  void remove_orphaned_temporaries() const;

  std::string dir_;
};

std::string metrics_csv(const std::vector<EpochMetrics>& history);
// The metrics a checkpoint's contents carry, so a resumed run continues its metrics.csv.
std::vector<EpochMetrics> history_in_checkpoint(const std::string& bytes,
                                                const std::string& source);
std::vector<EpochMetrics> parse_metrics_csv(const std::string& text, const std::string& source);

}  // namespace gradflow
