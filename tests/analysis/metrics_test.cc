// Every expected value here is worked out by hand in the comment next to it.
#include "analysis/metrics.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "analysis/random.h"
#include "common/error.h"

namespace a = emoscope::analysis;

namespace {

a::Matrix MakeMatrix(std::size_t cols, std::vector<double> data) {
  const std::size_t rows = data.size() / cols;
  return {std::move(data), rows, cols};
}

// Two emotions on perpendicular axes: mu_0 = (2, 0), mu_1 = (0, 2).
const a::Matrix kAxes = MakeMatrix(2, {1, 0, 3, 0, 0, 1, 0, 3});
const std::vector<int> kAxesLabels{0, 0, 1, 1};

}  // namespace

TEST_CASE("class means, grand mean and emotion vectors on two perpendicular emotions", "[metrics]") {
  const a::Matrix means = a::ClassMeans(kAxes.View(), kAxesLabels, 2);
  CHECK(means.data == std::vector<double>{2, 0, 0, 2});
  CHECK(a::GrandMean(means) == std::vector<double>{1, 1});
  // v_0 = (1, -1), v_1 = (-1, 1): norm sqrt 2 each.
  const a::EmotionVectors vectors = a::ComputeEmotionVectors(means, std::nullopt, {/*share=*/0.0});
  CHECK(vectors.norms[0] == Approx(std::sqrt(2.0)));
  CHECK(vectors.unit.Row(0)[0] == Approx(std::sqrt(0.5)));
  CHECK(vectors.unit.Row(1)[1] == Approx(std::sqrt(0.5)));
  CHECK(vectors.removed_components == 0);
}

TEST_CASE("mean cosine, separation and fisher ratio of two perpendicular emotions", "[metrics]") {
  const a::Matrix means = a::ClassMeans(kAxes.View(), kAxesLabels, 2);
  CHECK(a::MeanCosine(means) == 0.0);
  CHECK(a::EmotionSeparation(means) == std::vector<double>{1.0, 1.0});
  // m = (1, 1); between = 4 rows x |mu - m|^2 = 4 x 2 = 8; within = 1 + 1 + 1 + 1 = 4.
  CHECK(a::FisherRatio(kAxes.View(), kAxesLabels, 2) == Approx(2.0));
}

TEST_CASE("three emotions: mean cosine over pairs and per-emotion separation", "[metrics]") {
  // mu = (1,0,0), (0,1,0), (1,1,0): cosines 0, 1/sqrt2, 1/sqrt2.
  const a::Matrix means = MakeMatrix(3, {1, 0, 0, 0, 1, 0, 1, 1, 0});
  const double r = std::sqrt(0.5);
  CHECK(a::MeanCosine(means) == Approx(2.0 * r / 3.0));
  const std::vector<double> separation = a::EmotionSeparation(means);
  CHECK(separation[0] == Approx(1.0 - r / 2.0));
  CHECK(separation[1] == Approx(1.0 - r / 2.0));
  CHECK(separation[2] == Approx(1.0 - r));
}

TEST_CASE("the cosine with a zero vector is zero", "[metrics]") {
  const std::vector<double> zero{0, 0};
  const std::vector<double> x{1, 2};
  CHECK(a::Cosine(zero.data(), x.data(), 2) == 0.0);
  CHECK(a::Cosine(zero.data(), zero.data(), 2) == 0.0);
  // mu_0 = 0, mu_1 = mu_2 = (1, 0): cosines 0, 0, 1 -> mean 1/3.
  CHECK(a::MeanCosine(MakeMatrix(2, {0, 0, 1, 0, 1, 0})) == Approx(1.0 / 3.0));
}

TEST_CASE("anisotropy is the mean cosine over pairs of neutral rows", "[metrics]") {
  const a::Matrix neutral = MakeMatrix(2, {1, 0, 0, 1, 1, 1});
  CHECK(a::Anisotropy(neutral.View()) == Approx(std::sqrt(2.0) / 3.0));
  CHECK_THROWS_WITH(a::Anisotropy(MakeMatrix(2, {1, 0}).View()), Catch::Contains("at least 2 neutral rows"));
}

