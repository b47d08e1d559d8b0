// The grid of a sweep: every combination of the --set values and the seeds, checked before
// anything runs, each with its folder name.
#pragma once

#include <gradflow/graph_overrides.hpp>
#include <gradflow/registry.hpp>
#include <gradflow/sweep_report.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gradflow::cli {

struct SweepPoint {
  std::vector<std::string> keys;  // the same for every point
  std::vector<std::string> values;
  uint64_t seed = 0;

  // "key=value" per key, as train --set records them in run.json.
  std::vector<std::string> overrides() const;
};

struct SweepGrid {
  std::string graph_name;
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> values;
  std::vector<SweepPoint> points;  // values of the first key vary slowest, seeds fastest
  std::vector<std::string> dirs;   // one folder name per point

  SweepResults results(const std::string& command, std::optional<double> target) const;
};

// Parses "KEY=V1,V2" (commas inside [] or {} do not split) and the seeds ("0-4", "0,2,7", or
// empty for the graph's own); checks every value on its own by reading and planning the graph
// with it (and loading the data set for train.data keys). Throws InputError naming the --set
// argument, at the graph line where there is one.
SweepGrid make_grid(const std::string& graph_path, const std::vector<std::string>& sets,
                    const std::string& seeds, OpRegistry& registry,
                    const std::vector<std::string>& plugin_flags);

}  // namespace gradflow::cli
