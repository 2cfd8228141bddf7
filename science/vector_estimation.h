// The emotion_vectors rows of one metrics task: one unit vector per (emotion, estimator) that the
// task's params name (MetricsParams::estimators, docs/science.md "Vector estimators").
//   mean_difference: today's vectors (analysis::ComputeEmotionVectors: mu_e - grand mean with the
//     top neutral PCs projected out); norm |v_e| after the projection.
//   pca_diff, logistic: science/vector_estimators.h on the task's per-sample readouts (no neutral
//     projection: as repeng and steering-vectors compute them); norm the separation of the class
//     means along the direction, (mu_e - mean of the other class means) . u, so `vectors export
//     --scale norm` means the same for every estimator; removed_components 0.
// Pure apart from appending rows and blobs to `out`. Throws TaskFailed (not retryable) when an
// estimator cannot estimate (e.g. identical classes).
#pragma once

#include <string>
#include <vector>

#include "analysis/metrics.h"
#include "science/task_common.h"

namespace emoscope {

struct VectorEstimationInput {
  int64_t layer = 0;
  std::string method;
  const std::vector<std::string>* emotions = nullptr;  // labels index this
  const analysis::Matrix* samples = nullptr;           // (n, d) readouts of the emotion samples
  const std::vector<int>* labels = nullptr;            // (n)
  const analysis::Matrix* means = nullptr;             // (K, d) class means
  const analysis::EmotionVectors* mean_difference = nullptr;
};

void AddEmotionVectorRows(const VectorEstimationInput& input, const std::vector<std::string>& estimators,
                          TaskOutput* out);

}  // namespace emoscope
