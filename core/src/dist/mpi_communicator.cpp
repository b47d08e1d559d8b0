// The communicator of a run started by an MPI launcher: collectives on a duplicate of
// MPI_COMM_WORLD (so nothing else in the process can interfere with gradflow's messages).
// MPI errors are returned rather than fatal, so that a broken connection ends the run with one
// line naming the rank and the call instead of the library's own multi-line report.
#include <gradflow/communicator.hpp>
#include <gradflow/diagnostics.hpp>

#include "dist/launcher.hpp"

#include <mpi.h>

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace gradflow {
namespace {

// MPI counts are int; longer buffers go in pieces of this many elements.
constexpr int64_t kMaxCount = int64_t{1} << 30;

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(int& argc, char**& argv) {
    int provided = 0;
    // Only the main thread calls MPI (OpenBLAS's threads never do).
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_size(comm_, &size_);
  }
  ~MpiCommunicator() override {
    MPI_Comm_free(&comm_);
    MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void sum(float* values, int64_t n) override { all_sum(values, n, MPI_FLOAT); }
  void sum(double* values, int64_t n) override { all_sum(values, n, MPI_DOUBLE); }
  void broadcast(float* values, int64_t n) override { broadcast_from(values, n, MPI_FLOAT, 0); }
  void broadcast(std::string& text) override { broadcast_text(text, 0); }

  std::string agree_on_failure(const std::string& my_failure) override {
    int mine = my_failure.empty() ? size_ : rank_;
    int first = size_;
    check(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm_), "MPI_Allreduce");
    if (first == size_) return "";
    std::string text = rank_ == first ? my_failure : std::string();
    broadcast_text(text, first);
    return fmt::format("rank {}: {}", first, text);
  }

  [[noreturn]] void abort(const std::string& message, int status) override {
    std::fprintf(stderr, "gradflow: rank %d: %s\n", rank_, message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, status);
    std::_Exit(status);  // MPI_Abort does not return; this keeps [[noreturn]] honest
  }

 private:
  void check(int code, const char* call) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING] = {};
    int length = 0;
    MPI_Error_string(code, text, &length);
    abort(fmt::format("{} failed ({}); another process has probably died", call,
                      std::string(text, static_cast<size_t>(std::max(length, 0)))),
          1);
  }

  template <class T>
  void all_sum(T* values, int64_t n, MPI_Datatype type) {
    for (int64_t done = 0; done < n; done += kMaxCount) {
      int count = static_cast<int>(std::min(kMaxCount, n - done));
      check(MPI_Allreduce(MPI_IN_PLACE, values + done, count, type, MPI_SUM, comm_),
            "MPI_Allreduce");
    }
  }

  template <class T>
  void broadcast_from(T* values, int64_t n, MPI_Datatype type, int root) {
    for (int64_t done = 0; done < n; done += kMaxCount) {
      int count = static_cast<int>(std::min(kMaxCount, n - done));
      check(MPI_Bcast(values + done, count, type, root, comm_), "MPI_Bcast");
    }
  }

  void broadcast_text(std::string& text, int root) {
    uint64_t length = text.size();
    check(MPI_Bcast(&length, 1, MPI_UINT64_T, root, comm_), "MPI_Bcast");
    text.resize(length);
    broadcast_from(text.data(), static_cast<int64_t>(length), MPI_CHAR, root);
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> open_communicator(int& argc, char**& argv) {
  const LaunchedAs launch = launched_as();
  // A plain run never touches MPI: no start-up cost, no launcher needed.
  if (launch.size <= 1) return solo_communicator();
  auto comm = std::make_unique<MpiCommunicator>(argc, argv);
  if (comm->size() != launch.size)
    throw InputError(fmt::format(
        "started as one of {} processes, but MPI reports {}: was graph-runner launched with the "
        "mpirun of another MPI than the one it was built with?",
        launch.size, comm->size()));
  return comm;
}

}  // namespace gradflow
