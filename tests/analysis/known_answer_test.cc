// Known-answer tests: seeded synthetic activations (synthetic_activations.h) with a planted peak,
// no signal, or a planted method difference, fed through the real metrics, peak rule, bootstrap
// and rank tests. The figures each test measures are printed; its name states what it requires.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "analysis/equal_counts.h"
#include "analysis/metrics.h"
#include "analysis/peak_bootstrap.h"
#include "analysis/peak_rule.h"
#include "analysis/rank_tests.h"
#include "analysis/stats.h"
#include "tests/analysis/synthetic_activations.h"

namespace a = emoscope::analysis;
using emoscope::testing::HookPoints;
using emoscope::testing::MakeSynthetic;
using emoscope::testing::PeakCoverage;
using emoscope::testing::PeakIntervalCovers;
using emoscope::testing::PointPeak;
using emoscope::testing::SyntheticData;
using emoscope::testing::SyntheticSpec;

// The peak's location between layers (PeakLocation: the vertex of the parabola through the peak
// layer and its neighbours; the planted peak is symmetric, so its location is the planted layer)
// and the percentile interval of the replicates' locations, the probe's replicates resampling
// out-of-fold outcomes (peak_bootstrap.h). A nominal 95% interval must cover in 90-99% of seeds:
// measured 193/200. The interval of the replicates' peak LAYERS (ci_lower..ci_upper) cannot be
// calibrated on a lattice of five layers: the point estimate alone is right in 197 seeds, so any
// set holding it covers at least 98.5%; it covers in 200/200 and is checked against 90% only.
TEST_CASE(
    "a planted peak is found in at least 95% of 200 seeds and the bootstrap 95% interval of its "
    "location covers it in 90% to 99% of them",
    "[known_answer][slow]") {
  SyntheticSpec spec;
  spec.layers = 5;
  spec.planted_layer = 3;
  spec.signal = 1.6;
  spec.falloff = 0.5;  // Layers 2 and 4 carry half the planted signal, 1 and 5 none.
  spec.per_class = 20;
  const std::string metric = a::defaults::kPeakMetric;
  constexpr int kSeeds = 200;
  int found = 0;
  int location_covered = 0;
  int layers_covered = 0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    const SyntheticData data = MakeSynthetic(spec, 1000 + seed);
    if (PointPeak(data, spec.classes, seed, metric) == spec.planted_layer) ++found;
    const PeakCoverage coverage = PeakIntervalCovers(data, spec, metric, seed, /*resamples=*/100);
    if (coverage.location) ++location_covered;
    if (coverage.layers) ++layers_covered;
  }
  std::printf(
      "planted peak: found in %d/%d seeds; 95%% interval of its location covers it in %d/%d, of the "
      "replicates' peak layers in %d/%d\n",
      found, kSeeds, location_covered, kSeeds, layers_covered, kSeeds);
  CHECK(found >= 0.95 * kSeeds);
  CHECK(location_covered >= 0.90 * kSeeds);
  CHECK(location_covered <= 0.99 * kSeeds);
  CHECK(layers_covered >= 0.90 * kSeeds);
}

TEST_CASE("without signal the grouped probe's mean accuracy over seeds is within 0.02 of chance",
          "[known_answer]") {
  SyntheticSpec spec;
  spec.planted_layer = -1;
  spec.layers = 0;
  spec.copies = 3;
  spec.source_sd = 1.0;  // Continuations of one prompt resemble each other: grouping matters.
  constexpr int kSeeds = 300;
  double grouped = 0.0;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    const SyntheticData data = MakeSynthetic(spec, 5000 + seed);
    grouped +=
        a::ProbeAccuracy(data.layers[0].View(), data.labels, spec.classes, {5, seed}, data.groups) / kSeeds;
  }
  std::printf("null probe accuracy: mean %.4f over %d seeds (chance %.4f)\n", grouped, kSeeds,
              1.0 / spec.classes);
  CHECK(std::fabs(grouped - 1.0 / spec.classes) <= 0.02);
}

