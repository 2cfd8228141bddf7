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
#include <string>
#include <vector>

#include "analysis/peak_rule.h"

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
  Matrix unit;                         // (K, d) v_e / |v_e|; a zero v_e stays zero.
  std::vector<double> norms;           // (K) |v_e| after the projection.
  std::size_t removed_components = 0;  // Neutral PCs projected out.
  double removed_share = 0.0;          // Neutral variance they explain.
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
  int folds = defaults::kProbeFolds;  // k of the stratified k-fold; at least 2.
  uint64_t seed = 0;                  // Seeds the per-emotion shuffles that assign folds.
};

// Source groups: groups[i] names the source of row i (the generation prompt of a continuation,
// the stimulus a bootstrap copy was drawn from). Empty: every row is its own group. Rows of one
// group must share a label (Error otherwise, naming the group).
using Groups = std::vector<int64_t>;

// The source of a sample for grouping: for generation, the prompt of a continuation (stimulus id
// "P#k" -> "P"); otherwise the stimulus id itself. The metrics task and the bootstrap both use it.
std::string SampleSource(const std::string& method, const std::string& stimulus_id);

// Grouped stratified fold assignment (n): one Rng seeded by `seed`; for each emotion in index
// order, its groups (in order of first row) are shuffled and dealt round-robin, continuing from
// where the previous emotion stopped, and every row of a group gets the group's fold. So no test
// row has a row of its own group in training. With singleton groups this is the ungrouped
// stratified assignment (each emotion's rows shuffled and dealt).
std::vector<std::size_t> GroupedStratifiedFolds(const std::vector<int>& labels, int num_classes,
                                                const Groups& groups, int folds, uint64_t seed);

// Grouped stratified k-fold nearest-centroid accuracy by cosine: the fraction of rows whose
// nearest training centroid (ties to the lower emotion index) is their own emotion, folds from
// GroupedStratifiedFolds. An emotion with fewer groups than folds has rows in some folds only; a
// row whose emotion has no training rows in its fold (an emotion with a single group) cannot be
// predicted and counts as a miss. Chance is 1/K.
double ProbeAccuracy(MatrixView activations, const std::vector<int>& labels, int num_classes,
                     const ProbeOptions& options = {}, const Groups& groups = {});

// The same probe's out-of-fold outcome of every row (n): 1 where the row's nearest training
// centroid is its own emotion, else 0. ProbeAccuracy is their mean; the peak bootstrap resamples
// them (peak_bootstrap.h).
std::vector<uint8_t> ProbeOutcomes(MatrixView activations, const std::vector<int>& labels, int num_classes,
                                   const ProbeOptions& options = {}, const Groups& groups = {});

// The label-permutation null of mean_cosine: P seeded shuffles of the emotion labels over the
// same rows (over groups when groups are given: each group keeps its rows and takes the label of
// another group, so class counts of groups are kept), mean_cosine of the class means of each.
struct SeparationNull {
  double observed_mean_cosine;  // mean_cosine with the true labels.
  double null_mean_cosine;      // Mean over the permutations.
  double null_sd;               // Their sd (ddof 1); NaN for one permutation.
  double separation_z;          // (null mean - observed) / null sd; NaN when the sd is 0 or NaN.
  double permutation_p;         // (1 + #{null <= observed}) / (P + 1): small = more separated.
  double separation_gap;        // null_mean_cosine - observed_mean_cosine.
  int permutations;
};

// permutations >= 1, else Error. Deterministic in `seed`.
SeparationNull MeanCosinePermutationNull(MatrixView activations, const std::vector<int>& labels,
                                         int num_classes, int permutations, uint64_t seed,
                                         const Groups& groups = {});

struct LayerMetricsOptions {
  ProbeOptions probe;
  int permutations = defaults::kPermutations;  // Of the separation null.
  uint64_t permutation_seed = 0;
  Groups groups;  // Source groups of the rows (see Groups); empty: one per row.
};

// Every per-layer metric of one layer.
struct LayerMetrics {
  double mean_cosine;
  double anisotropy;    // NaN without (at least 2) neutral rows.
  SeparationNull null;  // null_mean_cosine, separation_z, permutation_p, separation_gap.
  double fisher_ratio;
  double probe_accuracy;
  std::vector<double> emotion_separation;  // (K)
};

LayerMetrics ComputeLayerMetrics(MatrixView activations, const std::vector<int>& labels, int num_classes,
                                 std::optional<MatrixView> neutral, const LayerMetricsOptions& options = {});

}  // namespace emoscope::analysis
