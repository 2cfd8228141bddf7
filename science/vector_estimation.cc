#include "science/vector_estimation.h"

#include <fmt/format.h>

#include "common/error.h"
#include "science/blob.h"
#include "science/vector_estimators.h"

namespace emoscope {

using nlohmann::json;

void AddEmotionVectorRows(const VectorEstimationInput& input, const std::vector<std::string>& estimators,
                          TaskOutput* out) {
  const std::vector<std::string>& emotions = *input.emotions;
  const analysis::Matrix& means = *input.means;
  const size_t d = means.cols;
  for (const std::string& name : estimators) {
    VectorEstimator estimator = VectorEstimator::kMeanDifference;
    try {
      estimator = ParseVectorEstimator(name, "metrics: parameter 'estimators'");
    } catch (const Error& error) {
      throw TaskFailed(error.what(), false);
    }
    for (size_t e = 0; e < emotions.size(); ++e) {
      std::vector<double> unit;
      double norm = 0;
      int64_t removed_components = 0;
      double removed_share = 0;
      if (estimator == VectorEstimator::kMeanDifference) {
        const analysis::EmotionVectors& vectors = *input.mean_difference;
        unit.assign(vectors.unit.Row(e), vectors.unit.Row(e) + d);
        norm = vectors.norms[e];
        removed_components = static_cast<int64_t>(vectors.removed_components);
        removed_share = vectors.removed_share;
      } else {
        try {
          unit = EstimateDirection(estimator, input.samples->data, static_cast<int64_t>(input.samples->rows),
                                   static_cast<int64_t>(d), *input.labels, static_cast<int>(e));
        } catch (const Error& error) {
          throw TaskFailed(
              fmt::format("metrics: layer {} emotion '{}': {}", input.layer, emotions[e], error.what()),
              false);
        }
        // (mu_e - mean of the other class means) . u
        for (size_t i = 0; i < d; ++i) {
          double others = 0;
          for (size_t k = 0; k < emotions.size(); ++k) {
            if (k != e) others += means.Row(k)[i];
          }
          others /= static_cast<double>(emotions.size() - 1);
          norm += (means.Row(e)[i] - others) * unit[i];
        }
      }
      (*out).rows["emotion_vectors"].push_back({{"layer", input.layer},
                                                {"emotion", emotions[e]},
                                                {"method", input.method},
                                                {"estimator", VectorEstimatorName(estimator)},
                                                {"dim", static_cast<int64_t>(d)},
                                                {"norm", norm},
                                                {"removed_components", removed_components},
                                                {"removed_share", removed_share},
                                                {"data", out->AddBlob(DoublesToFloatBlob(unit))}});
    }
  }
}

}  // namespace emoscope
