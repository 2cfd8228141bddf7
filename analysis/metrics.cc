#include "analysis/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "analysis/jacobi.h"
#include "analysis/random.h"
#include "common/error.h"

namespace emoscope::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Eigenvalues of the neutral Gram matrix below this fraction of the largest are rounding noise.
constexpr double kNullEigenvalue = 1e-12;
// Cumulative shares are sums of rounded ratios; a share reached to within this counts as reached.
constexpr double kShareSlack = 1e-12;

void RequireFiniteMatrix(const char* function, const char* argument, MatrixView m) {
  if (m.data == nullptr && m.rows * m.cols > 0) Fail("{}: {} has no data", function, argument);
  for (std::size_t i = 0; i < m.rows * m.cols; ++i) {
    if (!std::isfinite(m.data[i])) {
      Fail("{}: {} row {} column {} is not finite", function, argument, i / m.cols, i % m.cols);
    }
  }
}

void RequireLabels(const char* function, MatrixView activations, const std::vector<int>& labels,
                   int num_classes) {
  if (num_classes < 1) Fail("{}: needs at least one emotion, got {}", function, num_classes);
  if (labels.size() != activations.rows) {
    Fail("{}: {} labels for {} activation rows", function, labels.size(), activations.rows);
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      Fail("{}: label of row {} is {}, outside 0..{}", function, i, labels[i], num_classes - 1);
    }
  }
  RequireFiniteMatrix(function, "activations", activations);
}

void RequireClasses(const char* function, const Matrix& class_means, std::size_t minimum) {
  if (class_means.rows < minimum) {
    Fail("{}: needs at least {} emotions, got {}", function, minimum, class_means.rows);
  }
}

double Dot(const double* a, const double* b, std::size_t d) {
  double sum = 0.0;
  for (std::size_t k = 0; k < d; ++k) sum += a[k] * b[k];
  return sum;
}

// Means of the rows of each class over the rows where include(i) holds; counts[e] rows each.
// Classes without rows keep a zero mean.
template <typename Include>
Matrix MeansOver(MatrixView x, const std::vector<int>& labels, int num_classes, Include include,
                 std::vector<std::size_t>& counts) {
  Matrix means{std::vector<double>(static_cast<std::size_t>(num_classes) * x.cols, 0.0),
               static_cast<std::size_t>(num_classes), x.cols};
  counts.assign(num_classes, 0);
  for (std::size_t i = 0; i < x.rows; ++i) {
    if (!include(i)) continue;
    double* mean = means.Row(labels[i]);
    for (std::size_t k = 0; k < x.cols; ++k) mean[k] += x.Row(i)[k];
    ++counts[labels[i]];
  }
  for (std::size_t e = 0; e < means.rows; ++e) {
    if (counts[e] == 0) continue;
    for (std::size_t k = 0; k < x.cols; ++k) means.Row(e)[k] /= static_cast<double>(counts[e]);
  }
  return means;
}

// Mean cosine of row e with every other row of the class means.
double MeanCosineWithOthers(const Matrix& means, std::size_t e) {
  double sum = 0.0;
  for (std::size_t other = 0; other < means.rows; ++other) {
    if (other != e) sum += Cosine(means.Row(e), means.Row(other), means.cols);
  }
  return sum / static_cast<double>(means.rows - 1);
}

}  // namespace

double Cosine(const double* a, const double* b, std::size_t d) {
  const double norm_a = std::sqrt(Dot(a, a, d));
  const double norm_b = std::sqrt(Dot(b, b, d));
  if (norm_a == 0.0 || norm_b == 0.0) return 0.0;
  return Dot(a, b, d) / (norm_a * norm_b);
}

Matrix ClassMeans(MatrixView activations, const std::vector<int>& labels, int num_classes) {
  RequireLabels("class means", activations, labels, num_classes);
  std::vector<std::size_t> counts;
  Matrix means = MeansOver(
      activations, labels, num_classes, [](std::size_t) { return true; }, counts);
  for (std::size_t e = 0; e < counts.size(); ++e) {
    if (counts[e] == 0) Fail("class means: emotion {} has no activation rows", e);
  }
  return means;
}

std::vector<double> GrandMean(const Matrix& class_means) {
  RequireClasses("grand mean", class_means, 1);
  std::vector<double> grand(class_means.cols, 0.0);
  for (std::size_t e = 0; e < class_means.rows; ++e) {
    for (std::size_t k = 0; k < class_means.cols; ++k) grand[k] += class_means.Row(e)[k];
  }
  for (double& value : grand) value /= static_cast<double>(class_means.rows);
  return grand;
}

