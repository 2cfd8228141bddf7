// Times the per-layer analysis at the sizes of a real campaign layer: K emotions x S stimuli rows
// of width d, and N neutral rows. Usage: analysis_bench [K S N d]  (default 20 50 300 4096).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "analysis/metrics.h"
#include "analysis/random.h"
#include "analysis/rank_tests.h"

namespace a = emoscope::analysis;

namespace {

template <typename F>
double Seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

a::Matrix RandomRows(a::Rng& rng, std::size_t rows, std::size_t cols) {
  a::Matrix m{std::vector<double>(rows * cols), rows, cols};
  for (double& value : m.data) value = rng.UniformDouble() - 0.4;  // Offset: anisotropic, like LMs.
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const int k = argc > 1 ? std::atoi(argv[1]) : 20;
  const std::size_t s = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 50;
  const std::size_t n = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 300;
  const std::size_t d = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 4096;
  a::Rng rng(1);
  const a::Matrix rows = RandomRows(rng, k * s, d);
  const a::Matrix neutral = RandomRows(rng, n, d);
  std::vector<int> labels(k * s);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int>(i % k);

  a::Matrix means;
  a::EmotionVectors vectors;
  a::LayerMetrics metrics{};
  std::printf("K=%d S=%zu N=%zu d=%zu\n", k, s, n, d);
  std::printf("class means          %8.3f s\n", Seconds([&] { means = a::ClassMeans(rows.View(), labels, k); }));
  std::printf("emotion vectors+PCs  %8.3f s\n", Seconds([&] { vectors = a::ComputeEmotionVectors(means, neutral.View()); }));
  std::printf("layer metrics        %8.3f s\n", Seconds([&] { metrics = a::ComputeLayerMetrics(rows.View(), labels, k, neutral.View()); }));
  std::printf("  (removed %zu PCs for %.3f of neutral variance; probe %.3f; anisotropy %.3f)\n",
              vectors.removed_components, vectors.removed_share, metrics.probe_accuracy, metrics.anisotropy);
  std::vector<double> x(k);
  std::vector<double> y(k);
  for (int i = 0; i < k; ++i) {
    x[i] = rng.UniformDouble();
    y[i] = rng.UniformDouble();
  }
  std::printf("mann-whitney + wilcoxon (n=%d) %8.6f s\n", k, Seconds([&] {
                a::MannWhitneyU(x, y);
                a::Wilcoxon(x, y);
              }));
  return 0;
}
