#include "science/vector_estimators.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/error.h"

namespace emoscope {
namespace {

using Vector = std::vector<double>;

double Dot(const double* a, const double* b, int64_t dim) {
  double sum = 0;
  for (int64_t i = 0; i < dim; ++i) sum += a[i] * b[i];
  return sum;
}

Vector Normalized(Vector v) {
  const double norm = std::sqrt(Dot(v.data(), v.data(), static_cast<int64_t>(v.size())));
  if (!(norm > 0)) Fail("vector estimator: the direction is zero (identical classes?)");
  for (double& x : v) x /= norm;
  return v;
}

// mu_target - mean over the other classes of their class means.
Vector MeanDifference(const Vector& samples, int64_t dim, const std::vector<int>& labels, int target) {
  std::map<int, Vector> sums;
  std::map<int, int64_t> counts;
  for (size_t row = 0; row < labels.size(); ++row) {
    Vector& sum = sums[labels[row]];
    sum.resize(static_cast<size_t>(dim), 0.0);
    for (int64_t i = 0; i < dim; ++i)
      sum[static_cast<size_t>(i)] += samples[row * static_cast<size_t>(dim) + i];
    ++counts[labels[row]];
  }
  Vector out(static_cast<size_t>(dim), 0.0);
  const auto others = static_cast<double>(sums.size() - 1);
  for (const auto& [label, sum] : sums) {
    const double weight = (label == target ? 1.0 : -1.0 / others) / static_cast<double>(counts[label]);
    for (int64_t i = 0; i < dim; ++i) out[static_cast<size_t>(i)] += weight * sum[static_cast<size_t>(i)];
  }
  return out;
}

Vector PcaOfDifferences(const Vector& samples, int64_t dim, const std::vector<int>& labels, int target,
                        const Vector& start) {
  std::vector<size_t> targets;
  std::vector<size_t> others;
  for (size_t row = 0; row < labels.size(); ++row) (labels[row] == target ? targets : others).push_back(row);
  const size_t pairs = std::max(targets.size(), others.size());
  std::vector<Vector> differences;
  for (size_t k = 0; k < pairs; ++k) {
    const double* a = &samples[targets[k % targets.size()] * static_cast<size_t>(dim)];
    const double* b = &samples[others[k % others.size()] * static_cast<size_t>(dim)];
    Vector d(static_cast<size_t>(dim));
    for (int64_t i = 0; i < dim; ++i) d[static_cast<size_t>(i)] = a[i] - b[i];
    differences.push_back(std::move(d));
  }
  // Power iteration on D^T D, from the mean difference; stops when the direction settles.
  Vector v = Normalized(start);
  for (int iteration = 0; iteration < 1000; ++iteration) {
    Vector next(static_cast<size_t>(dim), 0.0);
    for (const Vector& d : differences) {
      const double projection = Dot(d.data(), v.data(), dim);
      for (int64_t i = 0; i < dim; ++i)
        next[static_cast<size_t>(i)] += projection * d[static_cast<size_t>(i)];
    }
    next = Normalized(next);
    const double change = 1 - std::abs(Dot(next.data(), v.data(), dim));
    v = next;
    if (change < 1e-14) break;
  }
  return v;
}

Vector LogisticProbe(const Vector& samples, int64_t rows, int64_t dim, const std::vector<int>& labels,
                     int target) {
  // Centered features; y = 1 for the target.
  Vector mean(static_cast<size_t>(dim), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < dim; ++i)
      mean[static_cast<size_t>(i)] += samples[static_cast<size_t>(r * dim + i)] / static_cast<double>(rows);
  }
  Vector x(samples.size());
  double squares = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < dim; ++i) {
      const double value = samples[static_cast<size_t>(r * dim + i)] - mean[static_cast<size_t>(i)];
      x[static_cast<size_t>(r * dim + i)] = value;
      squares += value * value;
    }
  }
  const double lambda = 1.0 / static_cast<double>(rows);  // sklearn's LogisticRegression(C=1)
  // Step 1 / L with L a bound of the Lipschitz constant of the mean logistic loss' gradient in
  // (w, bias): (lambda_max(X^T X) / n + 1) / 4 + lambda (centered features), lambda_max by power
  // iteration (from the all-ones vector), with 10% to spare, and never above the trace.
  Vector v(static_cast<size_t>(dim), 1.0 / std::sqrt(static_cast<double>(dim)));
  double largest = 0;
  for (int iteration = 0; iteration < 100; ++iteration) {
    Vector next(static_cast<size_t>(dim), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
      const double* row = &x[static_cast<size_t>(r * dim)];
      const double projection = Dot(row, v.data(), dim);
      for (int64_t i = 0; i < dim; ++i) next[static_cast<size_t>(i)] += projection * row[i];
    }
    largest = std::sqrt(Dot(next.data(), next.data(), dim));
    if (!(largest > 0)) break;
    for (double& value : next) value /= largest;
    v = next;
  }
  const double bound = std::min(1.1 * largest, squares);
  const double step = 1.0 / ((bound / static_cast<double>(rows) + 1.0) / 4.0 + lambda);
  Vector w(static_cast<size_t>(dim), 0.0);
  double bias = 0;
  for (int iteration = 0; iteration < 10000; ++iteration) {
    Vector gradient(static_cast<size_t>(dim), 0.0);
    double bias_gradient = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const double* row = &x[static_cast<size_t>(r * dim)];
      const double p = 1.0 / (1.0 + std::exp(-(Dot(row, w.data(), dim) + bias)));
      const double error =
          (p - (labels[static_cast<size_t>(r)] == target ? 1.0 : 0.0)) / static_cast<double>(rows);
      for (int64_t i = 0; i < dim; ++i) gradient[static_cast<size_t>(i)] += error * row[i];
      bias_gradient += error;
    }
    double size = 0;
    for (int64_t i = 0; i < dim; ++i) {
      gradient[static_cast<size_t>(i)] += lambda * w[static_cast<size_t>(i)];
      size += gradient[static_cast<size_t>(i)] * gradient[static_cast<size_t>(i)];
      w[static_cast<size_t>(i)] -= step * gradient[static_cast<size_t>(i)];
    }
    bias -= step * bias_gradient;
    if (std::sqrt(size) < 1e-12) break;
  }
  return w;
}

}  // namespace

