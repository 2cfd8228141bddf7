// The coverage of the peak's bootstrap interval across planted effects of every strength: a sweep
// over signal, falloff and copies per source (100 seeds each, 100 resamples). Hidden (about a
// minute): `build/tests/analysis_test "[.coverage_sweep]"`; docs/analysis.md quotes its figures.
// It requires what the interval is, conservative: coverage at least 90% even where the point
// estimate finds the planted layer in barely more than half the seeds.
#include <catch2/catch.hpp>
#include <cstdio>

#include "analysis/metrics.h"
#include "analysis/peak_bootstrap.h"
#include "analysis/peak_rule.h"
#include "analysis/stats.h"
#include "tests/analysis/synthetic_activations.h"
namespace a = emoscope::analysis;
using emoscope::testing::MakeSynthetic;
using emoscope::testing::SyntheticData;
using emoscope::testing::SyntheticSpec;
TEST_CASE("the peak interval covers the planted layer in at least 90% of seeds at every effect strength",
          "[.coverage_sweep]") {
  for (double signal : {1.0, 1.2, 1.6, 2.0})
    for (double falloff : {0.2, 0.35, 0.5, 1.0})
      for (int copies : {1, 2}) {
        SyntheticSpec spec;
        spec.layers = 5;
        spec.planted_layer = 3;
        spec.signal = signal;
        spec.falloff = falloff;
        spec.per_class = 20;
        spec.copies = copies;
        int found = 0, covered = 0;
        const int n = 100;
        for (uint64_t seed = 0; seed < n; ++seed) {
          const SyntheticData data = MakeSynthetic(spec, 1000 + seed);
          std::vector<int64_t> layers;
          for (int64_t l = 0; l <= spec.layers; ++l) layers.push_back(l);
          std::vector<double> values;
          for (const a::Matrix& layer : data.layers)
            values.push_back(
                a::ProbeAccuracy(layer.View(), data.labels, spec.classes, {5, seed}, data.groups));
          if (a::PeakLayer("probe_accuracy", layers, values).value_or(-1) == spec.planted_layer) ++found;
          a::PeakBootstrapInput input;
          input.layers = layers;
          for (int64_t l : layers) input.depths.push_back(double(l) / spec.layers);
          input.labels = data.labels;
          input.groups = data.groups;
          input.num_classes = spec.classes;
          input.layer = [&](std::size_t i) { return data.layers[i]; };
          a::PeakBootstrapOptions options;
          options.resamples = 100;
          options.peak_metric = "probe_accuracy";
          options.seed = seed;
          options.probe = {5, seed};
          const auto boot = a::BootstrapPeak(input, options);
          const auto ci = a::PercentileOfFinite(boot.peak_depths, 0.95);
          const double planted = double(spec.planted_layer) / spec.layers;
          if (ci.lower <= planted && planted <= ci.upper) ++covered;
        }
        std::printf("signal %.1f falloff %.2f copies %d: found %d/%d covered %d/%d\n", signal, falloff,
                    copies, found, n, covered, n);
        CHECK(covered >= 90);
      }
}
