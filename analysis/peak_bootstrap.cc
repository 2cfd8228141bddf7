#include "analysis/peak_bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "analysis/peak_rule.h"
#include "analysis/random.h"
#include "analysis/stats.h"
#include "analysis/u_fit.h"
#include "common/error.h"

namespace emoscope::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One replicate: the original rows it holds (in order) and each one's group in the replicate.
struct Replicate {
  std::vector<std::size_t> rows;
  std::vector<int> labels;
  Groups groups;
};

}  // namespace

PeakBootstrapResult BootstrapPeak(const PeakBootstrapInput& input, const PeakBootstrapOptions& options) {
  RequirePeakMetric(options.peak_metric, "peak bootstrap");
  if (options.resamples <= 0) Fail("peak bootstrap: resamples must be positive, got {}", options.resamples);
  if (input.layers.size() != input.depths.size()) {
    Fail("peak bootstrap: {} layers but {} depths", input.layers.size(), input.depths.size());
  }
  if (!input.groups.empty() && input.groups.size() != input.labels.size()) {
    Fail("peak bootstrap: {} groups for {} rows", input.groups.size(), input.labels.size());
  }
  // Source groups of each emotion, groups in order of their first row, rows in order.
  std::vector<std::vector<std::vector<std::size_t>>> sources(static_cast<std::size_t>(input.num_classes));
  std::map<int64_t, std::pair<int, std::size_t>> where;  // group -> (emotion, index in sources[emotion])
  for (std::size_t i = 0; i < input.labels.size(); ++i) {
    const int label = input.labels[i];
    if (label < 0 || label >= input.num_classes) Fail("peak bootstrap: label of row {} is {}", i, label);
    const int64_t group = input.groups.empty() ? static_cast<int64_t>(i) : input.groups[i];
    auto& of_emotion = sources[static_cast<std::size_t>(label)];
    const auto [found, inserted] = where.emplace(group, std::make_pair(label, of_emotion.size()));
    if (inserted) of_emotion.emplace_back();
    if (found->second.first != label) Fail("peak bootstrap: group {} holds rows of two emotions", group);
    of_emotion[found->second.second].push_back(i);
  }
  for (std::size_t e = 0; e < sources.size(); ++e) {
    if (sources[e].empty()) Fail("peak bootstrap: emotion {} has no rows", e);
  }

  // Draw every replicate once; each layer reuses them, so each layer is read once.
  Rng rng(options.seed);
  std::vector<Replicate> replicates(static_cast<std::size_t>(options.resamples));
  for (Replicate& replicate : replicates) {
    int64_t next_group = 0;
    for (std::size_t e = 0; e < sources.size(); ++e) {
      std::map<std::size_t, int64_t> group_of_source;  // All copies of a source share one group.
      for (std::size_t pick : ResampleIndices(rng, sources[e].size())) {
        const int64_t group = group_of_source.emplace(pick, next_group).first->second;
        if (group == next_group) ++next_group;
        for (std::size_t row : sources[e][pick]) {
          replicate.rows.push_back(row);
          replicate.labels.push_back(static_cast<int>(e));
          replicate.groups.push_back(group);
        }
      }
    }
  }

  const std::size_t points = input.layers.size();
  std::vector<std::vector<double>> peak_values(replicates.size(), std::vector<double>(points, kNaN));
  std::vector<std::vector<double>> cosines(replicates.size(), std::vector<double>(points, kNaN));
  for (std::size_t point = 0; point < points; ++point) {
    const Matrix all = input.layer(point);
    if (all.rows != input.labels.size()) {
      Fail("peak bootstrap: layer {} has {} rows for {} labels", input.layers[point], all.rows,
           input.labels.size());
    }
    for (std::size_t b = 0; b < replicates.size(); ++b) {
      const Replicate& replicate = replicates[b];
      Matrix sample{std::vector<double>(replicate.rows.size() * all.cols), replicate.rows.size(), all.cols};
      for (std::size_t i = 0; i < replicate.rows.size(); ++i) {
        std::copy_n(all.Row(replicate.rows[i]), all.cols, sample.Row(i));
      }
      const Matrix means = ClassMeans(sample.View(), replicate.labels, input.num_classes);
      cosines[b][point] = MeanCosine(means);
      if (input.layers[point] < kFirstPeakLayer) continue;  // Never a peak: spare its metric.
      const std::string& metric = options.peak_metric;
      double value = kNaN;
      if (metric == "probe_accuracy" && options.probe_resampling == ProbeResampling::kOutOfFold) {
        // The original rows' out-of-fold outcomes under this replicate's fold deal, averaged over
        // the rows the replicate drew.
        const ProbeOptions deal{options.probe.folds, options.probe.seed + 1 + b};
        const std::vector<uint8_t> outcomes =
            ProbeOutcomes(all.View(), input.labels, input.num_classes, deal, input.groups);
        std::size_t correct = 0;
        for (std::size_t row : replicate.rows) correct += outcomes[row];
        value = static_cast<double>(correct) / static_cast<double>(replicate.rows.size());
      } else if (metric == "probe_accuracy") {
        value = ProbeAccuracy(sample.View(), replicate.labels, input.num_classes, options.probe,
                              replicate.groups);
      } else if (metric == "fisher_ratio") {
        value = FisherRatio(sample.View(), replicate.labels, input.num_classes);
      } else if (metric == "mean_cosine") {
        value = cosines[b][point];
      } else {
        const SeparationNull null =
            MeanCosinePermutationNull(sample.View(), replicate.labels, input.num_classes,
                                      options.permutations, options.seed + b, replicate.groups);
        value = metric == "separation_gap" ? null.separation_gap : null.separation_z;
      }
      peak_values[b][point] = value;
    }
  }

  PeakBootstrapResult result;
  for (std::size_t b = 0; b < replicates.size(); ++b) {
    const std::optional<std::size_t> peak = PeakIndex(options.peak_metric, input.layers, peak_values[b]);
    result.peak_depths.push_back(peak ? input.depths[*peak] : kNaN);
    result.peak_locations.push_back(
        PeakLocation(options.peak_metric, input.layers, input.depths, peak_values[b]).value_or(kNaN));
    if (!peak) ++result.failed;
    std::vector<double> r;
    std::vector<double> y;
    for (std::size_t point = 0; point < points; ++point) {
      if (std::isfinite(cosines[b][point]) && std::isfinite(input.depths[point])) {
        r.push_back(input.depths[point]);
        y.push_back(cosines[b][point]);
      }
    }
    const UFit fit = r.size() >= 3 ? FitU(r, y) : UFit{kNaN, kNaN, kNaN, kNaN};
    result.a.push_back(fit.a);
    // r0 of an inverted U is the depth of least separation: it never enters the peak's interval.
    const bool inverted = std::isfinite(fit.a) && fit.a <= 0.0;
    if (inverted) ++result.inverted;
    result.r0.push_back(inverted ? kNaN : fit.r0);
  }
  result.curves = std::move(peak_values);
  return result;
}

PercentileSummary PercentileOfFinite(const std::vector<double>& replicates, double level) {
  if (!(level > 0.0 && level < 1.0)) Fail("bootstrap: level must lie in (0, 1), got {}", level);
  std::vector<double> finite;
  for (double value : replicates) {
    if (std::isfinite(value)) finite.push_back(value);
  }
  PercentileSummary out{kNaN, kNaN, finite.size()};
  if (finite.empty()) return out;
  out.lower = Quantile(finite, (1.0 - level) / 2.0);
  out.upper = Quantile(finite, (1.0 + level) / 2.0);
  return out;
}

}  // namespace emoscope::analysis
