// The bootstrap of the peak depth r*, of the peak's location between layers and of the U-fit
// (r0, a) of one (model, method): resamples of source groups within each emotion, the peak
// metric per layer and replicate, the peak rule of peak_rule.h, PeakLocation and the U-fit of
// u_fit.h per replicate. Pure (the caller supplies the activations layer by layer); deterministic
// in the seed; thread-compatible.
//
// Resampling unit: the source group (a stimulus; for generation, a prompt with all its
// continuations), drawn with replacement within its emotion, as many as the emotion has.
//
// The probe is not retrained on a resample. A replicate's probe_accuracy at a layer is the mean,
// over the rows the replicate drew (copies counted), of the out-of-fold outcomes (ProbeOutcomes)
// of a fresh grouped fold deal of the ORIGINAL rows: replicate b deals its folds with seed
// probe.seed + 1 + b, the same deal at every layer. So a replicate varies both what the estimate
// depends on, the sources scored and the fold deal, while every probe is trained on distinct
// sources, as the estimate's are. Retraining on the resample (ProbeResampling::kRefit, the former
// scheme, kept for comparison) trains on copies: a replicate holds about 63% distinct sources, its
// probes are fitted as if on half the data, its curve is flatter and noisier than the estimate's,
// and the intervals over-cover (docs/analysis.md, "The peak interval"). The other peak metrics are
// recomputed on the resample (each copy of a source keeping one group id for the separation null).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analysis/metrics.h"

namespace emoscope::analysis {

// How a replicate's probe_accuracy is computed (the other metrics are always recomputed).
enum class ProbeResampling {
  kOutOfFold,  // Resampled out-of-fold outcomes of a fresh fold deal of the original rows.
  kRefit,      // The probe retrained by grouped k-fold on the resample (over-covers; for comparison).
};

struct PeakBootstrapOptions {
  std::string peak_metric = defaults::kPeakMetric;
  int64_t resamples = defaults::kResamples;  // > 0.
  uint64_t seed = 0;
  ProbeOptions probe;  // Folds and fold seed of the metrics task.
  ProbeResampling probe_resampling = ProbeResampling::kOutOfFold;
  // Permutations per replicate and layer when the peak metric needs the separation null
  // (separation_gap, separation_z); fewer than the metrics task's, since each replicate pays them.
  int permutations = 20;
};

// One (model, method)'s curve: hook points and their relative depths, the rows' labels and groups.
struct PeakBootstrapInput {
  std::vector<int64_t> layers;  // (L') the curve's hook points, ascending.
  std::vector<double> depths;   // (L') relative depth of each.
  std::vector<int> labels;      // (n) emotion index of each row.
  Groups groups;                // (n) source group of each row; empty: one per row.
  int num_classes = 0;
  // The (n, d) activations of layers[i]; called once per i, in order.
  std::function<Matrix(std::size_t)> layer;
};

struct PeakBootstrapResult {
  std::vector<double> peak_depths;  // (resamples) r* per replicate; NaN where the peak rule found none.
  // (resamples) PeakLocation per replicate, in relative depth; NaN where the peak rule found none.
  std::vector<double> peak_locations;
  // (resamples, L') the peak metric per replicate and hook point; NaN below kFirstPeakLayer.
  std::vector<std::vector<double>> curves;
  std::vector<double> r0;    // (resamples) U-fit vertex of mean_cosine; NaN where undefined.
  std::vector<double> a;     // (resamples) U-fit curvature.
  std::size_t failed = 0;    // Replicates without a peak (every layer's metric undefined).
  std::size_t inverted = 0;  // Replicates whose U-fit has a <= 0 (r0 is then no minimum).
};

// Errors: sizes that disagree, a peak metric outside PeakMetrics(), resamples <= 0, an emotion
// without rows.
PeakBootstrapResult BootstrapPeak(const PeakBootstrapInput& input, const PeakBootstrapOptions& options);

struct PercentileSummary {
  double lower;  // NaN when no replicate is finite.
  double upper;
  std::size_t finite;  // Replicates that entered the quantiles.
};

// numpy.quantile (linear) of the finite replicates at (1 -+ level) / 2.
PercentileSummary PercentileOfFinite(const std::vector<double>& replicates, double level);

}  // namespace emoscope::analysis
