#include <gradflow/data_parallel.hpp>
#include <gradflow/diagnostics.hpp>
#include <gradflow/evaluation.hpp>
#include <gradflow/user_file.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <new>

namespace gradflow {

Shard shard_of(int64_t total, int rank, int size) {
  const int64_t base = total / size, extra = total % size;
  return {rank * base + std::min<int64_t>(rank, extra), base + (rank < extra ? 1 : 0)};
}

LocalFailure describe_current_exception() {
  try {
    throw;
  } catch (const InputError& e) {
    std::string text;
    for (const auto& d : e.diagnostics()) text += (text.empty() ? "" : "\n") + d.format();
    return {text.empty() ? "error" : text, 2};
  } catch (const std::bad_alloc&) {
    return {"out of memory", 1};
  } catch (const std::exception& e) {
    return {std::string("internal error: ") + e.what(), 1};
  } catch (...) {
    return {"internal error: unknown exception", 1};
  }
}

void agree(Communicator& comm, const LocalFailure& mine) {
  std::string text = comm.agree_on_failure(mine.text);
  if (text.empty()) return;
  // agree_on_failure() names the lowest failing rank; that rank's status goes with its text.
  std::vector<double> statuses(static_cast<size_t>(comm.size()), 0.0);
  statuses[comm.rank()] = mine.failed() ? mine.status : 0;
  comm.sum(statuses.data(), comm.size());
  auto first = std::find_if(statuses.begin(), statuses.end(), [](double s) { return s != 0; });
  throw RankFailure(text, first == statuses.end() ? 1 : static_cast<int>(*first));
}

void collectively(Communicator& comm, const std::function<void()>& work) {
  if (comm.size() == 1) return work();
  LocalFailure mine;
  try {
    work();
  } catch (const RankFailure&) {
    throw;  // thrown by every process at once: already agreed
  } catch (...) {
    mine = describe_current_exception();
  }
  agree(comm, mine);
}

void check_same_run(Communicator& comm, const RunFacts& mine) {
  std::string root;
  for (const auto& [name, value] : mine) root += name + '\n' + value + '\n';
  comm.broadcast(root);
  LocalFailure failure;
  size_t at = 0;
  for (const auto& [name, value] : mine) {
    size_t name_end = root.find('\n', at), value_end = root.find('\n', name_end + 1);
    if (name_end == std::string::npos || value_end == std::string::npos) break;
    std::string theirs = root.substr(name_end + 1, value_end - name_end - 1);
    if (root.compare(at, name_end - at, name) != 0 || theirs != value) {
      failure = {fmt::format("its {} is {} but rank 0's is {}: every process must load the same "
                             "graph and data with the same options",
                             name, value, theirs),
                 2};
      break;
    }
    at = value_end + 1;
  }
  agree(comm, failure);
}

void broadcast_model(Communicator& comm, Model& model) {
  for (const auto& t : model.file_tensors()) comm.broadcast(t.value->data(), t.value->size());
}

std::string broadcast_file(Communicator& comm, const std::string& path, const std::string& what) {
  std::string bytes;
  collectively(comm, [&] {
    if (comm.is_root()) bytes = read_file(path, what);
  });
  comm.broadcast(bytes);
  return bytes;
}

GradientExchange::GradientExchange(Communicator& comm, const std::vector<Parameter>& params)
    : comm_(comm) {
  for (const auto& p : params) gradients_ += p.grad.size();
  flat_.assign(static_cast<size_t>(gradients_) + 2, 0.0f);
}

bool GradientExchange::exchange(std::vector<Parameter>& params, const Contribution& mine) {
  float* slot = flat_.data();
  for (const auto& p : params) {
    const float* g = p.grad.data();
    const int64_t n = p.grad.size();
    if (mine.has_gradients)
      for (int64_t i = 0; i < n; ++i) slot[i] = g[i] * mine.share;
    else
      std::fill(slot, slot + n, 0.0f);
    slot += n;
  }
  float& failed = flat_[gradients_];
  float& interrupted = flat_[gradients_ + 1];
  failed = mine.failure.failed() ? 1.0f : 0.0f;
  interrupted = mine.interrupted ? 1.0f : 0.0f;
  comm_.sum(flat_.data(), static_cast<int64_t>(flat_.size()));
  if (failed > 0) agree(comm_, mine.failure);
  slot = flat_.data();
  for (auto& p : params) {
    std::copy(slot, slot + p.grad.size(), p.grad.data());
    slot += p.grad.size();
  }
  return interrupted > 0;
}

DataParallelStep::DataParallelStep(Communicator& comm, Model& model, Optimizer& optimizer,
                                   LossCheck check_loss)
    : comm_(comm),
      model_(model),
      optimizer_(optimizer),
      check_loss_(std::move(check_loss)),
      exchange_(comm, model.parameters()) {}

bool DataParallelStep::run(const std::vector<Binding>& bindings, const Split& split,
                           int64_t classes, const int64_t* order, int64_t count, bool interrupted) {
  const auto t0 = std::chrono::steady_clock::now();
  const Shard shard = shard_of(count, comm_.rank(), comm_.size());
  GradientExchange::Contribution mine;
  mine.interrupted = interrupted;
  // Each process's gradient is the mean over its shard; times its share b_r / B, the sum over
  // processes is the mean over the whole batch, as one process would have computed it.
  mine.share = static_cast<float>(static_cast<double>(shard.count) / static_cast<double>(count));
  try {
    if (shard.count > 0 && !interrupted) {
      load_batch(model_, bindings, split, classes, order + shard.begin, shard.count);
      model_.forward(shard.count, {true, optimizer_.steps()});
      check_loss_(model_.loss(), shard.count);
      model_.backward(shard.count);
      mine.has_gradients = true;
    }
  } catch (...) {
    mine.failure = describe_current_exception();
    mine.has_gradients = false;
  }
  const auto t1 = std::chrono::steady_clock::now();
  const bool stop = exchange_.exchange(model_.parameters(), mine);
  const auto t2 = std::chrono::steady_clock::now();
  if (!stop) {
    optimizer_.step(model_.parameters());
    model_.parameter_gradients_are_zero();
  }
  exchange_seconds_ += std::chrono::duration<double>(t2 - t1).count();
  step_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++steps_;
  return stop;
}

Evaluation evaluate_sharded(Communicator& comm, Model& model, const std::vector<Binding>& bindings,
                            const Split& split, int64_t classes) {
  const Shard shard = shard_of(split.size, comm.rank(), comm.size());
  EvaluationSums mine;
  collectively(comm, [&] {
    mine = evaluate_rows(model, bindings, split, classes, shard.begin, shard.count);
  });
  double sums[2] = {mine.loss, static_cast<double>(mine.correct)};
  comm.sum(sums, 2);
  return finish_evaluation(model, {sums[0], static_cast<int64_t>(sums[1])}, split.size);
}

}  // namespace gradflow
