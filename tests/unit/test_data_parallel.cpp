// The data-parallel protocol, run on threads (tests/support/thread_group.hpp) so that it is
// tested with or without MPI: shards, the step's gradient sum, and failures that reach every
// rank as one message instead of leaving some rank waiting.
#include <gradflow/data_parallel.hpp>
#include <gradflow/datasets.hpp>
#include <gradflow/evaluation.hpp>
#include <gradflow/trainer.hpp>

#include "support/temp_dir.hpp"
#include "support/thread_group.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace gradflow;
using test::ThreadGroup;

namespace {

// What each rank threw, as RankFailure text and status ("" / 0 when it threw nothing else).
struct Outcome {
  std::string text;
  int status = 0;
};

std::vector<Outcome> outcomes(const std::vector<std::exception_ptr>& errors) {
  std::vector<Outcome> seen;
  for (const auto& e : errors) {
    Outcome o;
    try {
      if (e) std::rethrow_exception(e);
    } catch (const RankFailure& f) {
      o = {f.what(), f.status()};
    } catch (const std::exception& other) {
      o = {std::string("not a RankFailure: ") + other.what(), -1};
    }
    seen.push_back(o);
  }
  return seen;
}

std::vector<Parameter> parameters(std::initializer_list<int64_t> sizes) {
  std::vector<Parameter> params;
  for (int64_t n : sizes) {
    Parameter p;
    p.shape = {n};
    p.grad = Tensor(p.shape, 0);
    params.push_back(std::move(p));
  }
  return params;
}

}  // namespace

TEST_CASE("shards cover each batch once, in order, and differ by at most one sample") {
  for (int size = 1; size <= 7; ++size)
    for (int64_t total = 0; total <= 40; ++total) {
      int64_t next = 0, smallest = total, largest = 0;
      for (int rank = 0; rank < size; ++rank) {
        Shard s = shard_of(total, rank, size);
        INFO("total " << total << ", rank " << rank << " of " << size);
        CHECK(s.begin == next);
        next += s.count;
        smallest = std::min(smallest, s.count);
        largest = std::max(largest, s.count);
      }
      CHECK(next == total);
      CHECK(largest - smallest <= 1);
    }
}

TEST_CASE("a single process's failure passes through collectively() unchanged") {
  auto solo = solo_communicator();
  CHECK_THROWS_AS(collectively(*solo, [] { throw InputError("g.yaml: bad"); }), InputError);
  CHECK_THROWS_AS(collectively(*solo, [] { throw std::runtime_error("x"); }), std::runtime_error);
}

TEST_CASE("a failure on one rank ends every rank with the lowest failing rank's message") {
  ThreadGroup group(3);
  auto seen = outcomes(group.run([](Communicator& comm) {
    collectively(comm, [&] {
      if (comm.rank() == 1) throw InputError(SourceLocation{"g.yaml", 3, 4}, "bad shard");
      if (comm.rank() == 2) throw std::runtime_error("later rank");
    });
  }));
  for (const auto& o : seen) {
    CHECK(o.text == "rank 1: g.yaml:3:4: error: bad shard");
    CHECK(o.status == 2);
  }
}

TEST_CASE("an internal error on a rank gives every rank exit status 1") {
  ThreadGroup group(2);
  auto seen = outcomes(group.run([](Communicator& comm) {
    collectively(comm, [&] {
      if (comm.rank() == 1) throw std::runtime_error("disk on fire");
    });
  }));
  for (const auto& o : seen) {
    CHECK(o.text == "rank 1: internal error: disk on fire");
    CHECK(o.status == 1);
  }
}

TEST_CASE("the step's sum gives every rank the share-weighted sum of the gradients") {
  ThreadGroup group(3);
  const float shares[3] = {0.5f, 0.25f, 0.25f};
  std::vector<std::vector<float>> got(3);
  std::vector<int> interrupted(3, -1);
  auto errors = group.run([&](Communicator& comm) {
    auto params = parameters({3, 2});
    GradientExchange exchange(comm, params);
    for (auto& p : params) p.grad.fill(static_cast<float>(comm.rank() + 1));
    GradientExchange::Contribution mine;
    mine.has_gradients = comm.rank() != 2;  // rank 2's shard is empty: it adds nothing
    mine.share = shares[comm.rank()];
    interrupted[comm.rank()] = exchange.exchange(params, mine);
    for (auto& p : params)
      got[comm.rank()].insert(got[comm.rank()].end(), p.grad.data(), p.grad.data() + p.grad.size());
  });
  for (int r = 0; r < 3; ++r) {
    CHECK_FALSE(errors[r]);
    CHECK(interrupted[r] == 0);
    CHECK(got[r] == std::vector<float>(5, 0.5f * 1 + 0.25f * 2));
  }
}