TEST_CASE("without signal the permutation test's share of p < 0.05 over 1000 datasets is within [0.03, 0.07]",
          "[known_answer]") {
  SyntheticSpec spec;
  spec.planted_layer = -1;
  spec.layers = 0;
  spec.per_class = 8;
  spec.copies = 2;
  spec.source_sd = 1.0;
  constexpr int kDatasets = 1000;
  int rejected = 0;
  for (uint64_t seed = 0; seed < kDatasets; ++seed) {
    const SyntheticData data = MakeSynthetic(spec, 9000 + seed);
    const a::SeparationNull null = a::MeanCosinePermutationNull(data.layers[0].View(), data.labels,
                                                                spec.classes, 200, seed, data.groups);
    if (null.permutation_p < 0.05) ++rejected;
  }
  std::printf("null permutation test: share p < 0.05 = %.3f over %d datasets\n",
              static_cast<double>(rejected) / kDatasets, kDatasets);
  CHECK(rejected >= 0.03 * kDatasets);
  CHECK(rejected <= 0.07 * kDatasets);
}

namespace {

// One method comparison: n_models independent models, each giving one (generation,
// comprehension) pair of emotion_separation of emotion 0 from datasets of its two methods.
struct Comparison {
  double mann_whitney_p;
  double wilcoxon_p;
};

Comparison CompareMethods(uint64_t seed, int n_models, double generation_signal,
                          double comprehension_signal) {
  std::vector<double> x;
  std::vector<double> y;
  for (int model = 0; model < n_models; ++model) {
    SyntheticSpec spec;
    spec.layers = 0;
    spec.planted_layer = 0;
    spec.per_class = 6;
    for (int method = 0; method < 2; ++method) {
      spec.signal = method == 0 ? generation_signal : comprehension_signal;
      const SyntheticData data = MakeSynthetic(spec, seed * 1000 + static_cast<uint64_t>(model * 2 + method));
      const a::Matrix means = a::ClassMeans(data.layers[0].View(), data.labels, spec.classes);
      (method == 0 ? x : y).push_back(a::EmotionSeparation(means)[0]);
    }
  }
  return {a::MannWhitneyU(x, y).p_value, a::Wilcoxon(x, y).p_value};
}

}  // namespace

TEST_CASE(
    "without a method difference the share of p < 0.05 over 1000 comparisons is within [0.03, 0.07] "
    "for Mann-Whitney and Wilcoxon",
    "[known_answer]") {
  constexpr int kDatasets = 1000;
  int mann_whitney = 0;
  int wilcoxon = 0;
  for (uint64_t seed = 0; seed < kDatasets; ++seed) {
    const Comparison comparison = CompareMethods(seed, 12, 1.0, 1.0);
    if (comparison.mann_whitney_p < 0.05) ++mann_whitney;
    if (comparison.wilcoxon_p < 0.05) ++wilcoxon;
  }
  std::printf("null method comparison: share p < 0.05: Mann-Whitney %.3f, Wilcoxon %.3f over %d\n",
              static_cast<double>(mann_whitney) / kDatasets, static_cast<double>(wilcoxon) / kDatasets,
              kDatasets);
  CHECK(mann_whitney >= 0.03 * kDatasets);
  CHECK(mann_whitney <= 0.07 * kDatasets);
  CHECK(wilcoxon >= 0.03 * kDatasets);
  CHECK(wilcoxon <= 0.07 * kDatasets);
}

TEST_CASE("a planted method difference is detected: Wilcoxon power of at least 80% over 200 comparisons",
          "[known_answer]") {
  constexpr int kDatasets = 200;
  int mann_whitney = 0;
  int wilcoxon = 0;
  for (uint64_t seed = 0; seed < kDatasets; ++seed) {
    const Comparison comparison = CompareMethods(50000 + seed, 12, 2.0, 1.0);
    if (comparison.mann_whitney_p < 0.05) ++mann_whitney;
    if (comparison.wilcoxon_p < 0.05) ++wilcoxon;
  }
  std::printf("planted method difference: power Mann-Whitney %.3f, Wilcoxon %.3f over %d\n",
              static_cast<double>(mann_whitney) / kDatasets, static_cast<double>(wilcoxon) / kDatasets,
              kDatasets);
  CHECK(wilcoxon >= 0.80 * kDatasets);
}

