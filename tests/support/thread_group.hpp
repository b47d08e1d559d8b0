// A Communicator of K threads in one process, for testing the data-parallel protocol without
// MPI: each collective meets at a barrier, and sums add the ranks' values in rank order, so
// every rank gets the same bits. Catch2's macros are not thread-safe: a test records what each
// rank saw and checks it after run() returns.
#pragma once

#include <gradflow/communicator.hpp>

#include <algorithm>
#include <barrier>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace gradflow::test {

// What abort() throws in place of ending the process.
struct GroupAborted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ThreadGroup {
 public:
  explicit ThreadGroup(int size) : size_(size), barrier_(size), slots_(size), texts_(size) {}

  // Runs body(rank's communicator) on one thread per rank; returns each rank's exception.
  std::vector<std::exception_ptr> run(const std::function<void(Communicator&)>& body);

 private:
  class Rank;
  template <class T>
  void sum(int rank, T* values, int64_t n) {
    slots_[rank] = values;
    barrier_.arrive_and_wait();
    std::vector<T> total(static_cast<size_t>(n), T{});
    for (int r = 0; r < size_; ++r)
      for (int64_t i = 0; i < n; ++i) total[i] += static_cast<const T*>(slots_[r])[i];
    barrier_.arrive_and_wait();
    std::copy(total.begin(), total.end(), values);
  }
  void broadcast(int rank, float* values, int64_t n) {
    slots_[rank] = values;
    barrier_.arrive_and_wait();
    if (rank != 0) std::copy_n(static_cast<const float*>(slots_[0]), n, values);
    barrier_.arrive_and_wait();
  }
  void broadcast_text(int rank, std::string& text, int root) {
    texts_[rank] = text;
    barrier_.arrive_and_wait();
    text = texts_[root];
    barrier_.arrive_and_wait();
  }
  std::string agree_on_failure(int rank, const std::string& mine) {
    texts_[rank] = mine;
    barrier_.arrive_and_wait();
    auto first = std::find_if(texts_.begin(), texts_.end(), [](auto& t) { return !t.empty(); });
    std::string result = first == texts_.end()
                             ? std::string()
                             : "rank " + std::to_string(first - texts_.begin()) + ": " + *first;
    barrier_.arrive_and_wait();
    return result;
  }

  int size_;
  std::barrier<> barrier_;
  std::vector<void*> slots_;
  std::vector<std::string> texts_;
};

class ThreadGroup::Rank final : public Communicator {
 public:
  Rank(ThreadGroup& group, int rank) : group_(group), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return group_.size_; }
  void sum(float* values, int64_t n) override { group_.sum(rank_, values, n); }
  void sum(double* values, int64_t n) override { group_.sum(rank_, values, n); }
  void broadcast(float* values, int64_t n) override { group_.broadcast(rank_, values, n); }
  void broadcast(std::string& text) override { group_.broadcast_text(rank_, text, 0); }
  std::string agree_on_failure(const std::string& mine) override {
    return group_.agree_on_failure(rank_, mine);
  }
  [[noreturn]] void abort(const std::string& message, int) override {
    throw GroupAborted("rank " + std::to_string(rank_) + ": " + message);
  }

 private:
  ThreadGroup& group_;
  int rank_;
};

inline std::vector<std::exception_ptr> ThreadGroup::run(
    const std::function<void(Communicator&)>& body) {
  std::vector<std::exception_ptr> errors(static_cast<size_t>(size_));
  std::vector<std::thread> threads;
  for (int r = 0; r < size_; ++r)
    threads.emplace_back([&, r] {
      Rank comm(*this, r);
      try {
        body(comm);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  return errors;
}

}  // namespace gradflow::test
