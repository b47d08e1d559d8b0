// One row of a run's history: what metrics.csv, the curves and the report show per epoch.
#pragma once

#include <cstdint>

namespace gradflow {

struct EpochMetrics {
  int64_t epoch = 0;
  double train_loss = 0, train_accuracy = 0;
  double test_loss = 0, test_accuracy = 0;
  double seconds = 0;
};

}  // namespace gradflow
