#include "dashboards/campaign_views.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

#include "analysis/peak_rule.h"
#include "common/error.h"
#include "jobs/yaml_bounds.h"
#include "schema/database.h"

namespace emoscope {
namespace {

// The views' own queries are bounded by the data, not by a user: generous limits.
const QueryLimits kViewLimits{/*max_rows=*/2'000'000, /*time_limit_ms=*/30'000};

// Rows as JSON objects keyed by column name.
nlohmann::json Objects(ReadOnlyStore& store, std::string_view sql, const std::vector<QueryParam>& params) {
  const QueryResult result = store.Query(sql, params, kViewLimits);
  nlohmann::json out = nlohmann::json::array();
  for (const nlohmann::json& row : result.rows) {
    nlohmann::json object = nlohmann::json::object();
    for (size_t column = 0; column < result.columns.size(); ++column)
      object[result.columns[column]] = row[column];
    out.push_back(std::move(object));
  }
  return out;
}

int64_t CampaignId(ReadOnlyStore& store, const std::string& campaign) {
  const QueryResult result = store.Query("SELECT id FROM campaigns WHERE name = ?1", {campaign}, kViewLimits);
  if (result.rows.empty()) Fail("{}: no campaign named '{}'", store.path(), campaign);
  return result.rows[0][0].get<int64_t>();
}

int64_t IntOr(const nlohmann::json& value, int64_t fallback) {
  return value.is_number() ? value.get<int64_t>() : fallback;
}

// Whether the store has a table or view `name` (a database of an older schema may not: the report
// command reads such files as they are).
bool HasSchemaObject(ReadOnlyStore& store, const std::string& name) {
  return !store.Query("SELECT 1 FROM sqlite_master WHERE name = ?1", {name}, kViewLimits).rows.empty();
}

// The names a stored campaign spec gives its models, by path: parsed once per spec (by its hash)
// and process, not on every request, and only within the campaign parser's bounds (a spec past
// them, which no submission since those bounds can have stored, falls back to file names).
std::map<std::string, std::string> SpecModelNames(ReadOnlyStore& store, int64_t campaign_id) {
  const QueryResult spec =
      store.Query("SELECT spec_hash FROM campaigns WHERE id = ?1", {campaign_id}, kViewLimits);
  if (spec.rows.empty()) return {};
  const std::string hash = spec.rows[0][0].is_string() ? spec.rows[0][0].get<std::string>() : "";
  static std::mutex mutex;
  static std::map<std::string, std::map<std::string, std::string>> parsed;  // by spec hash
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto found = parsed.find(hash); found != parsed.end()) return found->second;
  }
  std::map<std::string, std::string> names;
  try {
    // The read-only store refuses a value over 16 MiB (kMaxYamlBytes too) before it is read.
    const QueryResult text =
        store.Query("SELECT spec_text FROM campaigns WHERE id = ?1", {campaign_id}, kViewLimits);
    const YAML::Node root = LoadBoundedYaml(text.rows.at(0).at(0).get<std::string>(), "stored campaign spec");
    for (const YAML::Node& model : root["models"]) {
      if (model["name"] && model["path"])
        names[model["path"].as<std::string>()] = model["name"].as<std::string>();
    }
  } catch (const std::exception&) {
    // A spec that does not parse here was validated at submission; fall back to file names.
  }
  std::lock_guard<std::mutex> lock(mutex);
  if (parsed.size() >= 256) parsed.clear();  // a bound, not a policy: specs are few
  parsed[hash] = names;
  return names;
}

// The campaign's names of its models by model path: the campaign_models rows its submission
// wrote (migration 7); for a campaign submitted before, the names its stored spec gives.
std::map<std::string, std::string> ModelNames(ReadOnlyStore& store, int64_t campaign_id) {
  std::map<std::string, std::string> names;
  if (HasSchemaObject(store, "campaign_models")) {
    const QueryResult rows = store.Query(
        "SELECT m.path, cm.name FROM campaign_models cm JOIN models m ON m.id = cm.model_id WHERE "
        "cm.campaign_id = ?1",
        {campaign_id}, kViewLimits);
    for (const auto& row : rows.rows) names[row.at(0).get<std::string>()] = row.at(1).get<std::string>();
    if (!names.empty()) return names;
  }
  return SpecModelNames(store, campaign_id);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

nlohmann::json CampaignsView(ReadOnlyStore& store) {
  nlohmann::json campaigns = Objects(store, R"sql(
    SELECT c.id, c.name, c.state, c.priority, c.spec_hash, c.created_at, c.updated_at,
           count(t.id) AS total,
           coalesce(sum(t.state = 'done'), 0) AS done,
           coalesce(sum(t.state = 'failed'), 0) AS failed,
           coalesce(sum(t.state = 'running'), 0) AS running,
           coalesce(sum(t.state IN ('queued', 'blocked')), 0) AS queued,
           coalesce(sum(t.state = 'blocked'), 0) AS blocked,
           coalesce(sum(t.state = 'cancelled'), 0) AS cancelled,
           min(t.started_at) AS first_started_at, max(t.finished_at) AS last_finished_at
    FROM campaigns c LEFT JOIN campaign_tasks ct ON ct.campaign_id = c.id LEFT JOIN tasks t ON t.id = ct.task_id
    GROUP BY c.id ORDER BY c.priority DESC, c.id)sql",
                                     {});
  const int64_t now = NowMs();
  for (nlohmann::json& campaign : campaigns) {
    const int64_t finished = campaign["done"].get<int64_t>() + campaign["failed"].get<int64_t>() +
                             campaign["cancelled"].get<int64_t>();
    const int64_t total = campaign["total"].get<int64_t>();
    campaign["finished"] = finished == total;
    campaign["tasks_per_s"] = nullptr;
    campaign["eta_s"] = nullptr;
    const int64_t first = IntOr(campaign["first_started_at"], 0);
    const int64_t last = IntOr(campaign["last_finished_at"], 0);
    // Rate over the busy span (first lease to last finish, or now while unfinished).
    const int64_t end = finished == total ? last : std::max(last, now);
    if (first > 0 && end > first) {
      const double rate = static_cast<double>(finished) * 1000.0 / static_cast<double>(end - first);
      campaign["tasks_per_s"] = rate;
      if (rate > 0 && finished < total) campaign["eta_s"] = static_cast<double>(total - finished) / rate;
    }
  }
  return campaigns;
}

nlohmann::json TimelineView(ReadOnlyStore& store, const std::string& campaign, int buckets) {
  const int64_t campaign_id = CampaignId(store, campaign);
  const QueryResult span = store.Query(
      "SELECT min(t.started_at), max(t.finished_at) FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id "
      "WHERE ct.campaign_id = ?1",
      {campaign_id}, kViewLimits);
  nlohmann::json out = {{"campaign", campaign}, {"bucket_ms", nullptr}, {"points", nlohmann::json::array()}};
  const int64_t first = IntOr(span.rows[0][0], 0);
  const int64_t last = IntOr(span.rows[0][1], 0);
  if (first == 0 || last == 0) return out;
  // Round buckets to whole seconds (or tenths for campaigns shorter than `buckets` seconds) so the
  // chart's axis reads naturally.
  const int64_t raw_ms = std::max<int64_t>(100, (last - first) / std::max(1, buckets));
  const int64_t unit_ms = raw_ms >= 1000 ? 1000 : 100;
  const int64_t bucket_ms = (raw_ms + unit_ms - 1) / unit_ms * unit_ms;
  out["bucket_ms"] = bucket_ms;
  out["start_ms"] = first;
  out["points"] = Objects(store, R"sql(
    SELECT ?1 + (t.finished_at - ?1) / ?2 * ?2 AS t, sum(t.state = 'done') AS done, sum(t.state = 'failed') AS failed
    FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id
    WHERE ct.campaign_id = ?3 AND t.finished_at IS NOT NULL AND t.state IN ('done', 'failed')
    GROUP BY 1 ORDER BY 1)sql",
                          {first, bucket_ms, campaign_id});
  return out;
}