TEST_CASE("constant activations give cosine 1, zero emotion vectors and an undefined fisher ratio",
          "[metrics]") {
  const a::Matrix constant = MakeMatrix(2, {1, 2, 1, 2, 1, 2, 1, 2});
  const std::vector<int> labels{0, 1, 0, 1};
  const a::Matrix means = a::ClassMeans(constant.View(), labels, 2);
  CHECK(a::MeanCosine(means) == Approx(1.0));
  CHECK(std::isnan(a::FisherRatio(constant.View(), labels, 2)));
  const a::EmotionVectors vectors = a::ComputeEmotionVectors(means, constant.View());
  CHECK(vectors.norms == std::vector<double>{0.0, 0.0});
  CHECK(vectors.unit.data == std::vector<double>(4, 0.0));
  CHECK(vectors.removed_components == 0);  // Neutral rows without variance have no components.
  // Every centroid ties, so every row is predicted as emotion 0: half are right.
  CHECK(a::ProbeAccuracy(constant.View(), labels, 2, {/*folds=*/2, /*seed=*/1}) == 0.5);
}

TEST_CASE("a single row per emotion gives infinite fisher ratio and an unpredictable probe", "[metrics]") {
  const a::Matrix rows = MakeMatrix(2, {1, 0, 0, 1});
  const std::vector<int> labels{0, 1};
  const a::Matrix means = a::ClassMeans(rows.View(), labels, 2);
  CHECK(means.data == rows.data);
  CHECK(std::isinf(a::FisherRatio(rows.View(), labels, 2)));
  // Each row's emotion has no training row in its fold: every prediction misses.
  CHECK(a::ProbeAccuracy(rows.View(), labels, 2) == 0.0);
}

TEST_CASE("the probe counts nearest-centroid hits by cosine", "[metrics]") {
  // Two folds, each holding one row of each emotion, whatever the shuffle. The (1, 0) rows are
  // always right; (1, 1) tested against centroids (1, 0) and (1, -1) has cosines 1/sqrt2 and 0,
  // so it is wrong; (1, -1) likewise. Accuracy 2/4.
  const a::Matrix rows = MakeMatrix(2, {1, 0, 1, 0, 1, 1, 1, -1});
  const std::vector<int> labels{0, 0, 1, 1};
  for (uint64_t seed : {0, 1, 2, 3}) CHECK(a::ProbeAccuracy(rows.View(), labels, 2, {2, seed}) == 0.5);
}

TEST_CASE("a probe tie between centroids goes to the lower emotion index", "[metrics]") {
  // Fold with (1, 0) and (1, 1) tested: centroids (1, 0) and (0, 1); (1, 1) ties at 1/sqrt2 and is
  // predicted 0 (a miss). Fold with (1, 0) and (0, 1) tested: centroids (1, 0) and (1, 1); both
  // right. Accuracy 3/4 (it would be 1 if ties went to the higher index).
  const a::Matrix rows = MakeMatrix(2, {1, 0, 1, 0, 0, 1, 1, 1});
  const std::vector<int> labels{0, 0, 1, 1};
  for (uint64_t seed : {0, 1, 2, 3}) CHECK(a::ProbeAccuracy(rows.View(), labels, 2, {2, seed}) == 0.75);
}

TEST_CASE("an emotion with fewer rows than folds is tested in the folds it has rows in", "[metrics]") {
  // Emotion 0's rows go to folds 0 and 1, emotion 1's single row to fold 0 (the deal continues).
  // Fold 0: the (1, 0) row is right; the (0, 1) row has no emotion-1 centroid and misses.
  // Fold 1: the (1, 0) row is right. Accuracy 2/3.
  const a::Matrix rows = MakeMatrix(2, {1, 0, 1, 0, 0, 1});
  CHECK(a::ProbeAccuracy(rows.View(), {0, 0, 1}, 2, {2, 9}) == Approx(2.0 / 3.0));
}

TEST_CASE("the probe is reproducible for a seed and near perfect on separated clusters", "[metrics]") {
  a::Rng rng(17);
  std::vector<double> data;
  std::vector<int> labels;
  for (int row = 0; row < 60; ++row) {
    const int emotion = row % 3;
    for (int k = 0; k < 4; ++k) data.push_back((k == emotion ? 5.0 : 0.0) + rng.UniformDouble());
    labels.push_back(emotion);
  }
  const a::Matrix rows = MakeMatrix(4, data);
  const double first = a::ProbeAccuracy(rows.View(), labels, 3, {5, 123});
  CHECK(first == a::ProbeAccuracy(rows.View(), labels, 3, {5, 123}));
  CHECK(first == 1.0);
}

