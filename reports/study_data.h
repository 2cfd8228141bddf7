// Reading one campaign's results from a (read-only) campaign database for the study report:
// models, the localization curve, per-emotion separation, emotion vectors, and per-sample
// activations for the bootstrap. Rows come through the views of schema/migrations/0003_views.sql
// and 0004_peak_rule_views.sql,
// so the report and a user's SQL read the same numbers.
//
// Threading: one Database per thread (as schema/database.h). Errors: an unknown campaign, a blob
// whose size does not match its shape, or malformed task params throw emoscope::Error naming the
// database file, the table, the task and the layer.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/metrics.h"

namespace emoscope {

class Database;

struct CampaignInfo {
  int64_t id = 0;
  std::string name;
  std::string spec_hash;
};

struct ModelInfo {
  int64_t id = 0;
  std::string name;  // The last component of the model path.
  std::string path;
  std::string architecture;
  std::string family;  // gemma, gemma2, gemma3 -> gemma; others their architecture.
  int64_t layers = 0;
  std::string checksum;
};

// One point of the localization curve: every scalar metric of one layer (NaN where NULL).
struct CurvePoint {
  int64_t layer = 0;
  double relative_depth = 0;
  std::map<std::string, double> metrics;
};

// The settings a metrics task used for one (model, method): its emotion set (label order), the
// probe's folds and seed.
struct MetricsSettings {
  std::vector<std::string> emotions;
  int probe_folds = 5;
  uint64_t seed = 0;
};

// The scalar metric columns of the localization curve in output order: the localization_curve
// view's, then the separation_null view's (null_mean_cosine, separation_z, permutation_p).
const std::vector<std::string>& CurveMetricNames();

// Makes the analysis views of migrations 3 and 4 available on a database migrated to an earlier
// version: the missing ones are created as TEMP views on this connection (allowed on a read-only
// one), so an older database is analysed without being written to. A no-op at version 4 and later.
void EnsureAnalysisViews(Database& db);

// The campaign by name; with no name, the database's only campaign (Error listing them when
// there are several, or none).
CampaignInfo LoadCampaign(Database& db, const std::optional<std::string>& name);

// Models with at least one task in the campaign, by id.
std::vector<ModelInfo> LoadModels(Database& db, const CampaignInfo& campaign);

// Methods with layer metrics for the model, sorted.
std::vector<std::string> LoadMethods(Database& db, const CampaignInfo& campaign, int64_t model_id);

// The localization curve of (model, method), layers ascending.
std::vector<CurvePoint> LoadCurve(Database& db, const CampaignInfo& campaign, int64_t model_id,
                                  const std::string& method);

// emotion_separation per emotion at one layer.
std::map<std::string, double> LoadSeparation(Database& db, const CampaignInfo& campaign, int64_t model_id,
                                             const std::string& method, int64_t layer);

// Unit emotion vectors v_{e,l} of one estimator at one layer, by emotion (float32 blobs widened
// to double). The report reads mean-difference vectors (the paper's); others never mix in.
std::map<std::string, std::vector<double>> LoadEmotionVectors(
    Database& db, const CampaignInfo& campaign, int64_t model_id, const std::string& method, int64_t layer,
    const std::string& estimator = "mean_difference");

// The first metrics task's settings for (model, method); nullopt when there is none.
std::optional<MetricsSettings> LoadMetricsSettings(Database& db, const CampaignInfo& campaign,
                                                   int64_t model_id, const std::string& method);

// The campaign's peak metric: the distinct peak_metric of its metrics and steer tasks' params;
// nullopt when none states one. Error naming the database when they disagree.
std::optional<std::string> LoadCampaignPeakMetric(Database& db, const CampaignInfo& campaign);

// Per-sample activations of one (model, method) at every hook point, from the campaign's finished
// extract tasks. Rows with readout_tokens 0 and emotions outside `emotions` are left out; labels
// index `emotions`. Read one layer at a time (a layer of a 4096-wide model with 1000 samples is
// 16 MB as float32).
class SampleActivations {
 public:
  SampleActivations(Database& db, const CampaignInfo& campaign, int64_t model_id, const std::string& method,
                    const std::vector<std::string>& emotions);
  const std::vector<int>& labels() const { return labels_; }
  // Source group of each row (analysis::SampleSource of its stimulus id): the probe's folds and the
  // bootstrap keep a group together.
  const analysis::Groups& groups() const { return groups_; }
  // (rows, dim) of layer `layer`, rows in label order. Error when a task lacks the layer.
  analysis::Matrix Layer(int64_t layer) const;

 private:
  struct Source {
    int64_t task_id;
    std::vector<int64_t> kept_rows;  // sample_index of the rows kept, in order
  };
  Database& db_;
  std::vector<Source> sources_;
  std::vector<int> labels_;
  analysis::Groups groups_;
};

}  // namespace emoscope