NeutralComponents NeutralPrincipalComponents(MatrixView neutral, double variance_share) {
  if (!(variance_share >= 0.0 && variance_share <= 1.0)) {
    Fail("neutral components: variance share must lie in [0, 1], got {}", variance_share);
  }
  RequireFiniteMatrix("neutral components", "neutral", neutral);
  NeutralComponents result{{{}, 0, neutral.cols}, {}};
  const std::size_t n = neutral.rows;
  const std::size_t d = neutral.cols;
  if (variance_share == 0.0 || n < 2) return result;

  // Centre on the neutral mean. Working in the n x n Gram space costs O(n^2 d + n^3) instead of
  // the O(d^3) of a d x d covariance: n is hundreds, d thousands.
  std::vector<double> centred(neutral.data, neutral.data + n * d);
  for (std::size_t k = 0; k < d; ++k) {
    double mean = 0.0;
    for (std::size_t i = 0; i < n; ++i) mean += centred[i * d + k];
    mean /= static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) centred[i * d + k] -= mean;
  }
  std::vector<double> gram(n * n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i; j < n; ++j) {
      gram[i * n + j] = gram[j * n + i] = Dot(&centred[i * d], &centred[j * d], d);
    }
  }
  const SymmetricEigen eigen = JacobiEigen(std::move(gram), n);
  double total = 0.0;
  for (double lambda : eigen.values) total += std::max(lambda, 0.0);
  if (total == 0.0) return result;

  double cumulative = 0.0;
  for (std::size_t j = 0; j < n && cumulative < variance_share - kShareSlack; ++j) {
    const double lambda = eigen.values[j];
    if (lambda <= kNullEigenvalue * eigen.values[0]) break;
    // w = X^T u / sqrt(lambda) is a unit vector: |X^T u|^2 = u^T X X^T u = lambda.
    std::vector<double> component(d, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const double weight = eigen.vectors[i * n + j] / std::sqrt(lambda);
      for (std::size_t k = 0; k < d; ++k) component[k] += weight * centred[i * d + k];
    }
    result.components.data.insert(result.components.data.end(), component.begin(), component.end());
    ++result.components.rows;
    result.explained_share.push_back(lambda / total);
    cumulative += lambda / total;
  }
  return result;
}

EmotionVectors ComputeEmotionVectors(const Matrix& class_means, std::optional<MatrixView> neutral,
                                     const EmotionVectorOptions& options) {
  RequireClasses("emotion vectors", class_means, 1);
  const std::size_t d = class_means.cols;
  EmotionVectors result{class_means, std::vector<double>(class_means.rows, 0.0), 0, 0.0};
  const std::vector<double> grand = GrandMean(class_means);
  for (std::size_t e = 0; e < class_means.rows; ++e) {
    for (std::size_t k = 0; k < d; ++k) result.unit.Row(e)[k] -= grand[k];
  }

  if (options.neutral_variance_share != 0.0) {
    if (!neutral || neutral->rows == 0) {
      Fail("emotion vectors: neutral_variance_share is {} but no neutral activations were given",
           options.neutral_variance_share);
    }
    if (neutral->cols != d) {
      Fail("emotion vectors: neutral activations have {} columns, emotion means {}", neutral->cols, d);
    }
    const NeutralComponents pcs = NeutralPrincipalComponents(*neutral, options.neutral_variance_share);
    for (std::size_t e = 0; e < class_means.rows; ++e) {
      double* v = result.unit.Row(e);
      for (std::size_t j = 0; j < pcs.components.rows; ++j) {
        const double* w = pcs.components.Row(j);
        const double projection = Dot(v, w, d);
        for (std::size_t k = 0; k < d; ++k) v[k] -= projection * w[k];
      }
    }
    result.removed_components = pcs.components.rows;
    for (double share : pcs.explained_share) result.removed_share += share;
  }

  for (std::size_t e = 0; e < class_means.rows; ++e) {
    double* v = result.unit.Row(e);
    result.norms[e] = std::sqrt(Dot(v, v, d));
    if (result.norms[e] == 0.0) continue;
    for (std::size_t k = 0; k < d; ++k) v[k] /= result.norms[e];
  }
  return result;
}

double MeanCosine(const Matrix& class_means) {
  RequireClasses("mean cosine", class_means, 2);
  // cos is symmetric, so the mean over unordered pairs equals the mean over ordered ones.
  double sum = 0.0;
  for (std::size_t e = 0; e < class_means.rows; ++e) {
    for (std::size_t other = e + 1; other < class_means.rows; ++other) {
      sum += Cosine(class_means.Row(e), class_means.Row(other), class_means.cols);
    }
  }
  const double k = static_cast<double>(class_means.rows);
  return sum / (k * (k - 1.0) / 2.0);
}

std::vector<double> EmotionSeparation(const Matrix& class_means) {
  RequireClasses("emotion separation", class_means, 2);
  std::vector<double> separation(class_means.rows);
  for (std::size_t e = 0; e < class_means.rows; ++e) {
    separation[e] = 1.0 - MeanCosineWithOthers(class_means, e);
  }
  return separation;
}

