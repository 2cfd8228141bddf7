#include "analysis/equal_counts.h"

#include <algorithm>

#include "analysis/random.h"
#include "common/error.h"

namespace emoscope::analysis {
namespace {

std::vector<std::vector<std::size_t>> RowsOf(const std::vector<int>& labels, int num_classes,
                                             const char* side) {
  std::vector<std::vector<std::size_t>> rows(static_cast<std::size_t>(num_classes));
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      Fail("equal-count separation: side {} row {} has label {}, outside 0..{}", side, i, labels[i],
           num_classes - 1);
    }
    rows[static_cast<std::size_t>(labels[i])].push_back(i);
  }
  for (std::size_t e = 0; e < rows.size(); ++e) {
    if (rows[e].empty()) Fail("equal-count separation: side {} has no rows of emotion {}", side, e);
  }
  return rows;
}

// Class means over the kept rows of each emotion.
Matrix KeptMeans(MatrixView x, const std::vector<std::vector<std::size_t>>& kept) {
  std::vector<double> data;
  std::vector<int> labels;
  for (std::size_t e = 0; e < kept.size(); ++e) {
    for (std::size_t row : kept[e]) {
      data.insert(data.end(), x.Row(row), x.Row(row) + x.cols);
      labels.push_back(static_cast<int>(e));
    }
  }
  const Matrix rows{std::move(data), labels.size(), x.cols};
  return ClassMeans(rows.View(), labels, static_cast<int>(kept.size()));
}

}  // namespace

EqualCountSeparation EqualCountEmotionSeparation(MatrixView a, const std::vector<int>& labels_a, MatrixView b,
                                                 const std::vector<int>& labels_b, int num_classes,
                                                 uint64_t seed) {
  if (num_classes < 2) Fail("equal-count separation: needs at least 2 emotions, got {}", num_classes);
  if (labels_a.size() != a.rows || labels_b.size() != b.rows) {
    Fail("equal-count separation: {} and {} labels for {} and {} rows", labels_a.size(), labels_b.size(),
         a.rows, b.rows);
  }
  std::vector<std::vector<std::size_t>> kept_a = RowsOf(labels_a, num_classes, "a");
  std::vector<std::vector<std::size_t>> kept_b = RowsOf(labels_b, num_classes, "b");
  EqualCountSeparation out;
  Rng rng(seed);
  for (std::size_t e = 0; e < kept_a.size(); ++e) {
    out.rows_a.push_back(kept_a[e].size());
    out.rows_b.push_back(kept_b[e].size());
    const std::size_t used = std::min(kept_a[e].size(), kept_b[e].size());
    out.used.push_back(used);
    std::vector<std::size_t>& larger = kept_a[e].size() > used ? kept_a[e] : kept_b[e];
    if (larger.size() > used) {
      rng.Shuffle(larger);
      larger.resize(used);
      std::sort(larger.begin(),
                larger.end());  // Row order does not change a mean; sorted reads stay sequential.
    }
  }
  out.separation_a = EmotionSeparation(KeptMeans(a, kept_a));
  out.separation_b = EmotionSeparation(KeptMeans(b, kept_b));
  return out;
}

}  // namespace emoscope::analysis
