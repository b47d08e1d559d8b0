// What the processes of a data-parallel run must share: a graph file or data file that differs
// on another machine would otherwise make them take different steps, or silently diverge.
#pragma once

#include <gradflow/data_parallel.hpp>
#include <gradflow/graph_spec.hpp>
#include <gradflow/trainer.hpp>

namespace gradflow {

// Sizes, settings and a checksum of the labels, for check_same_run().
RunFacts run_facts(const GraphSpec& spec, const TrainingSetup& setup);

}  // namespace gradflow
