// A seeded generator of synthetic per-layer activations with a known answer, for the known-answer
// tests: K emotions, `per_class` sources each (a source has `copies` rows sharing a source
// effect, as the continuations of one generation prompt do), hook points 0..layers.
//
// Row i of emotion e at layer l: offset + s_l * c_e + source_noise(i's source) + noise, with the
// offset a shared direction of norm `offset_norm` (the anisotropy real residual streams have),
// c_e a Gaussian class direction of norm about 1 (fixed per dataset), s_l = signal * max(0, 1 -
// falloff * |l - planted_layer|) (0 at every layer when planted_layer < 0: no signal), and the
// noise terms Gaussian with sd source_sd and noise_sd per coordinate. Labels are independent of
// the activations when there is no signal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/metrics.h"
#include "analysis/peak_bootstrap.h"
#include "analysis/random.h"

namespace emoscope::testing {

struct SyntheticSpec {
  int classes = 4;
  int per_class = 12;  // Sources per emotion.
  int copies = 1;      // Rows per source.
  int dim = 8;
  int layers = 6;         // Blocks; hook points 0..layers.
  int planted_layer = 3;  // < 0: no signal anywhere.
  double signal = 1.0;
  double falloff = 0.3;
  double offset_norm = 2.0;
  double source_sd = 0.0;
  double noise_sd = 1.0;
};

struct SyntheticData {
  std::vector<analysis::Matrix> layers;  // (layers + 1) matrices of (classes * per_class * copies, dim)
  std::vector<int> labels;
  analysis::Groups groups;  // The source of each row.
};

// A standard normal draw (Box-Muller on two uniforms; deterministic in the Rng).
double Gaussian(analysis::Rng& rng);

SyntheticData MakeSynthetic(const SyntheticSpec& spec, uint64_t seed);

// The hook points 0..layers.
std::vector<int64_t> HookPoints(int layers);

// The peak bootstrap's input over a synthetic dataset: its hook points, depths, labels, groups and
// layers (which `data` must outlive).
analysis::PeakBootstrapInput BootstrapInput(const SyntheticData& data, const SyntheticSpec& spec);

// The point-estimate peak of a dataset by `metric` (probe_accuracy with grouped folds seeded by
// `seed`, fisher_ratio or mean_cosine), through the peak rule.
int64_t PointPeak(const SyntheticData& data, int classes, uint64_t seed, const std::string& metric);

// Whether the bootstrap 95% percentile intervals of the peak by `metric` (`resamples` resamples of
// source groups, seeded by `seed`, the probe's replicates as `resampling` says) cover the planted
// layer's depth: the interval of the replicates' peak layers (analyze's ci_lower..ci_upper) and
// that of their peak locations (location_ci_lower..location_ci_upper).
struct PeakCoverage {
  bool layers = false;
  bool location = false;
};
PeakCoverage PeakIntervalCovers(const SyntheticData& data, const SyntheticSpec& spec,
                                const std::string& metric, uint64_t seed, int64_t resamples,
                                analysis::ProbeResampling resampling = analysis::ProbeResampling::kOutOfFold);

}  // namespace emoscope::testing
