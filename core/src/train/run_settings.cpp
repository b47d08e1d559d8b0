// The settings of a `train` run as report.html and sweeps read them back from run.json.
#include <gradflow/run_report.hpp>
#include <gradflow/trainer.hpp>

namespace gradflow {

RunSettings describe_run(const GraphSpec& spec, const TrainingSetup& setup,
                         const TrainOptions& options) {
  RunSettings s;
  s.graph_name = spec.name;
  s.graph_path = spec.path;
  s.description = spec.description;
  s.dataset = setup.data.name;
  s.train_size = setup.data.train.size;
  s.test_size = setup.data.test.size;
  s.classes = setup.data.classes;
  s.feature_shape = setup.data.train.feature_shape;
  s.batch = setup.batch;
  s.full_batch = spec.train.batch_size == 0;
  s.epochs = spec.train.epochs;
  s.optimizer = setup.optimizer->name();
  s.lr = setup.optimizer->learning_rate();
  s.seed = spec.train.seed;
  s.threads = options.threads;
  s.overrides = options.overrides;
  return s;
}

}  // namespace gradflow