TEST_CASE("removing the neutral component along x leaves the rest of each emotion vector", "[metrics]") {
  // Neutral rows vary along x (variance share 0.9) and y (0.1) around (0, 0, 5).
  const a::Matrix neutral = MakeMatrix(3, {-3, 0, 5, 3, 0, 5, 0, -1, 5, 0, 1, 5});
  const a::NeutralComponents pcs = a::NeutralPrincipalComponents(neutral.View(), 0.5);
  REQUIRE(pcs.components.rows == 1);
  CHECK(std::fabs(pcs.components.Row(0)[0]) == Approx(1.0));
  CHECK(pcs.explained_share[0] == Approx(0.9));
  // mu_0 = (3, 1, 1), mu_1 = (1, -1, -1): grand mean (2, 0, 0), v_0 = (1, 1, 1), v_1 = -v_0.
  const a::Matrix means = MakeMatrix(3, {3, 1, 1, 1, -1, -1});
  const a::EmotionVectors half = a::ComputeEmotionVectors(means, neutral.View(), {0.5});
  CHECK(half.removed_components == 1);
  CHECK(half.removed_share == Approx(0.9));
  CHECK(half.norms[0] == Approx(std::sqrt(2.0)));  // (0, 1, 1)
  CHECK(half.unit.Row(0)[0] == Approx(0.0).margin(1e-15));
  CHECK(half.unit.Row(0)[2] == Approx(std::sqrt(0.5)));
  // A share reached exactly (0.9) still takes one component; 0.95 needs both: (0, 0, 1) remains.
  CHECK(a::ComputeEmotionVectors(means, neutral.View(), {0.9}).removed_components == 1);
  const a::EmotionVectors most = a::ComputeEmotionVectors(means, neutral.View(), {0.95});
  CHECK(most.removed_components == 2);
  CHECK(most.norms[1] == Approx(1.0));
  CHECK(most.unit.Row(1)[2] == Approx(-1.0));
}

TEST_CASE("metric inputs that do not fit are errors naming the row, label or emotion", "[metrics]") {
  CHECK_THROWS_WITH(a::ClassMeans(kAxes.View(), {0, 0, 1}, 2), Catch::Contains("3 labels for 4"));
  CHECK_THROWS_WITH(a::ClassMeans(kAxes.View(), {0, 0, 1, 2}, 2),
                    Catch::Contains("label of row 3 is 2, outside 0..1"));
  CHECK_THROWS_WITH(a::ClassMeans(kAxes.View(), {0, 0, 0, 0}, 2), Catch::Contains("emotion 1 has no"));
  const a::Matrix with_nan = MakeMatrix(2, {1, 0, 0, NAN});
  CHECK_THROWS_WITH(a::ClassMeans(with_nan.View(), {0, 1}, 2), Catch::Contains("row 1 column 1"));
  const a::Matrix means = a::ClassMeans(kAxes.View(), kAxesLabels, 2);
  CHECK_THROWS_WITH(a::ComputeEmotionVectors(means, std::nullopt), Catch::Contains("no neutral"));
  CHECK_THROWS_WITH(a::ComputeEmotionVectors(means, MakeMatrix(3, {1, 2, 3, 4, 5, 6}).View()),
                    Catch::Contains("3 columns"));
  CHECK_THROWS_WITH(a::NeutralPrincipalComponents(kAxes.View(), 1.5), Catch::Contains("[0, 1]"));
  CHECK_THROWS_WITH(a::MeanCosine(MakeMatrix(2, {1, 0})), Catch::Contains("at least 2 emotions"));
  CHECK_THROWS_WITH(a::ProbeAccuracy(kAxes.View(), kAxesLabels, 2, {1, 0}), Catch::Contains("2 folds"));
}

TEST_CASE("layer metrics gather every metric and the separation gap against the permutation null",
          "[metrics]") {
  const a::Matrix neutral = MakeMatrix(2, {1, 0, 0, 1, 1, 1});
  const a::LayerMetrics metrics = a::ComputeLayerMetrics(kAxes.View(), kAxesLabels, 2, neutral.View());
  CHECK(metrics.mean_cosine == 0.0);
  CHECK(metrics.anisotropy == Approx(std::sqrt(2.0) / 3.0));
  CHECK(metrics.null.permutations == 200);
  CHECK(metrics.null.separation_gap == metrics.null.null_mean_cosine - metrics.mean_cosine);
  CHECK(metrics.fisher_ratio == Approx(2.0));
  CHECK(metrics.probe_accuracy == 1.0);
  CHECK(std::isnan(a::ComputeLayerMetrics(kAxes.View(), kAxesLabels, 2, std::nullopt).anisotropy));
}