TEST_CASE("a failed step or an interruption on one rank reaches every rank") {
  ThreadGroup group(3);
  std::vector<int> interrupted(3, -1);
  group.run([&](Communicator& comm) {
    auto params = parameters({4});
    GradientExchange exchange(comm, params);
    GradientExchange::Contribution mine;
    mine.has_gradients = true;
    mine.interrupted = comm.rank() == 0;
    interrupted[comm.rank()] = exchange.exchange(params, mine);
  });
  CHECK(interrupted == std::vector<int>{1, 1, 1});

  auto seen = outcomes(group.run([&](Communicator& comm) {
    auto params = parameters({4});
    GradientExchange exchange(comm, params);
    GradientExchange::Contribution mine;
    mine.has_gradients = comm.rank() != 2;
    if (comm.rank() == 2) mine.failure = {"the loss became nan", 2};
    exchange.exchange(params, mine);
  }));
  for (const auto& o : seen) CHECK(o.text == "rank 2: the loss became nan");
}

TEST_CASE("a file only the root reads reaches every rank, and so does its absence") {
  test::TempDir dir;
  const std::string path = dir.write("a.bin", std::string("abc\0def", 7));
  std::vector<std::string> got(2);
  {
    ThreadGroup group(2);
    auto errors =
        group.run([&](Communicator& comm) { got[comm.rank()] = broadcast_file(comm, path); });
    CHECK_FALSE(errors[0]);
    CHECK_FALSE(errors[1]);
  }
  CHECK(got[0] == std::string("abc\0def", 7));
  CHECK(got[1] == got[0]);

  ThreadGroup group(2);
  auto seen = outcomes(group.run([&](Communicator& comm) { broadcast_file(comm, dir / "none"); }));
  for (const auto& o : seen) {
    CHECK_THAT(o.text, Catch::StartsWith("rank 0: ") && Catch::Contains("none"));
    CHECK(o.status == 2);
  }
}

TEST_CASE("evaluation in shards matches evaluation of the whole split") {
  OpRegistry registry;
  load_standard_plugins(registry, {});
  GraphSpec spec = load_graph_file(GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml");
  Dataset data = load_dataset(spec.train.data, spec.dir, spec.path);
  TrainingSetup whole = prepare_training(spec, registry, data, "evaluate");
  Evaluation expected = evaluate(*whole.model, whole.bindings, data.test, data.classes);

  ThreadGroup group(3);
  std::vector<Evaluation> got(3);
  std::vector<TrainingSetup> setups;
  for (int r = 0; r < 3; ++r) setups.push_back(prepare_training(spec, registry, data, "evaluate"));
  auto errors = group.run([&](Communicator& comm) {
    TrainingSetup& s = setups[comm.rank()];
    got[comm.rank()] = evaluate_sharded(comm, *s.model, s.bindings, data.test, data.classes);
  });
  for (int r = 0; r < 3; ++r) {
    CHECK_FALSE(errors[r]);
    CHECK(got[r].accuracy == expected.accuracy);
    // Loss ops average their rows in float32, so other chunk boundaries move the sum by a few
    // float rounding steps: at most rows * 2^-24 relative (200 test rows: 1.2e-5).
    CHECK(got[r].loss == Approx(expected.loss).epsilon(200 * std::ldexp(1.0, -24)));
  }
}

TEST_CASE("a process whose run differs from rank 0's is named with the first difference") {
  ThreadGroup group(3);
  auto seen = outcomes(group.run([](Communicator& comm) {
    RunFacts facts{{"graph name", "g"}, {"batch size", comm.rank() == 2 ? "5" : "10"}};
    check_same_run(comm, facts);
  }));
  for (const auto& o : seen) {
    CHECK_THAT(o.text, Catch::StartsWith("rank 2: its batch size is 5 but rank 0's is 10"));
    CHECK(o.status == 2);
  }
  auto fine = group.run([](Communicator& comm) { check_same_run(comm, {{"seed", "0"}}); });
  for (const auto& e : fine) CHECK_FALSE(e);
}
