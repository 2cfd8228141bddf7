#include "tests/analysis/synthetic_activations.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "analysis/metrics.h"
#include "analysis/peak_bootstrap.h"
#include "analysis/peak_rule.h"
#include "analysis/stats.h"

namespace emoscope::testing {

double Gaussian(analysis::Rng& rng) {
  constexpr double kTwoPi = 6.283185307179586;
  const double u = 1.0 - rng.UniformDouble();  // (0, 1]: log(u) is finite.
  const double v = rng.UniformDouble();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(kTwoPi * v);
}

SyntheticData MakeSynthetic(const SyntheticSpec& spec, uint64_t seed) {
  analysis::Rng rng(seed);
  const auto d = static_cast<std::size_t>(spec.dim);
  const double unit = 1.0 / std::sqrt(static_cast<double>(spec.dim));
  std::vector<double> offset(d);
  for (double& value : offset) value = Gaussian(rng) * unit;
  double norm = 0.0;
  for (double value : offset) norm += value * value;
  for (double& value : offset) value *= spec.offset_norm / std::sqrt(norm);
  std::vector<std::vector<double>> directions(static_cast<std::size_t>(spec.classes), std::vector<double>(d));
  for (auto& direction : directions) {
    for (double& value : direction) value = Gaussian(rng) * unit;
  }
  SyntheticData data;
  const int sources = spec.classes * spec.per_class;
  std::vector<std::vector<double>> source_effect(static_cast<std::size_t>(sources), std::vector<double>(d));
  for (int source = 0; source < sources; ++source) {
    for (double& value : source_effect[static_cast<std::size_t>(source)])
      value = spec.source_sd * Gaussian(rng);
    for (int copy = 0; copy < spec.copies; ++copy) {
      data.labels.push_back(source % spec.classes);
      data.groups.push_back(source);
    }
  }
  const std::size_t n = data.labels.size();
  for (int layer = 0; layer <= spec.layers; ++layer) {
    const double strength =
        spec.planted_layer < 0
            ? 0.0
            : spec.signal * std::max(0.0, 1.0 - spec.falloff * std::abs(layer - spec.planted_layer));
    analysis::Matrix m{std::vector<double>(n * d), n, d};
    for (std::size_t i = 0; i < n; ++i) {
      const auto& direction = directions[static_cast<std::size_t>(data.labels[i])];
      const auto& effect = source_effect[static_cast<std::size_t>(data.groups[i])];
      for (std::size_t k = 0; k < d; ++k) {
        m.Row(i)[k] = offset[k] + strength * direction[k] + effect[k] + spec.noise_sd * Gaussian(rng);
      }
    }
    data.layers.push_back(std::move(m));
  }
  return data;
}

std::vector<int64_t> HookPoints(int layers) {
  std::vector<int64_t> out;
  for (int64_t l = 0; l <= layers; ++l) out.push_back(l);
  return out;
}

int64_t PointPeak(const SyntheticData& data, int classes, uint64_t seed, const std::string& metric) {
  std::vector<double> values;
  for (const analysis::Matrix& layer : data.layers) {
    if (metric == "probe_accuracy") {
      values.push_back(analysis::ProbeAccuracy(layer.View(), data.labels, classes, {5, seed}, data.groups));
    } else if (metric == "fisher_ratio") {
      values.push_back(analysis::FisherRatio(layer.View(), data.labels, classes));
    } else {
      values.push_back(analysis::MeanCosine(analysis::ClassMeans(layer.View(), data.labels, classes)));
    }
  }
  return analysis::PeakLayer(metric, HookPoints(static_cast<int>(data.layers.size()) - 1), values)
      .value_or(-1);
}

analysis::PeakBootstrapInput BootstrapInput(const SyntheticData& data, const SyntheticSpec& spec) {
  analysis::PeakBootstrapInput input;
  input.layers = HookPoints(spec.layers);
  for (int64_t l : input.layers) input.depths.push_back(static_cast<double>(l) / spec.layers);
  input.labels = data.labels;
  input.groups = data.groups;
  input.num_classes = spec.classes;
  input.layer = [&data](std::size_t i) { return data.layers[i]; };
  return input;
}

PeakCoverage PeakIntervalCovers(const SyntheticData& data, const SyntheticSpec& spec,
                                const std::string& metric, uint64_t seed, int64_t resamples,
                                analysis::ProbeResampling resampling) {
  const analysis::PeakBootstrapInput input = BootstrapInput(data, spec);
  analysis::PeakBootstrapOptions options;
  options.resamples = resamples;
  options.peak_metric = metric;
  options.seed = seed;
  options.probe = {5, seed};
  options.probe_resampling = resampling;
  const analysis::PeakBootstrapResult boot = analysis::BootstrapPeak(input, options);
  const double planted = static_cast<double>(spec.planted_layer) / spec.layers;
  const auto covers = [planted](const analysis::PercentileSummary& ci) {
    return ci.lower <= planted && planted <= ci.upper;
  };
  return {covers(analysis::PercentileOfFinite(boot.peak_depths, 0.95)),
          covers(analysis::PercentileOfFinite(boot.peak_locations, 0.95))};
}

}  // namespace emoscope::testing
