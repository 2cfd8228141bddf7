// The study report of one campaign (docs/analyses.md): localization curves, peak relative depth
// with a bootstrap interval, the U-fit, architecture invariance, representational similarity,
// the method comparison and steering, plus a manifest of everything the numbers depend on.
//
// The report is an ordered JSON value (report_render.h prints it as text, markdown or CSV). It is
// deterministic: the same database and options give the same value, bit for bit (no clocks, no
// paths of the database, seeded resampling, rows in a fixed order).
//
// Threading: uses the Database from the calling thread only. Errors: emoscope::Error from the
// data layer (study_data.h) or for options out of range.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "analysis/peak_rule.h"

namespace emoscope {

class Database;

struct StudyOptions {
  std::optional<std::string> campaign;  // The database's only campaign when unset.
  // One of analysis::PeakMetrics(); unset: the campaign's science.metrics.peak_metric (stored in its
  // metrics and steer tasks' params), else defaults::kPeakMetric. The manifest says which.
  std::optional<std::string> peak_metric;
  int64_t resamples =
      analysis::defaults::kResamples;  // Bootstrap resamples of source groups within each emotion; 0 skips.
  uint64_t bootstrap_seed = 0;         // Seeds the resampling and the equal-count subsample.
  double level = analysis::defaults::kLevel;           // Interval coverage.
  double null_depth = analysis::defaults::kNullDepth;  // The depth the models' r* are tested against.
  int bootstrap_permutations =
      20;  // Separation-null permutations per replicate and layer (separation_gap/z peaks).
};

// Builds the report (shape in docs/analyses.md).
nlohmann::ordered_json BuildStudyReport(Database& db, const StudyOptions& options);

}  // namespace emoscope