const char* VectorEstimatorName(VectorEstimator estimator) {
  switch (estimator) {
    case VectorEstimator::kMeanDifference:
      return "mean_difference";
    case VectorEstimator::kPcaOfDifferences:
      return "pca_diff";
    case VectorEstimator::kLogisticProbe:
      return "logistic";
  }
  return "?";
}

VectorEstimator ParseVectorEstimator(const std::string& name, const std::string& where) {
  for (VectorEstimator e : {VectorEstimator::kMeanDifference, VectorEstimator::kPcaOfDifferences,
                            VectorEstimator::kLogisticProbe}) {
    if (name == VectorEstimatorName(e)) return e;
  }
  Fail("{}: estimator '{}' is not mean_difference, pca_diff or logistic", where, name);
}

std::vector<double> EstimateDirection(VectorEstimator estimator, const std::vector<double>& samples,
                                      int64_t rows, int64_t dim, const std::vector<int>& labels, int target) {
  if (rows < 2 || dim < 1 || samples.size() != static_cast<size_t>(rows * dim) ||
      labels.size() != static_cast<size_t>(rows)) {
    Fail("vector estimator: {} samples of dimension {} with {} values and {} labels", rows, dim,
         samples.size(), labels.size());
  }
  const auto targets = std::count(labels.begin(), labels.end(), target);
  if (targets == 0 || targets == rows)
    Fail("vector estimator: needs samples of the target {} and of another class", target);
  const Vector mean_difference = MeanDifference(samples, dim, labels, target);
  Vector direction;
  switch (estimator) {
    case VectorEstimator::kMeanDifference:
      direction = mean_difference;
      break;
    case VectorEstimator::kPcaOfDifferences:
      direction = PcaOfDifferences(samples, dim, labels, target, mean_difference);
      break;
    case VectorEstimator::kLogisticProbe:
      direction = LogisticProbe(samples, rows, dim, labels, target);
      break;
  }
  direction = Normalized(direction);
  if (Dot(direction.data(), mean_difference.data(), dim) < 0) {
    for (double& x : direction) x = -x;
  }
  return direction;
}

}  // namespace emoscope
