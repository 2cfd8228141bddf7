// The three steering-direction estimators recover a planted direction on synthetic readouts.
#include "science/vector_estimators.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "analysis/random.h"
#include "common/error.h"

namespace {

constexpr double kPi = 3.14159265358979323846;

double Normal(emoscope::analysis::Rng& rng) {  // Box-Muller
  const double u = 1.0 - rng.UniformDouble();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * kPi * rng.UniformDouble());
}

}  // namespace

TEST_CASE("each vector estimator recovers a planted direction (cosine above 0.99)",
          "[steering][estimators]") {
  constexpr int64_t kDim = 8;
  constexpr int kPerClass = 1000;
  emoscope::analysis::Rng rng(11);
  // The planted target direction u and a nuisance direction w orthogonal to it.
  std::vector<double> u(kDim), w(kDim, 0.0);
  double norm = 0;
  for (double& x : u) {
    x = Normal(rng);
    norm += x * x;
  }
  for (double& x : u) x /= std::sqrt(norm);
  w[0] = -u[1];
  w[1] = u[0];
  const double w_norm = std::hypot(w[0], w[1]);
  for (double& x : w) x /= w_norm;
  // Target at 2u (the classes overlap, as real readouts do); two other classes at +-1.5w: the target-vs-rest
  // direction is u.
  std::vector<double> samples;
  std::vector<int> labels;
  for (int label = 0; label < 3; ++label) {
    for (int k = 0; k < kPerClass; ++k) {
      for (int64_t i = 0; i < kDim; ++i) {
        const double offset = label == 0 ? 2.0 * u[i] : (label == 1 ? 1.5 : -1.5) * w[i];
        samples.push_back(offset + Normal(rng));
      }
      labels.push_back(label);
    }
  }
  for (auto estimator :
       {emoscope::VectorEstimator::kMeanDifference, emoscope::VectorEstimator::kPcaOfDifferences,
        emoscope::VectorEstimator::kLogisticProbe}) {
    INFO(emoscope::VectorEstimatorName(estimator));
    const auto v = emoscope::EstimateDirection(estimator, samples, 3 * kPerClass, kDim, labels, /*target=*/0);
    double cosine = 0;
    double length = 0;
    for (int64_t i = 0; i < kDim; ++i) {
      cosine += v[i] * u[i];
      length += v[i] * v[i];
    }
    CHECK(length == Approx(1.0));
    CHECK(cosine > 0.99);
  }
}

TEST_CASE("vector estimators refuse inputs without both classes and unknown names",
          "[steering][estimators]") {
  const std::vector<double> samples = {1, 2, 3, 4};
  CHECK_THROWS_AS(
      emoscope::EstimateDirection(emoscope::VectorEstimator::kMeanDifference, samples, 2, 2, {1, 1}, 0),
      emoscope::Error);
  CHECK_THROWS_AS(
      emoscope::EstimateDirection(emoscope::VectorEstimator::kMeanDifference, samples, 2, 3, {0, 1}, 0),
      emoscope::Error);
  CHECK(emoscope::ParseVectorEstimator("pca_diff", "x") == emoscope::VectorEstimator::kPcaOfDifferences);
  CHECK_THROWS_WITH(emoscope::ParseVectorEstimator("svm", "steering.estimator"),
                    Catch::Contains("steering.estimator") && Catch::Contains("svm"));
}
