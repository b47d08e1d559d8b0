// The cost of the one collective of a data-parallel step: an in-place sum of n floats over
// every process, through the same Communicator the trainer uses. Rank 0 prints, per size, the
// median and 10th/90th percentile microseconds, and a least-squares fit t(n) = alpha + beta n
// over the medians (the model in the README).
//
// usage: mpirun -np K gradflow_allreduce_bench [--reps N] [--floats N]...
#include <gradflow/communicator.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Timing {
  double floats = 0, median = 0, p10 = 0, p90 = 0;  // microseconds
};

Timing time_sum(gradflow::Communicator& comm, int64_t n, int reps) {
  std::vector<float> values(static_cast<size_t>(n), 1.0f);
  std::vector<double> us;
  for (int r = 0; r < reps + reps / 10 + 1; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    comm.sum(values.data(), n);
    auto t1 = std::chrono::steady_clock::now();
    if (r > reps / 10) us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    std::fill(values.begin(), values.end(), 1.0f);
  }
  std::sort(us.begin(), us.end());
  return {static_cast<double>(n), us[us.size() / 2], us[us.size() / 10], us[us.size() * 9 / 10]};
}

// Least squares of median = alpha + beta * floats.
void print_fit(const std::vector<Timing>& timings) {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& t : timings) {
    n += 1;
    sx += t.floats;
    sy += t.median;
    sxx += t.floats * t.floats;
    sxy += t.floats * t.median;
  }
  double beta = (n * sxy - sx * sy) / (n * sxx - sx * sx), alpha = (sy - beta * sx) / n;
  std::printf("fit: alpha %.2f us, beta %.3g us/float (%.2f GB/s of float32 payload)\n", alpha,
              beta, 4e-3 / beta);
}

}  // namespace

int main(int argc, char** argv) {
  auto comm = gradflow::open_communicator(argc, argv);
  if (!comm) return 0;
  int reps = 2000;
  std::vector<int64_t> sizes;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::max(10, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--floats") == 0) sizes.push_back(std::atoll(argv[i + 1]));
  }
  if (sizes.empty()) sizes = {1, 1000, 10000, 80000, 200000, 800000};
  std::vector<Timing> timings;
  for (int64_t n : sizes) timings.push_back(time_sum(*comm, std::max<int64_t>(n, 1), reps));
  if (!comm->is_root()) return 0;
  std::printf("%d processes, %d sums per size\n%10s %10s %10s %10s\n", comm->size(), reps, "floats",
              "median us", "p10 us", "p90 us");
  for (const auto& t : timings)
    std::printf("%10.0f %10.1f %10.1f %10.1f\n", t.floats, t.median, t.p10, t.p90);
  if (timings.size() >= 2) print_fit(timings);
  return 0;
}
