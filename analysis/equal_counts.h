// Size-fair comparison of emotion_separation between two sets of activations (two methods, or two
// models): emotion_separation grows as class size shrinks (the noise in a mean of few samples
// pulls class means apart), so both sides are computed from the SAME number of rows per emotion,
// the smaller count, by a seeded subsample of the larger side. Pure; deterministic in the seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "analysis/metrics.h"

namespace emoscope::analysis {

struct EqualCountSeparation {
  std::vector<double> separation_a;  // (K) emotion_separation of side a over the kept rows.
  std::vector<double> separation_b;  // (K)
  std::vector<std::size_t> rows_a;   // (K) rows each emotion had on side a.
  std::vector<std::size_t> rows_b;   // (K)
  std::vector<std::size_t> used;     // (K) rows used per emotion on both sides: min(rows_a, rows_b).
};

// Labels of both sides index the same K emotions. Every emotion needs a row on each side, K >= 2
// (Error otherwise). One Rng seeded by `seed` draws, emotion by emotion in index order, a uniform
// subset (without replacement) of the larger side's rows; the smaller side keeps all of its rows.
EqualCountSeparation EqualCountEmotionSeparation(MatrixView a, const std::vector<int>& labels_a, MatrixView b,
                                                 const std::vector<int>& labels_b, int num_classes,
                                                 uint64_t seed);

}  // namespace emoscope::analysis
