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
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace emoscope {

class Database;

struct StudyOptions {
  std::optional<std::string> campaign;     // The database's only campaign when unset.
  std::string peak_metric = "probe_accuracy";  // probe_accuracy, fisher_ratio, separation_gap (highest wins) or mean_cosine (lowest).
  int64_t resamples = 1000;                // Bootstrap resamples of stimuli within each emotion; 0 skips the bootstrap.
  uint64_t bootstrap_seed = 0;             // Seeds the resampling (analysis/random.h).
  double level = 0.95;                     // Interval coverage.
  double null_depth = 0.5;                 // The depth the models' r* are tested against.
};

// Builds the report (shape in docs/analyses.md).
nlohmann::ordered_json BuildStudyReport(Database& db, const StudyOptions& options);

}  // namespace emoscope