double Anisotropy(MatrixView neutral) {
  if (neutral.rows < 2) Fail("anisotropy: needs at least 2 neutral rows, got {}", neutral.rows);
  RequireFiniteMatrix("anisotropy", "neutral", neutral);
  double sum = 0.0;
  for (std::size_t i = 0; i < neutral.rows; ++i) {
    for (std::size_t j = i + 1; j < neutral.rows; ++j) {
      sum += Cosine(neutral.Row(i), neutral.Row(j), neutral.cols);
    }
  }
  const double n = static_cast<double>(neutral.rows);
  return sum / (n * (n - 1.0) / 2.0);
}

double FisherRatio(MatrixView activations, const std::vector<int>& labels, int num_classes) {
  const Matrix means = ClassMeans(activations, labels, num_classes);
  const std::size_t d = activations.cols;
  std::vector<double> overall(d, 0.0);
  for (std::size_t i = 0; i < activations.rows; ++i) {
    for (std::size_t k = 0; k < d; ++k) overall[k] += activations.Row(i)[k];
  }
  for (double& value : overall) value /= static_cast<double>(activations.rows);
  double between = 0.0;
  double within = 0.0;
  for (std::size_t i = 0; i < activations.rows; ++i) {
    const double* x = activations.Row(i);
    const double* mean = means.Row(labels[i]);
    // Summing n_e |mu_e - m|^2 row by row weights each emotion by its number of rows.
    for (std::size_t k = 0; k < d; ++k) {
      between += (mean[k] - overall[k]) * (mean[k] - overall[k]);
      within += (x[k] - mean[k]) * (x[k] - mean[k]);
    }
  }
  if (within == 0.0) return between > 0.0 ? std::numeric_limits<double>::infinity() : kNaN;
  return between / within;
}

std::string SampleSource(const std::string& method, const std::string& stimulus_id) {
  if (method != "generation") return stimulus_id;
  return stimulus_id.substr(0, stimulus_id.rfind('#'));  // npos: no '#', the whole id
}

std::vector<std::size_t> GroupedStratifiedFolds(const std::vector<int>& labels, int num_classes,
                                                const Groups& groups, int folds, uint64_t seed) {
  if (folds < 2) Fail("probe accuracy: needs at least 2 folds, got {}", folds);
  if (!groups.empty() && groups.size() != labels.size()) {
    Fail("probe accuracy: {} groups for {} rows", groups.size(), labels.size());
  }
  auto group_of = [&](std::size_t row) { return groups.empty() ? static_cast<int64_t>(row) : groups[row]; };
  // Rows of each group, groups in order of their first row; a group's label is its first row's.
  std::map<int64_t, std::size_t> index_of;
  std::vector<std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto [found, inserted] = index_of.emplace(group_of(i), members.size());
    if (inserted) members.emplace_back();
    std::vector<std::size_t>& rows = members[found->second];
    if (!rows.empty() && labels[rows.front()] != labels[i]) {
      Fail("probe accuracy: group {} holds rows of emotions {} and {}", group_of(i), labels[rows.front()],
           labels[i]);
    }
    rows.push_back(i);
  }
  std::vector<std::size_t> fold_of(labels.size());
  Rng rng(seed);
  std::size_t dealt = 0;
  const auto k = static_cast<std::size_t>(folds);
  for (int e = 0; e < num_classes; ++e) {
    std::vector<std::size_t> of_emotion;
    for (std::size_t g = 0; g < members.size(); ++g) {
      if (labels[members[g].front()] == e) of_emotion.push_back(g);
    }
    rng.Shuffle(of_emotion);
    // Continuing the round-robin across emotions keeps the folds within one group of equal size.
    for (std::size_t g : of_emotion) {
      const std::size_t fold = dealt++ % k;
      for (std::size_t row : members[g]) fold_of[row] = fold;
    }
  }
  return fold_of;
}

std::vector<uint8_t> ProbeOutcomes(MatrixView activations, const std::vector<int>& labels, int num_classes,
                                   const ProbeOptions& options, const Groups& groups) {
  RequireLabels("probe accuracy", activations, labels, num_classes);
  if (options.folds < 2) Fail("probe accuracy: needs at least 2 folds, got {}", options.folds);
  if (activations.rows == 0) Fail("probe accuracy: no activation rows");
  const auto folds = static_cast<std::size_t>(options.folds);
  const std::vector<std::size_t> fold_of =
      GroupedStratifiedFolds(labels, num_classes, groups, options.folds, options.seed);

  std::vector<uint8_t> outcomes(activations.rows, 0);
  std::vector<std::size_t> counts;
  for (std::size_t fold = 0; fold < folds; ++fold) {
    const Matrix centroids = MeansOver(
        activations, labels, num_classes, [&](std::size_t i) { return fold_of[i] != fold; }, counts);
    for (std::size_t i = 0; i < activations.rows; ++i) {
      if (fold_of[i] != fold) continue;
      int best = -1;
      double best_cosine = -std::numeric_limits<double>::infinity();
      for (int e = 0; e < num_classes; ++e) {
        if (counts[e] == 0) continue;  // No training rows: this emotion cannot be predicted.
        const double cosine = Cosine(activations.Row(i), centroids.Row(e), activations.cols);
        if (cosine > best_cosine) {  // Strict: ties stay with the lower index.
          best_cosine = cosine;
          best = e;
        }
      }
      outcomes[i] = best == labels[i] ? 1 : 0;
    }
  }
  return outcomes;
}

