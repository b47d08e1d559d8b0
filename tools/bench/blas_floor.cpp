// The BLAS floor of the benchmark network: only the sgemm calls that one epoch of training
// 784 -> 100 -> 10 runs (both forward products, both weight gradients, the hidden layer's input
// gradient), on preallocated buffers, nothing else. No framework can train that network faster
// with the same BLAS; tools/bench/run.py compares gradflow and PyTorch with it.
//
// usage: blas_floor [--batch B] [--threads T] [--epochs N] [--warmup N] [--samples N]
// prints one JSON object: the median seconds per epoch and each timed epoch.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int kIn = 784, kHidden = 100, kOut = 10;

struct Buffers {
  std::vector<float> x, w1, w2, h, z, dz, dh, dw1, dw2;
};

// One training step's products for `rows` samples starting at x.
void step(Buffers& b, const float* x, int rows) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, kHidden, kIn, 1.0f, x, kIn,
              b.w1.data(), kIn, 0.0f, b.h.data(), kHidden);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, kOut, kHidden, 1.0f, b.h.data(),
              kHidden, b.w2.data(), kHidden, 0.0f, b.z.data(), kOut);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kOut, kHidden, rows, 1.0f, b.dz.data(), kOut,
              b.h.data(), kHidden, 0.0f, b.dw2.data(), kHidden);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, kHidden, kOut, 1.0f, b.dz.data(),
              kOut, b.w2.data(), kHidden, 0.0f, b.dh.data(), kHidden);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kHidden, kIn, rows, 1.0f, b.dh.data(),
              kHidden, x, kIn, 0.0f, b.dw1.data(), kIn);
}

long arg(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::strtol(argv[i + 1], nullptr, 10);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int batch = static_cast<int>(std::max(1L, arg(argc, argv, "--batch", 10)));
  const int threads = static_cast<int>(std::max(1L, arg(argc, argv, "--threads", 1)));
  const long epochs = std::max(1L, arg(argc, argv, "--epochs", 3));
  const long warmup = std::max(0L, arg(argc, argv, "--warmup", 1));
  const long samples = std::max(1L, arg(argc, argv, "--samples", 60000));
  openblas_set_num_threads(threads);

  Buffers b;
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  auto filled = [&](size_t n) {
    std::vector<float> v(n);
    for (auto& f : v) f = u(rng);
    return v;
  };
  b.x = filled(static_cast<size_t>(samples) * kIn);
  b.w1 = filled(kHidden * kIn);
  b.w2 = filled(kOut * kHidden);
  b.h = filled(static_cast<size_t>(batch) * kHidden);
  b.z = filled(static_cast<size_t>(batch) * kOut);
  b.dz = filled(static_cast<size_t>(batch) * kOut);
  b.dh = filled(static_cast<size_t>(batch) * kHidden);
  b.dw1 = filled(kHidden * kIn);
  b.dw2 = filled(kOut * kHidden);

  std::vector<double> seconds;
  for (long e = 0; e < warmup + epochs; ++e) {
    auto t0 = std::chrono::steady_clock::now();
    for (long begin = 0; begin < samples; begin += batch) {
      int rows = static_cast<int>(std::min<long>(batch, samples - begin));
      step(b, b.x.data() + begin * kIn, rows);
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (e >= warmup) seconds.push_back(s);
  }
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  size_t h = sorted.size() / 2;
  double median = sorted.size() % 2 ? sorted[h] : 0.5 * (sorted[h - 1] + sorted[h]);
  std::string all;
  for (double s : seconds) all += (all.empty() ? "" : ",") + std::to_string(s);
  std::printf(
      "{\"tool\": \"blas-floor\", \"batch\": %d, \"threads\": %d, \"epochs\": %ld, "
      "\"epoch_s\": %.6f, \"epoch_s_all\": [%s]}\n",
      batch, threads, epochs, median, all.c_str());
  return 0;
}