TEST_CASE(
    "emotion_separation from 40 against 20 samples per emotion is biased towards the smaller side; "
    "equal counts remove the bias",
    "[known_answer]") {
  // Both sides from the same distribution: any systematic difference is the class-size bias.
  constexpr int kDatasets = 200;
  double unequal = 0.0;
  double equal = 0.0;
  for (uint64_t seed = 0; seed < kDatasets; ++seed) {
    SyntheticSpec spec;
    spec.layers = 0;
    spec.planted_layer = 0;
    spec.signal = 0.5;
    spec.per_class = 40;
    const SyntheticData large = MakeSynthetic(spec, 70000 + seed);
    spec.per_class = 20;
    const SyntheticData small = MakeSynthetic(spec, 80000 + seed);
    const auto separation = [&](const SyntheticData& data) {
      return a::Mean(a::EmotionSeparation(a::ClassMeans(data.layers[0].View(), data.labels, spec.classes)));
    };
    unequal += (separation(small) - separation(large)) / kDatasets;
    const a::EqualCountSeparation fair = a::EqualCountEmotionSeparation(
        small.layers[0].View(), small.labels, large.layers[0].View(), large.labels, spec.classes, seed);
    CHECK(fair.used == std::vector<std::size_t>(4, 20));
    equal += (a::Mean(fair.separation_a) - a::Mean(fair.separation_b)) / kDatasets;
  }
  std::printf("size bias of emotion_separation (20 vs 40 per emotion): unequal %+.4f, equal counts %+.4f\n",
              unequal, equal);
  CHECK(unequal > 0.02);
  CHECK(std::fabs(equal) < unequal / 4);
}

TEST_CASE("bootstrap replicates without a computable peak are counted, and an inverted U never gives r0",
          "[known_answer]") {
  SyntheticSpec spec;
  spec.layers = 6;
  spec.planted_layer = 0;
  spec.signal = 2.0;
  spec.falloff = 0.15;  // Strongest at layer 0, weakest at layer 6.
  const SyntheticData data = MakeSynthetic(spec, 4);
  a::PeakBootstrapInput input;
  input.labels = data.labels;
  input.num_classes = spec.classes;
  // Hook point i reads generated layer 6 - 2|i - 3|: separation strongest at both ends, weakest at 3.
  std::vector<a::Matrix> layers;
  for (int i = 0; i <= 6; ++i) {
    layers.push_back(data.layers[static_cast<std::size_t>(6 - std::abs(i - 3) * 2)]);
    input.layers.push_back(i);
    input.depths.push_back(i / 6.0);
  }
  input.layer = [&](std::size_t i) { return layers[i]; };
  a::PeakBootstrapOptions options;
  options.resamples = 40;
  const a::PeakBootstrapResult inverted = a::BootstrapPeak(input, options);
  CHECK(inverted.inverted == 40);
  for (double r0 : inverted.r0) CHECK(std::isnan(r0));
  CHECK(inverted.failed == 0);

  // Only the embedding layer: no replicate has a peak, and every one is counted.
  a::PeakBootstrapInput embedding_only = input;
  embedding_only.layers = {0};
  embedding_only.depths = {0.0};
  const a::PeakBootstrapResult none = a::BootstrapPeak(embedding_only, options);
  CHECK(none.failed == 40);
  CHECK(a::PercentileOfFinite(none.peak_depths, 0.95).finite == 0);
}

TEST_CASE(
    "the probe's out-of-fold replicates draw the same resamples as retrained ones: the U-fit's "
    "replicates agree and each accuracy is a share of the resample's rows",
    "[known_answer]") {
  SyntheticSpec spec;
  spec.layers = 4;
  spec.planted_layer = 2;
  spec.copies = 2;
  spec.source_sd = 0.5;
  const SyntheticData data = MakeSynthetic(spec, 17);
  a::PeakBootstrapInput input;
  input.layers = HookPoints(spec.layers);
  for (int64_t l : input.layers) input.depths.push_back(l / 4.0);
  input.labels = data.labels;
  input.groups = data.groups;
  input.num_classes = spec.classes;
  input.layer = [&](std::size_t i) { return data.layers[i]; };
  a::PeakBootstrapOptions options;
  options.resamples = 25;
  options.seed = 3;
  const a::PeakBootstrapResult out_of_fold = a::BootstrapPeak(input, options);
  options.probe_resampling = a::ProbeResampling::kRefit;
  const a::PeakBootstrapResult refit = a::BootstrapPeak(input, options);
  CHECK(out_of_fold.a == refit.a);
  CHECK(out_of_fold.inverted == refit.inverted);
  const double rows = static_cast<double>(data.labels.size());  // Every replicate draws as many.
  for (const std::vector<double>& curve : out_of_fold.curves) {
    CHECK(std::isnan(curve[0]));
    for (std::size_t l = 1; l < curve.size(); ++l)
      CHECK(curve[l] * rows == Approx(std::round(curve[l] * rows)));
  }
  for (std::size_t b = 0; b < out_of_fold.peak_locations.size(); ++b) {
    CHECK(std::fabs(out_of_fold.peak_locations[b] - out_of_fold.peak_depths[b]) <= 0.5 / spec.layers + 1e-12);
  }
}
