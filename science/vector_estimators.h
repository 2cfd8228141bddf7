// Estimators of a steering direction for one emotion against the others, from per-sample
// readouts a_l(s) at one layer (docs/science.md): the mean difference (emoscope's emotion
// vectors), the first principal component of paired differences (repeng's and steering-vectors'
// PCA), and the weight vector of a logistic-regression probe (steering-vectors' probe). Each
// returns a unit vector whose sign makes the target class project above the others. Pure and
// deterministic (no random initialization); double precision; thread-safe.
//
// The metrics task stores the estimators a campaign names (science/vector_estimation.h).
// VectorEstimatorName gives the names jobs/task_params.h's VectorEstimatorNames lists.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace emoscope {

enum class VectorEstimator { kMeanDifference, kPcaOfDifferences, kLogisticProbe };
const char* VectorEstimatorName(VectorEstimator estimator);  // mean_difference, pca_diff, logistic
// The estimator of a name; Error naming `where` otherwise.
VectorEstimator ParseVectorEstimator(const std::string& name, const std::string& where);

// samples: (rows, dim) row-major; labels[row] in 0..K-1; target one of them, with at least one
// sample of the target and one of another class. Error otherwise.
//   mean difference: mu_target - mean over the other classes of their means;
//   pca_diff: pairs the k-th target sample with the k-th sample of the other classes (the
//     shorter list cycled: max(targets, others) pairs) and takes the top right singular vector
//     of the differences (uncentered PCA, by power iteration from the mean difference);
//   logistic: L2-regularized logistic regression (the penalty of sklearn's LogisticRegression(C=1): 1/2 |w|^2
//   on the summed loss) of
//     target vs the rest on mean-centered samples, by gradient descent with step 1 / Lipschitz
//     bound, 10000 steps at most; the direction of its weights.
std::vector<double> EstimateDirection(VectorEstimator estimator, const std::vector<double>& samples,
                                      int64_t rows, int64_t dim, const std::vector<int>& labels, int target);

}  // namespace emoscope