nlohmann::json FailuresView(ReadOnlyStore& store, const std::string& campaign, int64_t limit) {
  const int64_t campaign_id = CampaignId(store, campaign);
  nlohmann::json out = {{"campaign", campaign}};
  out["tasks"] = Objects(store, R"sql(
    SELECT t.id AS task_id, t.kind, t.attempts, t.max_attempts, t.worker, t.finished_at, m.path AS model, t.error
    FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id LEFT JOIN models m ON m.id = t.model_id
    WHERE ct.campaign_id = ?1 AND t.state = 'failed' ORDER BY t.finished_at DESC, t.id DESC LIMIT ?2)sql",
                         {campaign_id, limit});
  // The distinct errors, most frequent first: what failed and why, at a glance.
  out["errors"] = Objects(store, R"sql(
    SELECT t.kind, t.error, count(*) AS tasks
    FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id
    WHERE ct.campaign_id = ?1 AND t.state = 'failed' GROUP BY t.kind, t.error ORDER BY tasks DESC LIMIT 20)sql",
                          {campaign_id});
  return out;
}

nlohmann::json WorkersView(ReadOnlyStore& store) {
  nlohmann::json workers = Objects(store, R"sql(
    SELECT identity, host, pid, device, memory_bytes, slots, versions, loaded_models, connected_at,
           last_heartbeat, state
    FROM workers ORDER BY state = 'connected' DESC, last_heartbeat DESC LIMIT 1000)sql",
                                   {});
  // The tasks each holds now (the tasks_ready index covers state = 'running').
  const nlohmann::json running = Objects(store, R"sql(
    SELECT t.worker, t.id AS task_id, t.kind, m.path AS model, c.name AS campaign, t.started_at
    FROM tasks t LEFT JOIN models m ON m.id = t.model_id JOIN campaigns c ON c.id = t.campaign_id
    WHERE t.state = 'running' ORDER BY t.started_at LIMIT 10000)sql",
                                         {});
  std::map<std::string, nlohmann::json> by_worker;
  for (const nlohmann::json& task : running) {
    if (!task["worker"].is_string()) continue;
    by_worker[task["worker"].get<std::string>()].push_back(task);
  }
  const int64_t now = NowMs();
  for (nlohmann::json& worker : workers) {
    const std::string identity = worker["identity"].get<std::string>();
    worker["current_tasks"] = by_worker.count(identity) ? by_worker[identity] : nlohmann::json::array();
    for (const char* field : {"versions", "loaded_models"}) {
      if (!worker[field].is_string()) continue;
      // Stored as JSON text by the coordinator; served parsed (or as text if it is not JSON).
      nlohmann::json parsed =
          nlohmann::json::parse(worker[field].get<std::string>(), nullptr, /*allow_exceptions=*/false);
      if (!parsed.is_discarded()) worker[field] = std::move(parsed);
    }
    worker["silent_s"] =
        worker["last_heartbeat"].is_number()
            ? nlohmann::json(static_cast<double>(now - worker["last_heartbeat"].get<int64_t>()) / 1000.0)
            : nlohmann::json(nullptr);
  }
  return workers;
}

