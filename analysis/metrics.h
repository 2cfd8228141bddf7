// Emotion vectors and the per-layer separation metrics of docs/analysis.md (definitions from the
// project's science notes), on activation matrices of one layer.
//
// Shapes: activations are row-major (n, d): one row a_l(s) per stimulus; labels (n) give each row's
// emotion as an index 0..K-1. Class means are (K, d). Views do not own their data; results own
// theirs. All functions are pure and thread-safe.
//
// Conventions: the cosine of a zero vector with anything is 0. Errors (emoscope::Error, naming the
// function and the row, column, label or class): labels.size() != n, a label outside 0..K-1, an
// emotion with no rows, a non-finite activation, too few rows or classes for the metric.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace emoscope::analysis {

// Non-owning view of a row-major (rows, cols) matrix.
struct MatrixView {
  const double* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  const double* Row(std::size_t row) const { return data + row * cols; }
};

// Owning row-major (rows, cols) matrix.
struct Matrix {
  std::vector<double> data;
  std::size_t rows = 0;
  std::size_t cols = 0;
  const double* Row(std::size_t row) const { return data.data() + row * cols; }
  double* Row(std::size_t row) { return data.data() + row * cols; }
  MatrixView View() const { return {data.data(), rows, cols}; }
};

// cos(a, b) over d values; 0 when either vector is zero.
double Cosine(const double* a, const double* b, std::size_t d);

// mu_e: (K, d), the mean of the rows labelled e. Every emotion needs at least one row.
Matrix ClassMeans(MatrixView activations, const std::vector<int>& labels, int num_classes);

// The mean of the class means (every emotion weighs the same, whatever its number of rows).
std::vector<double> GrandMean(const Matrix& class_means);

// Principal components of neutral activations (rows centred on their mean), from the eigen-
// decomposition of the (n, n) Gram matrix X X^T: component i is X^T u_i / sqrt(lambda_i).
struct NeutralComponents {
  Matrix components;                    // (k, d) orthonormal rows, largest variance first.
  std::vector<double> explained_share;  // (k) lambda_i / sum of all lambda.
};

// The fewest top components whose explained shares add up to at least variance_share (in [0, 1];
// 0 gives none). Eigenvalues below 1e-12 of the largest count as zero and are never chosen;
// neutral rows that are all equal (or a single row) have no variance and give no components.
NeutralComponents NeutralPrincipalComponents(MatrixView neutral, double variance_share);

struct EmotionVectorOptions {
  double neutral_variance_share = 0.5;  // Share of neutral variance whose top PCs are removed; 0: off.
};

struct EmotionVectors {
  Matrix unit;                          // (K, d) v_e / |v_e|; a zero v_e stays zero.
  std::vector<double> norms;            // (K) |v_e| after the projection.
  std::size_t removed_components = 0;   // Neutral PCs projected out.
  double removed_share = 0.0;           // Neutral variance they explain.
};

// v_e = mu_e - grand mean, minus its projection on the top neutral PCs, then unit-normalized.
// `neutral` is needed when neutral_variance_share > 0 (Error otherwise) and must have d columns.
EmotionVectors ComputeEmotionVectors(const Matrix& class_means, std::optional<MatrixView> neutral,
                                     const EmotionVectorOptions& options = {});

// Mean of cos(mu_e, mu_e') over pairs e != e'. K >= 2.
double MeanCosine(const Matrix& class_means);

// (K) 1 - mean over e' != e of cos(mu_e, mu_e'). K >= 2.
std::vector<double> EmotionSeparation(const Matrix& class_means);

// Mean cos(x_i, x_j) over pairs i < j of neutral rows (raw, not centred). At least 2 rows.
double Anisotropy(MatrixView neutral);

// tr(S_B) / tr(S_W) with S_B = sum_e n_e (mu_e - m)(mu_e - m)^T, m the mean of all n rows, and
// S_W = sum_i (x_i - mu_{y_i})(x_i - mu_{y_i})^T. +inf when S_W = 0 < S_B, NaN when both are 0.
double FisherRatio(MatrixView activations, const std::vector<int>& labels, int num_classes);

struct ProbeOptions {
  int folds = 5;      // k of the stratified k-fold; at least 2.
  uint64_t seed = 0;  // Seeds the per-emotion shuffles that assign folds.
};

// Stratified k-fold nearest-centroid accuracy by cosine: the fraction of rows whose nearest
// training centroid (ties to the lower emotion index) is their own emotion. Folds: each emotion's
// rows are shuffled (one Rng, emotions in index order) and dealt round-robin, continuing from
// where the previous emotion stopped. An emotion with fewer rows than folds has rows in some
// folds only; a row whose emotion has no training rows in its fold (an emotion with a single row)
// cannot be predicted and counts as a miss. Chance is 1/K.
double ProbeAccuracy(MatrixView activations, const std::vector<int>& labels, int num_classes,
                     const ProbeOptions& options = {});

// Every per-layer metric of one layer.
struct LayerMetrics {
  double mean_cosine;
  double anisotropy;      // NaN without (at least 2) neutral rows.
  double separation_gap;  // anisotropy - mean_cosine.
  double fisher_ratio;
  double probe_accuracy;
  std::vector<double> emotion_separation;  // (K)
};

LayerMetrics ComputeLayerMetrics(MatrixView activations, const std::vector<int>& labels,
                                 int num_classes, std::optional<MatrixView> neutral,
                                 const ProbeOptions& probe = {});

}  // namespace emoscope::analysis