// The six labellings of kAxes with two rows per emotion form three partitions, each twice:
// {0,1}{2,3}: means (2,0), (0,2), cos 0; {0,2}{1,3}: (0.5,0.5), (1.5,1.5), cos 1;
// {0,3}{1,2}: (0.5,1.5), (1.5,0.5), cos 1.5 / 2.5 = 0.6. So the null mean is 1.6 / 3 and
// P(null <= observed 0) is 1/3.
TEST_CASE("the permutation null of mean_cosine matches the enumerated null of four rows", "[metrics]") {
  const a::SeparationNull null = a::MeanCosinePermutationNull(kAxes.View(), kAxesLabels, 2, 3000, 7);
  CHECK(null.observed_mean_cosine == 0.0);
  CHECK(null.null_mean_cosine == Approx(1.6 / 3.0).margin(0.02));
  CHECK(null.permutation_p == Approx(1.0 / 3.0).margin(0.03));
  CHECK(null.separation_gap == null.null_mean_cosine);
  CHECK(null.separation_z == Approx(null.separation_gap / null.null_sd));
  const a::SeparationNull again = a::MeanCosinePermutationNull(kAxes.View(), kAxesLabels, 2, 3000, 7);
  CHECK(again.null_mean_cosine == null.null_mean_cosine);
  CHECK(again.permutation_p == null.permutation_p);
}

TEST_CASE("the permutation null moves a group as one unit", "[metrics]") {
  // One group per emotion: a permutation can only swap the two groups' labels, which leaves the
  // pair of class means and so mean_cosine unchanged: null sd 0, z undefined, p = 1.
  const a::SeparationNull null =
      a::MeanCosinePermutationNull(kAxes.View(), kAxesLabels, 2, 50, 1, {5, 5, 9, 9});
  CHECK(null.null_mean_cosine == 0.0);
  CHECK(null.null_sd == 0.0);
  CHECK(std::isnan(null.separation_z));
  CHECK(null.permutation_p == 1.0);
  CHECK_THROWS_WITH(a::MeanCosinePermutationNull(kAxes.View(), kAxesLabels, 2, 0, 1),
                    Catch::Contains("1 permutation"));
  CHECK_THROWS_WITH(a::MeanCosinePermutationNull(kAxes.View(), kAxesLabels, 2, 5, 1, {1, 2, 2, 3}),
                    Catch::Contains("group 2 holds rows of emotions 0 and 1"));
}

TEST_CASE("grouped folds put every group in one fold and keep singletons as the ungrouped folds",
          "[metrics]") {
  std::vector<int> labels;
  a::Groups groups;
  for (int g = 0; g < 12; ++g) {  // 12 groups of 3 rows, emotions 0..2 by group.
    for (int copy = 0; copy < 3; ++copy) {
      labels.push_back(g % 3);
      groups.push_back(100 + g);
    }
  }
  const std::vector<std::size_t> folds = a::GroupedStratifiedFolds(labels, 3, groups, 4, 11);
  std::vector<int> rows_per_fold(4, 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    CHECK(folds[i] == folds[i - i % 3]);  // Rows of one group share its fold.
    ++rows_per_fold[folds[i]];
  }
  CHECK(rows_per_fold == std::vector<int>{9, 9, 9, 9});  // 12 groups dealt round-robin.

  a::Rng rng(3);
  a::Matrix rows{std::vector<double>(36 * 4), 36, 4};
  for (double& value : rows.data) value = rng.UniformDouble();
  a::Groups singletons(36);
  for (std::size_t i = 0; i < 36; ++i) singletons[i] = static_cast<int64_t>(i);
  CHECK(a::ProbeAccuracy(rows.View(), labels, 3, {4, 5}, singletons) ==
        a::ProbeAccuracy(rows.View(), labels, 3, {4, 5}));
  CHECK_THROWS_WITH(a::GroupedStratifiedFolds(labels, 3, {1, 2}, 4, 0),
                    Catch::Contains("2 groups for 36 rows"));
}

TEST_CASE("copies of one stimulus split across folds inflate the probe; grouped folds do not", "[metrics]") {
  // Pure noise with labels independent of the rows, every row copied three times (a bootstrap
  // resample's copies): ungrouped folds see a copy of most test rows in training.
  a::Rng rng(8);
  std::vector<int> labels;
  a::Groups groups;
  std::vector<double> data;
  for (int s = 0; s < 40; ++s) {
    std::vector<double> row(6);
    for (double& value : row) value = rng.UniformDouble() - 0.5;
    const int label = static_cast<int>(rng.UniformInt(4));
    for (int copy = 0; copy < 3; ++copy) {
      data.insert(data.end(), row.begin(), row.end());
      labels.push_back(label);
      groups.push_back(s);
    }
  }
  const a::Matrix rows{data, labels.size(), 6};
  double leaky = 0.0;
  double grouped = 0.0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    leaky += a::ProbeAccuracy(rows.View(), labels, 4, {5, seed}) / 20.0;
    grouped += a::ProbeAccuracy(rows.View(), labels, 4, {5, seed}, groups) / 20.0;
  }
  CHECK(leaky > grouped + 0.1);
  CHECK(grouped < 0.35);  // Chance is 0.25.
}