nlohmann::json ResultsView(ReadOnlyStore& store, const std::string& campaign, int samples_per_regime) {
  const int64_t campaign_id = CampaignId(store, campaign);
  const std::map<std::string, std::string> names = ModelNames(store, campaign_id);
  nlohmann::json out = {{"campaign", campaign}};

  nlohmann::json models = Objects(store, R"sql(
    SELECT m.id, m.path, m.architecture, m.layers, m.parameters, m.checksum FROM models m
    WHERE m.id IN (SELECT t.model_id FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id WHERE ct.campaign_id = ?1)
    ORDER BY m.id)sql",
                                  {campaign_id});
  std::map<int64_t, int64_t> layers_of;
  for (nlohmann::json& model : models) {
    const std::string path = model["path"].get<std::string>();
    model["name"] = names.count(path) ? names.at(path) : BaseName(path);
    layers_of[model["id"].get<int64_t>()] = IntOr(model["layers"], 0);
  }
  out["models"] = models;

  // The separation metrics (not the bookkeeping ones: chance, samples, neutral_norm) per (model, method,
  // metric, layer), averaged over tasks (shards); relative depth r = layer / L (0: the embedding output, 1:
  // the last block).
  nlohmann::json curves = Objects(store, R"sql(
    SELECT t.model_id AS model_id, lm.method, lm.metric, lm.layer, avg(lm.value) AS value
    FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id JOIN layer_metrics lm ON lm.task_id = t.id
    WHERE ct.campaign_id = ?1 AND lm.emotion = '' AND lm.value IS NOT NULL
          AND lm.metric IN ('probe_accuracy', 'mean_cosine', 'anisotropy', 'separation_gap', 'separation_z',
                            'fisher_ratio')
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4)sql",
                                  {campaign_id});
  // Peak layer per (model, method, metric) for every peak metric, by the one peak rule
  // (analysis/peak_rule.h: blocks 1..L, best value, ties to the shallower layer).
  std::map<std::tuple<int64_t, std::string, std::string>, std::vector<const nlohmann::json*>> candidates;
  for (nlohmann::json& point : curves) {
    const int64_t model_id = point["model_id"].get<int64_t>();
    const int64_t layers = layers_of[model_id];
    point["depth"] =
        layers > 0
            ? nlohmann::json(static_cast<double>(point["layer"].get<int64_t>()) / static_cast<double>(layers))
            : nlohmann::json(nullptr);
    const std::string metric = point["metric"].get<std::string>();
    if (!analysis::IsPeakMetric(metric)) continue;
    candidates[std::make_tuple(model_id, point["method"].get<std::string>(), metric)].push_back(&point);
  }
  out["localization"] = curves;
  out["peaks"] = nlohmann::json::array();
  for (const auto& [key, points] : candidates) {
    std::vector<int64_t> layers;
    std::vector<double> values;
    for (const nlohmann::json* point : points) {
      layers.push_back((*point)["layer"].get<int64_t>());
      values.push_back((*point)["value"].get<double>());
    }
    const std::optional<size_t> peak = analysis::PeakIndex(std::get<2>(key), layers, values);
    if (!peak) continue;
    const nlohmann::json& point = *points[*peak];
    out["peaks"].push_back({{"model_id", std::get<0>(key)},
                            {"method", std::get<1>(key)},
                            {"metric", std::get<2>(key)},
                            {"layer", point["layer"]},
                            {"depth", point["depth"]},
                            {"value", point["value"]}});
  }

  // Method comparison: emotion_separation per (model, method, emotion) at each (model, method)'s
  // peak layer by the campaign's peak metric (science.metrics.peak_metric, stored in its metrics
  // and steer tasks' params, as `analyze` reads it), else the default.
  std::string peak_metric = analysis::defaults::kPeakMetric;
  const nlohmann::json chosen = Objects(store, R"sql(
    SELECT DISTINCT json_extract(t.params, '$.peak_metric') AS metric
    FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id
    WHERE ct.campaign_id = ?1 AND t.kind IN ('metrics', 'steer') AND json_extract(t.params, '$.peak_metric') IS NOT NULL)sql",
                                        {campaign_id});
  if (chosen.size() == 1 && chosen[0]["metric"].is_string() &&
      analysis::IsPeakMetric(chosen[0]["metric"].get<std::string>())) {
    peak_metric = chosen[0]["metric"].get<std::string>();
  }
  out["peak_metric"] = peak_metric;
  nlohmann::json separation = nlohmann::json::array();
  for (const nlohmann::json& peak : out["peaks"]) {
    if (peak["metric"] != peak_metric) continue;
    nlohmann::json rows = Objects(store, R"sql(
      SELECT lm.emotion, avg(lm.value) AS value
      FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id JOIN layer_metrics lm ON lm.task_id = t.id
      WHERE ct.campaign_id = ?1 AND t.model_id = ?2 AND lm.method = ?3 AND lm.layer = ?4
            AND lm.metric = 'emotion_separation' AND lm.value IS NOT NULL
      GROUP BY lm.emotion ORDER BY lm.emotion)sql",
                                  {campaign_id, peak["model_id"].get<int64_t>(),
                                   peak["method"].get<std::string>(), peak["layer"].get<int64_t>()});
    for (nlohmann::json& row : rows) {
      row["model_id"] = peak["model_id"];
      row["method"] = peak["method"];
      row["layer"] = peak["layer"];
      separation.push_back(std::move(row));
    }
  }
  out["method_comparison"] = separation;

  // Steering: scenario success per (model, vector estimator, layer, alpha), and the regimes of the
  // steered generations (alpha 0 is the unsteered baseline); estimators are never pooled.
  out["steering"] = Objects(store, R"sql(
    SELECT t.model_id AS model_id, ss.estimator, ss.layer, ss.alpha, ss.mode, count(*) AS scenarios,
           sum(ss.success) AS successes,
           avg(ss.hit_rate) AS hit_rate, sum(ss.generations) AS generations
    FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id JOIN steering_scenarios ss ON ss.task_id = t.id
    WHERE ct.campaign_id = ?1 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4)sql",
                            {campaign_id});
  out["regimes"] = Objects(store, R"sql(
    SELECT t.model_id AS model_id, g.estimator, g.layer, g.alpha, g.regime, count(*) AS generations
    FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id JOIN steering_generations g ON g.task_id = t.id
    WHERE ct.campaign_id = ?1 AND g.alpha != 0 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5)sql",
                           {campaign_id});
  // The dose-response (hit rate, regime shares, median ppl_ratio against alpha, with the calibrated
  // window) is migration 6's steering_dose_response view: `emoscope analyze` reads the same view.
  out["dose_response"] = nlohmann::json::array();
  if (HasSchemaObject(store, "steering_dose_response"))
    out["dose_response"] = Objects(store, R"sql(
    SELECT model_id, estimator, layer, layer_last, mode, alpha, generations, hit_rate, surgical_share,
           repetitive_collapse_share, explosive_share, ineffective_share, empty_share, median_ppl_ratio,
           window_low, window_high, in_calibrated_window
    FROM steering_dose_response WHERE campaign = ?1
    ORDER BY model_id, estimator, layer, layer_last, mode, alpha)sql",
                                   {campaign});
  nlohmann::json samples = nlohmann::json::array();
  for (const char* regime : {"surgical", "repetitive_collapse", "explosive", "ineffective", "empty"}) {
    nlohmann::json rows =
        Objects(store, R"sql(
      SELECT t.model_id AS model_id, g.layer, g.emotion, g.alpha, g.regime, g.prompt_id, g.seed, g.judged_emotion,
             g.ppl_ratio, g.text
      FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id JOIN steering_generations g ON g.task_id = t.id
      WHERE ct.campaign_id = ?1 AND t.kind = 'steer' AND g.regime = ?2 AND g.alpha != 0 LIMIT ?3)sql",
                {campaign_id, std::string(regime), static_cast<int64_t>(samples_per_regime)});
    for (nlohmann::json& row : rows) samples.push_back(std::move(row));
  }
  out["samples"] = samples;
  return out;
}