double ProbeAccuracy(MatrixView activations, const std::vector<int>& labels, int num_classes,
                     const ProbeOptions& options, const Groups& groups) {
  const std::vector<uint8_t> outcomes = ProbeOutcomes(activations, labels, num_classes, options, groups);
  std::size_t correct = 0;
  for (uint8_t outcome : outcomes) correct += outcome;
  return static_cast<double>(correct) / static_cast<double>(outcomes.size());
}

SeparationNull MeanCosinePermutationNull(MatrixView activations, const std::vector<int>& labels,
                                         int num_classes, int permutations, uint64_t seed,
                                         const Groups& groups) {
  if (permutations < 1) Fail("separation null: needs at least 1 permutation, got {}", permutations);
  if (!groups.empty() && groups.size() != labels.size()) {
    Fail("separation null: {} groups for {} rows", groups.size(), labels.size());
  }
  SeparationNull result{};
  result.permutations = permutations;
  result.observed_mean_cosine = MeanCosine(ClassMeans(activations, labels, num_classes));
  // Unit of exchange: the group (a row when there are none). unit_of[i] indexes unit_labels.
  std::vector<std::size_t> unit_of(labels.size());
  std::vector<int> unit_labels;
  std::map<int64_t, std::size_t> index_of;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const int64_t group = groups.empty() ? static_cast<int64_t>(i) : groups[i];
    const auto [found, inserted] = index_of.emplace(group, unit_labels.size());
    if (inserted) unit_labels.push_back(labels[i]);
    if (unit_labels[found->second] != labels[i]) {
      Fail("separation null: group {} holds rows of emotions {} and {}", group, unit_labels[found->second],
           labels[i]);
    }
    unit_of[i] = found->second;
  }
  Rng rng(seed);
  std::vector<double> nulls;
  std::vector<int> shuffled = unit_labels;
  std::vector<int> permuted(labels.size());
  std::size_t at_most_observed = 0;
  for (int p = 0; p < permutations; ++p) {
    shuffled = unit_labels;  // Shuffling from the same start each time keeps draws independent of order.
    rng.Shuffle(shuffled);
    for (std::size_t i = 0; i < labels.size(); ++i) permuted[i] = shuffled[unit_of[i]];
    const double value = MeanCosine(ClassMeans(activations, permuted, num_classes));
    if (value <= result.observed_mean_cosine) ++at_most_observed;
    nulls.push_back(value);
  }
  double sum = 0.0;
  for (double value : nulls) sum += value;
  result.null_mean_cosine = sum / static_cast<double>(nulls.size());
  double squares = 0.0;
  for (double value : nulls) squares += (value - result.null_mean_cosine) * (value - result.null_mean_cosine);
  result.null_sd = nulls.size() > 1 ? std::sqrt(squares / static_cast<double>(nulls.size() - 1)) : kNaN;
  result.separation_gap = result.null_mean_cosine - result.observed_mean_cosine;
  result.separation_z = result.null_sd > 0.0 ? result.separation_gap / result.null_sd : kNaN;
  result.permutation_p = (1.0 + static_cast<double>(at_most_observed)) / (permutations + 1.0);
  return result;
}

LayerMetrics ComputeLayerMetrics(MatrixView activations, const std::vector<int>& labels, int num_classes,
                                 std::optional<MatrixView> neutral, const LayerMetricsOptions& options) {
  const Matrix means = ClassMeans(activations, labels, num_classes);
  LayerMetrics metrics{};
  metrics.mean_cosine = MeanCosine(means);
  metrics.anisotropy = neutral && neutral->rows >= 2 ? Anisotropy(*neutral) : kNaN;
  metrics.null = MeanCosinePermutationNull(activations, labels, num_classes, options.permutations,
                                           options.permutation_seed, options.groups);
  metrics.fisher_ratio = FisherRatio(activations, labels, num_classes);
  metrics.probe_accuracy = ProbeAccuracy(activations, labels, num_classes, options.probe, options.groups);
  metrics.emotion_separation = EmotionSeparation(means);
  return metrics;
}

}  // namespace emoscope::analysis
