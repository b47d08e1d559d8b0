// The run folder of `graph-runner train`. Every file is replaced atomically, so Ctrl-C or a
// crash at any moment leaves the previous complete version.
#pragma once

#include <gradflow/binding.hpp>
#include <gradflow/checkpoint.hpp>
#include <gradflow/plots.hpp>

#include <memory>
#include <string>
#include <vector>

namespace gradflow {

class RunLock;

class RunFiles {
 public:
  // Creates the folder, takes its lock (one run per folder; a second one is an InputError
  // naming the holder's pid), removes the temporaries a killed earlier run left there, and
  // checks, before anything is trained, that the run's files can be written. `identity` is
  // stored in every checkpoint (see resume.hpp).
  RunFiles(std::string dir, Metadata identity);
  ~RunFiles();
  RunFiles(const RunFiles&) = delete;
  RunFiles& operator=(const RunFiles&) = delete;

  const std::string& dir() const { return dir_; }
  std::string checkpoint_path() const { return dir_ + "/checkpoint.safetensors"; }
  bool checkpoint_written() const { return checkpoint_written_; }

  void write_metrics(const std::vector<EpochMetrics>& history) const;
  void write_curves(const std::vector<EpochMetrics>& history, const std::string& title) const;
  void write_model(const Model& model) const;
  void write_decision(Model& model, const std::vector<Binding>& bindings,
                      const Dataset& data) const;
  void save_checkpoint(const Model& model, const Optimizer* optimizer,
                       const TrainingPosition& position, const std::vector<EpochMetrics>& history);

 private:
  std::string dir_;
  Metadata identity_;
  std::unique_ptr<RunLock> lock_;
  bool checkpoint_written_ = false;
};

// The metrics a checkpoint carries, so a resumed run continues its metrics.csv.
std::vector<EpochMetrics> history_from_checkpoint(const Metadata& meta, const std::string& source);

std::string metrics_csv(const std::vector<EpochMetrics>& history);
std::vector<EpochMetrics> parse_metrics_csv(const std::string& text, const std::string& source);

}  // namespace gradflow