nlohmann::json ManifestView(ReadOnlyStore& store, const std::string& campaign) {
  const int64_t campaign_id = CampaignId(store, campaign);
  nlohmann::json rows = Objects(store,
                                "SELECT name, state, priority, spec_hash, spec_text, created_at, updated_at "
                                "FROM campaigns WHERE id = ?1",
                                {campaign_id});
  nlohmann::json out = rows.at(0);
  out["models"] = Objects(store, R"sql(
    SELECT m.path, m.architecture, m.layers, m.parameters, m.checksum FROM models m
    WHERE m.id IN (SELECT t.model_id FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id WHERE ct.campaign_id = ?1)
    ORDER BY m.id)sql",
                          {campaign_id});
  out["runs"] = Objects(store, R"sql(
    SELECT tr.code_version, tr.device, tr.dtype, tr.libraries, count(*) AS tasks, sum(tr.elapsed_ms) AS elapsed_ms
    FROM campaign_tasks ct JOIN task_runs tr ON tr.task_id = ct.task_id
    WHERE ct.campaign_id = ?1 GROUP BY 1, 2, 3, 4 ORDER BY tasks DESC)sql",
                        {campaign_id});
  out["tasks_by_kind"] = Objects(store, R"sql(
    SELECT t.kind, t.state, count(*) AS tasks FROM campaign_tasks ct JOIN tasks t ON t.id = ct.task_id
    WHERE ct.campaign_id = ?1 GROUP BY 1, 2 ORDER BY 1, 2)sql",
                                 {campaign_id});
  const QueryResult version = store.Query("PRAGMA user_version", {}, kViewLimits);
  out["schema_version"] = version.rows.at(0).at(0);
  out["generated_at"] = NowMs();
  return out;
}

}  // namespace emoscope
