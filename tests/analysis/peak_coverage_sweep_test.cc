// The coverage of the peak's bootstrap interval across planted effects of every strength: a sweep
// over signal, falloff and copies per source (100 seeds each, 100 resamples). Hidden (about a
// minute): `build/tests/analysis_test "[.coverage_sweep]"`; docs/analysis.md quotes its figures.
// It requires what the interval is, conservative: coverage at least 90% even where the point
// estimate finds the planted layer in barely more than half the seeds.
#include <catch2/catch.hpp>
#include <cstdio>

#include "tests/analysis/synthetic_activations.h"

using emoscope::testing::MakeSynthetic;
using emoscope::testing::PeakIntervalCovers;
using emoscope::testing::PointPeak;
using emoscope::testing::SyntheticData;
using emoscope::testing::SyntheticSpec;

TEST_CASE("the peak interval covers the planted layer in at least 90% of seeds at every effect strength",
          "[.coverage_sweep]") {
  for (double signal : {1.0, 1.2, 1.6, 2.0}) {
    for (double falloff : {0.2, 0.35, 0.5, 1.0}) {
      for (int copies : {1, 2}) {
        SyntheticSpec spec;
        spec.layers = 5;
        spec.planted_layer = 3;
        spec.signal = signal;
        spec.falloff = falloff;
        spec.per_class = 20;
        spec.copies = copies;
        int found = 0, covered = 0;
        const int seeds = 100;
        for (uint64_t seed = 0; seed < static_cast<uint64_t>(seeds); ++seed) {
          const SyntheticData data = MakeSynthetic(spec, 1000 + seed);
          if (PointPeak(data, spec.classes, seed, "probe_accuracy") == spec.planted_layer) ++found;
          if (PeakIntervalCovers(data, spec, "probe_accuracy", seed, /*resamples=*/100)) ++covered;
        }
        std::printf("signal %.1f falloff %.2f copies %d: found %d/%d covered %d/%d\n", signal, falloff,
                    copies, found, seeds, covered, seeds);
        CHECK(covered >= 90);
      }
    }
  }
}
