#include "jobs/task_params.h"

#include <fmt/format.h>

#include "common/error.h"

namespace emoscope {
namespace {

using nlohmann::json;

// Reads fields of one kind's params, keeping the struct's default for a missing or null field.
class Reader {
 public:
  Reader(const json& params, const char* kind) : params_(params), kind_(kind) {
    if (!params_.is_object()) Fail("{}: params must be a JSON object", kind_);
  }
  template <typename T>
  void Get(const char* name, T* value) const {
    if (!params_.contains(name) || params_.at(name).is_null()) return;
    try {
      *value = params_.at(name).get<T>();
    } catch (const json::exception&) {
      Fail("{}: parameter '{}' has the wrong type: {}", kind_, name, params_.at(name).dump());
    }
  }
  template <typename T>
  void Require(const char* name, T* value) const {
    if (!params_.contains(name)) Fail("{}: parameter '{}' is missing", kind_, name);
    Get(name, value);
  }
  Reader Object(const char* name) const {
    static const json kEmpty = json::object();
    if (!params_.contains(name) || params_.at(name).is_null()) return Reader(kEmpty, kind_);
    if (!params_.at(name).is_object()) Fail("{}: parameter '{}' must be an object", kind_, name);
    return Reader(params_.at(name), kind_);
  }
  const json& Raw(const char* name) const {
    static const json kNull;
    return params_.contains(name) ? params_.at(name) : kNull;
  }

