#include "reports/study_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/error.h"
#include "schema/database.h"
#include "schema/migrations.h"

namespace emoscope {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ColumnOrNaN(const Statement& statement, int column) {
  return statement.ColumnIsNull(column) ? kNaN : statement.ColumnDouble(column);
}

// Little-endian float32 values (the blob format of every science table), size-checked.
std::vector<double> BlobToDoubles(const std::string& blob, size_t count, const std::string& what) {
  if (blob.size() != count * sizeof(float)) {
    Fail("{}: blob of {} bytes, expected {} float32 values", what, blob.size(), count);
  }
  std::vector<double> out(count);
  for (size_t i = 0; i < count; ++i) {
    float value = 0;
    std::memcpy(&value, blob.data() + i * sizeof(float), sizeof(float));
    out[i] = value;
  }
  return out;
}

// Tasks of the campaign of one kind and model, in id order (a shared task counts for every
// campaign that holds it).
constexpr const char* kCampaignTaskJoin =
    "JOIN campaign_tasks ct ON ct.task_id = t.id AND ct.campaign_id = ?1 ";

}  // namespace

const std::vector<std::string>& CurveMetricNames() {
  static const std::vector<std::string> names = {
      "mean_cosine", "anisotropy",   "separation_gap",   "fisher_ratio", "probe_accuracy",
      "chance",      "neutral_norm", "null_mean_cosine", "separation_z", "permutation_p"};
  return names;
}

void EnsureAnalysisViews(Database& db) {
  constexpr int kFirstViewsVersion = 3;  // Migrations 3 and 4 are views only.
  constexpr int kLastViewsVersion = 4;
  const int version = db.UserVersion();
  for (const Migration& migration : Migrations()) {
    if (migration.version < kFirstViewsVersion || migration.version > kLastViewsVersion) continue;
    if (migration.version <= version) continue;
    std::string sql = migration.sql;
    const std::string from = "CREATE VIEW ";
    for (size_t at = sql.find(from); at != std::string::npos; at = sql.find(from, at)) {
      sql.replace(at, from.size(), "CREATE TEMP VIEW ");
      at += from.size();
    }
    db.Exec(sql);
  }
}

CampaignInfo LoadCampaign(Database& db, const std::optional<std::string>& name) {
  EnsureAnalysisViews(db);
  Statement statement = db.Prepare("SELECT id, name, spec_hash FROM campaigns ORDER BY id");
  std::vector<CampaignInfo> all;
  while (statement.Step())
    all.push_back({statement.ColumnInt(0), statement.ColumnText(1), statement.ColumnText(2)});
  std::string names;
  for (const CampaignInfo& campaign : all) names += (names.empty() ? "" : ", ") + campaign.name;
  if (name) {
    for (const CampaignInfo& campaign : all) {
      if (campaign.name == *name) return campaign;
    }
    Fail("{}: no campaign named '{}' (campaigns: {})", db.path(), *name, names.empty() ? "none" : names);
  }
  if (all.empty()) Fail("{}: the database holds no campaign", db.path());
  if (all.size() > 1) Fail("{}: several campaigns ({}); choose one with --campaign", db.path(), names);
  return all.front();
}

std::vector<ModelInfo> LoadModels(Database& db, const CampaignInfo& campaign) {
  Statement statement =
      db.Prepare(std::string("SELECT m.model_id, m.path, COALESCE(m.architecture, ''), m.family, "
                             "COALESCE(m.layers, 0), m.checksum, "
                             "(SELECT cm.name FROM campaign_models cm WHERE cm.campaign_id = ?1 "
                             "AND cm.model_id = m.model_id) "
                             "FROM model_families m WHERE m.model_id IN (SELECT t.model_id FROM tasks t ") +
                 kCampaignTaskJoin + ") ORDER BY m.model_id");
  statement.Bind(1, campaign.id);
  std::vector<ModelInfo> models;
  while (statement.Step()) {
    ModelInfo model;
    model.id = statement.ColumnInt(0);
    model.path = statement.ColumnText(1);
    std::string trimmed = model.path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    const size_t slash = trimmed.rfind('/');
    // The campaign's name for the model (migration 7); for older campaigns the folder name.
    model.name = !statement.ColumnIsNull(6)   ? statement.ColumnText(6)
                 : slash == std::string::npos ? trimmed
                                              : trimmed.substr(slash + 1);
    model.architecture = statement.ColumnText(2);
    model.family = statement.ColumnText(3);
    model.layers = statement.ColumnInt(4);
    model.checksum = statement.ColumnText(5);
    models.push_back(std::move(model));
  }
  return models;
}

std::vector<std::string> LoadMethods(Database& db, const CampaignInfo& campaign, int64_t model_id) {
  Statement statement = db.Prepare(
      "SELECT DISTINCT method FROM localization_curve WHERE campaign = ?1 AND model_id = ?2 ORDER BY method");
  statement.Bind(1, campaign.name).Bind(2, model_id);
  std::vector<std::string> methods;
  while (statement.Step()) methods.push_back(statement.ColumnText(0));
  return methods;
}

std::vector<CurvePoint> LoadCurve(Database& db, const CampaignInfo& campaign, int64_t model_id,
                                  const std::string& method) {
  std::string columns;
  for (const std::string& name : CurveMetricNames()) {
    const bool from_null = name == "null_mean_cosine" || name == "separation_z" || name == "permutation_p";
    columns += (from_null ? ", sn." : ", lc.") + name;
  }
  // Two metrics tasks of the same layer (a campaign submitted with different settings) would give
  // two rows; the first task's wins.
  Statement statement = db.Prepare(fmt::format(
      "SELECT lc.layer, lc.relative_depth{} FROM localization_curve lc LEFT JOIN separation_null sn "
      "ON sn.campaign = lc.campaign AND sn.task_id = lc.task_id AND sn.method = lc.method AND sn.layer = "
      "lc.layer "
      "WHERE lc.campaign = ?1 AND lc.model_id = ?2 AND lc.method = ?3 ORDER BY lc.layer, lc.task_id",
      columns));
  statement.Bind(1, campaign.name).Bind(2, model_id).Bind(3, method);
  std::vector<CurvePoint> curve;
  while (statement.Step()) {
    const int64_t layer = statement.ColumnInt(0);
    if (!curve.empty() && curve.back().layer == layer) continue;
    CurvePoint point;
    point.layer = layer;
    point.relative_depth = ColumnOrNaN(statement, 1);
    for (size_t i = 0; i < CurveMetricNames().size(); ++i) {
      point.metrics[CurveMetricNames()[i]] = ColumnOrNaN(statement, static_cast<int>(i + 2));
    }
    curve.push_back(std::move(point));
  }
  return curve;
}

std::map<std::string, double> LoadSeparation(Database& db, const CampaignInfo& campaign, int64_t model_id,
                                             const std::string& method, int64_t layer) {
  Statement statement = db.Prepare(
      "SELECT emotion, separation FROM emotion_separation WHERE campaign = ?1 AND model_id = ?2 AND method = "
      "?3 "
      "AND layer = ?4 ORDER BY task_id DESC, emotion");
  statement.Bind(1, campaign.name).Bind(2, model_id).Bind(3, method).Bind(4, layer);
  std::map<std::string, double> out;
  while (statement.Step()) out[statement.ColumnText(0)] = ColumnOrNaN(statement, 1);
  return out;
}

std::map<std::string, std::vector<double>> LoadEmotionVectors(Database& db, const CampaignInfo& campaign,
                                                              int64_t model_id, const std::string& method,
                                                              int64_t layer, const std::string& estimator) {
  Statement statement = db.Prepare(std::string("SELECT ev.task_id, ev.emotion, ev.dim, ev.data FROM "
                                               "emotion_vectors ev JOIN tasks t ON t.id = ev.task_id ") +
                                   kCampaignTaskJoin +
                                   "WHERE t.model_id = ?2 AND ev.method = ?3 AND ev.layer = ?4 AND "
                                   "ev.estimator = ?5 ORDER BY ev.task_id DESC");
  statement.Bind(1, campaign.id).Bind(2, model_id).Bind(3, method).Bind(4, layer).Bind(5, estimator);
  std::map<std::string, std::vector<double>> out;
  while (statement.Step()) {
    const std::string what = fmt::format("{}: emotion_vectors of task {} layer {} emotion '{}'", db.path(),
                                         statement.ColumnInt(0), layer, statement.ColumnText(1));
    const int64_t dim = statement.ColumnInt(2);
    if (dim < 0) Fail("{}: negative dim {}", what, dim);
    out[statement.ColumnText(1)] = BlobToDoubles(statement.ColumnBlob(3), static_cast<size_t>(dim), what);
  }
  return out;
}