 private:
  const json& params_;
  const char* kind_;
};

// An estimator name from params, canonical; Error naming the kind and field otherwise.
std::string EstimatorOf(const char* kind, const char* field, const std::string& name) {
  const std::string canonical = CanonicalEstimator(name);
  if (canonical.empty()) {
    Fail("{}: parameter '{}': estimator '{}' is not mean_difference, pca_diff or logistic", kind, field,
         name);
  }
  return canonical;
}

void Read(const Reader& r, GenerationParams* g) {
  r.Get("max_new_tokens", &g->max_new_tokens);
  r.Get("temperature", &g->temperature);
  r.Get("top_p", &g->top_p);
  r.Get("top_k", &g->top_k);
}

void Put(const CommonParams& c, json* out) {
  out->update({{"stimuli_dir", c.stimuli_dir},
               {"dtype", c.dtype},
               {"device", c.device},
               {"batch_tokens", c.batch_tokens},
               {"seed", c.seed}});
}

void Read(const Reader& r, CommonParams* c) {
  r.Get("stimuli_dir", &c->stimuli_dir);
  r.Get("dtype", &c->dtype);
  r.Get("device", &c->device);
  r.Get("batch_tokens", &c->batch_tokens);
  r.Get("seed", &c->seed);
}

json ToJson(const RegimeParams& t) {
  return {{"min_tokens", t.min_tokens},
          {"explosive_ppl_ratio", t.explosive_ppl_ratio},
          {"collapse_compression", t.collapse_compression},
          {"collapse_seq_rep4", t.collapse_seq_rep4},
          {"collapse_distinct2", t.collapse_distinct2}};
}

void Read(const Reader& r, RegimeParams* t) {
  r.Get("min_tokens", &t->min_tokens);
  r.Get("explosive_ppl_ratio", &t->explosive_ppl_ratio);
  r.Get("collapse_compression", &t->collapse_compression);
  r.Get("collapse_seq_rep4", &t->collapse_seq_rep4);
  r.Get("collapse_distinct2", &t->collapse_distinct2);
}

void Put(const SteeringCommon& s, json* out) {
  Put(s.common, out);
  out->update({{"layer", s.layer},
               {"emotions", s.emotions},
               {"mode", s.mode},
               {"vector_method", s.vector_method},
               {"estimator", s.estimator},
               {"peak_metric", s.peak_metric},
               {"seeds", s.seeds},
               {"max_resamples", s.max_resamples},
               {"generation", ToJson(s.generation)},
               {"thresholds", ToJson(s.thresholds)}});
}

void Read(const Reader& r, const char* kind, SteeringCommon* s) {
  Read(r, &s->common);
  if (!r.Raw("layer").is_null()) s->layer = r.Raw("layer");
  r.Require("emotions", &s->emotions);
  r.Get("mode", &s->mode);
  r.Get("vector_method", &s->vector_method);
  r.Get("estimator", &s->estimator);
  s->estimator = EstimatorOf(kind, "estimator", s->estimator);
  r.Get("peak_metric", &s->peak_metric);
  r.Get("seeds", &s->seeds);
  r.Get("max_resamples", &s->max_resamples);
  Read(r.Object("generation"), &s->generation);
  Read(r.Object("thresholds"), &s->thresholds);
  if (s->mode != "relative" && s->mode != "absolute")
    Fail("{}: parameter 'mode' must be relative or absolute", kind);
  if (s->seeds.empty()) Fail("{}: parameter 'seeds' is empty", kind);
  if (s->thresholds.min_tokens < 1) Fail("{}: parameter 'thresholds.min_tokens' must be at least 1", kind);
  if (s->max_resamples < 0) Fail("{}: parameter 'max_resamples' must not be negative", kind);
}

}  // namespace

json ToJson(const GenerationParams& g) {
  return {{"max_new_tokens", g.max_new_tokens},
          {"temperature", g.temperature},
          {"top_p", g.top_p},
          {"top_k", g.top_k}};
}

const std::vector<std::string>& VectorEstimatorNames() {
  static const std::vector<std::string> names = {"mean_difference", "pca_diff", "logistic"};
  return names;
}

std::string CanonicalEstimator(const std::string& name) {
  if (name == "pca") return "pca_diff";
  for (const std::string& known : VectorEstimatorNames()) {
    if (name == known) return known;
  }
  return "";
}

std::vector<double> DefaultCoefficients() { return {0.05, 0.1, 0.2, 0.5, 1.0}; }

json ToJson(const ExtractParams& p) {
  json out = json::object();
  Put(p.common, &out);
  out.update({{"method", p.method}, {"shard", p.shard}, {"shards", p.shards}});
  if (p.method == "neutral") {
    out["neutral_count"] = p.neutral_count;
    return out;
  }
  out.update({{"emotions", p.emotions},
              {"per_emotion", p.per_emotion},
              {"skip_leading_fraction", p.skip_leading_fraction}});
  if (p.method == "generation") {
    out["generations_per_prompt"] = p.generations_per_prompt;
    out["generation"] = ToJson(p.generation);
  }
  return out;
}

ExtractParams ExtractParamsFromJson(const json& params) {
  const Reader r(params, "extract");
  ExtractParams p;
  Read(r, &p.common);
  r.Require("method", &p.method);
  r.Get("shard", &p.shard);
  r.Get("shards", &p.shards);
  r.Get("neutral_count", &p.neutral_count);
  r.Get("emotions", &p.emotions);
  r.Get("per_emotion", &p.per_emotion);
  r.Get("generations_per_prompt", &p.generations_per_prompt);
  r.Get("skip_leading_fraction", &p.skip_leading_fraction);
  Read(r.Object("generation"), &p.generation);
  if (p.method != "comprehension" && p.method != "generation" && p.method != "neutral") {
    Fail("extract: parameter 'method' must be comprehension, generation or neutral, got '{}'", p.method);
  }
  if (p.shards < 1 || p.shard < 0 || p.shard >= p.shards)
    Fail("extract: shard {} of {} is out of range", p.shard, p.shards);
  return p;
}

json ToJson(const MetricsParams& p) {
  return {{"seed", p.seed},
          {"method", p.method},
          {"layer", p.layer},
          {"emotions", p.emotions},
          {"neutral_pc_share", p.neutral_pc_share},
          {"probe_folds", p.probe_folds},
          {"permutations", p.permutations},
          {"peak_metric", p.peak_metric},
          {"estimators", p.estimators}};
}

MetricsParams MetricsParamsFromJson(const json& params) {
  const Reader r(params, "metrics");
  MetricsParams p;
  r.Get("seed", &p.seed);
  r.Require("method", &p.method);
  r.Require("layer", &p.layer);
  r.Require("emotions", &p.emotions);
  r.Get("neutral_pc_share", &p.neutral_pc_share);
  r.Get("probe_folds", &p.probe_folds);
  r.Get("permutations", &p.permutations);
  r.Get("peak_metric", &p.peak_metric);
  r.Get("estimators", &p.estimators);
  if (p.estimators.empty()) Fail("metrics: parameter 'estimators' is empty");
  for (std::string& estimator : p.estimators) estimator = EstimatorOf("metrics", "estimators", estimator);
  return p;
}

json ToJson(const CalibrateParams& p) {
  json out = json::object();
  Put(p.steering, &out);
  out.update({{"emotion", p.emotion},
              {"max_ppl_ratio", p.max_ppl_ratio},
              {"prompts", p.prompts},
              {"search_low", p.search_low},
              {"search_high", p.search_high},
              {"resolution", p.resolution},
              {"points", p.points},
              {"span", p.span}});
  return out;
}

CalibrateParams CalibrateParamsFromJson(const json& params) {
  const Reader r(params, "calibrate");
  CalibrateParams p;
  Read(r, "calibrate", &p.steering);
  r.Get("emotion", &p.emotion);
  r.Get("max_ppl_ratio", &p.max_ppl_ratio);
  r.Get("prompts", &p.prompts);
  r.Get("search_low", &p.search_low);
  r.Get("search_high", &p.search_high);
  r.Get("resolution", &p.resolution);
  r.Get("points", &p.points);
  r.Get("span", &p.span);
  if (!(p.search_low > 0 && p.search_high > p.search_low)) {
    Fail("calibrate: the search range [{}, {}] must be positive and increasing", p.search_low, p.search_high);
  }
  if (!(p.resolution > 1)) Fail("calibrate: parameter 'resolution' must be above 1");
  if (!(p.span >= 1)) Fail("calibrate: parameter 'span' must be at least 1");
  if (p.points < 1) Fail("calibrate: parameter 'points' must be at least 1");
  if (p.prompts < 1) Fail("calibrate: parameter 'prompts' must be at least 1");
  if (!(p.max_ppl_ratio > 0)) Fail("calibrate: parameter 'max_ppl_ratio' must be above 0");
  return p;
}

json ToJson(const SteerParams& p) {
  json out = json::object();
  Put(p.steering, &out);
  json judge = {{"kind", p.judge.kind}, {"method", p.judge.method}};
  if (!p.judge.path.empty()) judge["path"] = p.judge.path;
  out.update({{"emotion", p.emotion},
              {"coefficients", p.calibrated ? json("auto") : json(p.coefficients)},
              {"prompts", p.prompts},
              {"success_share", p.success_share},
              {"judge", judge}});
  return out;
}

SteerParams SteerParamsFromJson(const json& params) {
  const Reader r(params, "steer");
  SteerParams p;
  Read(r, "steer", &p.steering);
  r.Require("emotion", &p.emotion);
  if (r.Raw("coefficients") == json("auto")) {
    p.calibrated = true;
    p.coefficients.clear();
  } else {
    r.Get("coefficients", &p.coefficients);
    if (p.coefficients.empty()) Fail("steer: parameter 'coefficients' is empty");
  }
  r.Get("prompts", &p.prompts);
  r.Get("success_share", &p.success_share);
  const Reader judge = r.Object("judge");
  judge.Get("kind", &p.judge.kind);
  judge.Get("method", &p.judge.method);
  judge.Get("path", &p.judge.path);
  if (p.judge.method.empty()) p.judge.method = p.steering.vector_method;
  if (p.judge.kind != "probe" && p.judge.kind != "lexicon" && p.judge.kind != "classifier") {
    Fail("steer: judge kind '{}' is not probe, lexicon or classifier", p.judge.kind);
  }
  if (p.judge.kind == "classifier" && p.judge.path.empty()) {
    Fail("steer: the classifier judge needs judge.path (a classifier model folder)");
  }
  if (!(p.success_share >= 0 && p.success_share <= 1))
    Fail("steer: parameter 'success_share' must be in [0, 1]");
  return p;
}

}  // namespace emoscope