std::optional<MetricsSettings> LoadMetricsSettings(Database& db, const CampaignInfo& campaign,
                                                   int64_t model_id, const std::string& method) {
  Statement statement =
      db.Prepare(std::string("SELECT t.id, t.params FROM tasks t ") + kCampaignTaskJoin +
                 "WHERE t.kind = 'metrics' AND t.model_id = ?2 AND json_extract(t.params, '$.method') = ?3 "
                 "ORDER BY t.id LIMIT 1");
  statement.Bind(1, campaign.id).Bind(2, model_id).Bind(3, method);
  if (!statement.Step()) return std::nullopt;
  const int64_t task_id = statement.ColumnInt(0);
  MetricsSettings settings;
  try {
    const nlohmann::json params = nlohmann::json::parse(statement.ColumnText(1));
    settings.emotions = params.at("emotions").get<std::vector<std::string>>();
    settings.probe_folds = params.value("probe_folds", 5);
    settings.seed = params.value("seed", uint64_t{0});
  } catch (const nlohmann::json::exception& error) {
    Fail("{}: tasks row {}: params: {}", db.path(), task_id, error.what());
  }
  return settings;
}

std::optional<std::string> LoadCampaignPeakMetric(Database& db, const CampaignInfo& campaign) {
  Statement statement =
      db.Prepare(std::string("SELECT DISTINCT json_extract(t.params, '$.peak_metric') FROM tasks t ") +
                 kCampaignTaskJoin +
                 "WHERE t.kind IN ('metrics', 'steer') AND json_extract(t.params, '$.peak_metric') "
                 "IS NOT NULL ORDER BY 1");
  statement.Bind(1, campaign.id);
  std::vector<std::string> found;
  while (statement.Step()) found.push_back(statement.ColumnText(0));
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    Fail(
        "{}: campaign '{}' has tasks with different peak_metric values ({}, ...); choose one with "
        "--peak-metric",
        db.path(), campaign.name, found.front());
  }
  return found.front();
}

SampleActivations::SampleActivations(Database& db, const CampaignInfo& campaign, int64_t model_id,
                                     const std::string& method, const std::vector<std::string>& emotions)
    : db_(db) {
  Statement tasks = db.Prepare(std::string("SELECT t.id FROM tasks t ") + kCampaignTaskJoin +
                               "WHERE t.kind = 'extract' AND t.state = 'done' AND t.model_id = ?2 "
                               "AND json_extract(t.params, '$.method') = ?3 ORDER BY t.id");
  tasks.Bind(1, campaign.id).Bind(2, model_id).Bind(3, method);
  while (tasks.Step()) sources_.push_back({tasks.ColumnInt(0), {}});
  std::map<std::string, int64_t> group_ids;  // source group name -> id, in order of first row
  for (Source& source : sources_) {
    Statement samples = db.Prepare(
        "SELECT sample_index, emotion, readout_tokens, stimulus_id, method FROM samples WHERE task_id = ?1 "
        "ORDER BY sample_index");
    samples.Bind(1, source.task_id);
    while (samples.Step()) {
      if (samples.ColumnInt(2) == 0) continue;  // nothing was read: the blob row holds zeros
      const std::string emotion = samples.ColumnText(1);
      const auto found = std::find(emotions.begin(), emotions.end(), emotion);
      if (found == emotions.end()) continue;
      source.kept_rows.push_back(samples.ColumnInt(0));
      labels_.push_back(static_cast<int>(found - emotions.begin()));
      const std::string group =
          emotion + '\x1f' + analysis::SampleSource(samples.ColumnText(4), samples.ColumnText(3));
      groups_.push_back(group_ids.emplace(group, static_cast<int64_t>(group_ids.size())).first->second);
    }
  }
}

analysis::Matrix SampleActivations::Layer(int64_t layer) const {
  analysis::Matrix out;
  for (const Source& source : sources_) {
    Statement statement =
        db_.Prepare("SELECT rows, dim, data FROM sample_activations WHERE task_id = ?1 AND layer = ?2");
    statement.Bind(1, source.task_id).Bind(2, layer);
    const std::string what =
        fmt::format("{}: sample_activations of task {} layer {}", db_.path(), source.task_id, layer);
    if (!statement.Step()) Fail("{}: no row", what);
    const int64_t rows = statement.ColumnInt(0);
    const int64_t dim = statement.ColumnInt(1);
    if (rows < 0 || dim <= 0) Fail("{}: bad shape ({}, {})", what, rows, dim);
    if (out.cols != 0 && out.cols != static_cast<size_t>(dim))
      Fail("{}: dim {} differs from {}", what, dim, out.cols);
    out.cols = static_cast<size_t>(dim);
    const std::vector<double> values =
        BlobToDoubles(statement.ColumnBlob(2), static_cast<size_t>(rows * dim), what);
    for (int64_t row : source.kept_rows) {
      if (row >= rows) Fail("{}: sample_index {} is outside its {} rows", what, row, rows);
      out.data.insert(out.data.end(), values.begin() + row * dim, values.begin() + (row + 1) * dim);
      ++out.rows;
    }
  }
  return out;
}

}  // namespace emoscope
