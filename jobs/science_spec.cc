#include "jobs/science_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "analysis/peak_rule.h"
#include "common/error.h"
#include "common/file_util.h"
#include "jobs/task_params.h"
#include "stimuli/stimuli.h"

namespace emoscope {
namespace {

using nlohmann::json;

// Field access on the section, failing with "file:line: science.field: message".
class Section {
 public:
  explicit Section(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void FailAt(const YAML::Node& node, const std::string& field,
                           const std::string& message) const {
    const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 1;
    Fail("{}:{}: {}: {}", file_, line, field, message);
  }
  void CheckKeys(const YAML::Node& node, const std::string& field,
                 const std::set<std::string>& allowed) const {
    if (!node.IsMap()) FailAt(node, field, "must be a mapping");
    for (const auto& item : node) {
      const std::string key = item.first.as<std::string>();
      if (!allowed.count(key)) FailAt(item.first, field + "." + key, "unknown field");
    }
  }
  double Number(const YAML::Node& node, const std::string& field, double low, double high) const {
    double value = 0;
    try {
      value = node.as<double>();
    } catch (const YAML::Exception&) {
      FailAt(node, field, "must be a number");
    }
    if (!(value >= low && value <= high))
      FailAt(node, field, fmt::format("must be between {} and {}", low, high));
    return value;
  }
  int64_t Int(const YAML::Node& node, const std::string& field, int64_t low, int64_t high) const {
    int64_t value = 0;
    try {
      value = node.as<int64_t>();
    } catch (const YAML::Exception&) {
      FailAt(node, field, "must be an integer");
    }
    if (value < low || value > high) FailAt(node, field, fmt::format("must be between {} and {}", low, high));
    return value;
  }
  std::string String(const YAML::Node& node, const std::string& field) const {
    if (!node.IsScalar()) FailAt(node, field, "must be a string");
    return node.as<std::string>();
  }
  std::string Choice(const YAML::Node& node, const std::string& field,
                     const std::set<std::string>& choices) const {
    const std::string value = String(node, field);
    if (!choices.count(value)) {
      std::string list;
      for (const std::string& choice : choices) list += (list.empty() ? "" : ", ") + choice;
      FailAt(node, field, fmt::format("'{}' is not one of {}", value, list));
    }
    return value;
  }
  // {max_new_tokens, temperature, top_p, top_k} over the defaults in `out`.
  GenerationParams Generation(const YAML::Node& node, const std::string& field, GenerationParams out) const {
    if (!node) return out;
    CheckKeys(node, field, {"max_new_tokens", "temperature", "top_p", "top_k"});
    if (node["max_new_tokens"])
      out.max_new_tokens = Int(node["max_new_tokens"], field + ".max_new_tokens", 1, 4096);
    if (node["temperature"]) out.temperature = Number(node["temperature"], field + ".temperature", 0, 100);
    if (node["top_p"]) {
      out.top_p = Number(node["top_p"], field + ".top_p", 0, 1);
      if (out.top_p == 0) FailAt(node["top_p"], field + ".top_p", "must be above 0");
    }
    if (node["top_k"]) out.top_k = Int(node["top_k"], field + ".top_k", 0, 1 << 24);
    return out;
  }
  // A path relative to the campaign file, like model paths.
  std::string Relative(const std::string& path) const {
    if (path.empty() || path[0] == '/') return path;
    const size_t slash = file_.rfind('/');
    return (slash == std::string::npos ? std::string(".") : file_.substr(0, slash)) + "/" + path;
  }

 private:
  std::string file_;
};

std::string EntryName(const std::string& model, const std::string& what) { return model + "." + what; }

// One steering layer spec (task_params.h's LayerSpec) from YAML, integer layers checked against
// the model's block count.
json LayerSpecOf(const Section& s, const YAML::Node& node, const std::string& field, int64_t layers) {
  auto one = [&](const YAML::Node& value, const std::string& where) -> json {
    const std::string text = s.String(value, where);
    if (text.find('.') != std::string::npos || text.find('e') != std::string::npos) {
      const double depth = s.Number(value, where, 0, 1);
      if (depth <= 0) s.FailAt(value, where, "a relative depth must be above 0");
      return depth;
    }
    return s.Int(value, where, 0, layers);
  };
  if (node.IsMap()) {
    s.CheckKeys(node, field, {"from", "to"});
    if (!node["from"] || !node["to"]) s.FailAt(node, field, "a layer range needs from and to");
    json range = {{"from", one(node["from"], field + ".from")}, {"to", one(node["to"], field + ".to")}};
    auto as_layer = [&](const json& end) {
      return end.is_number_integer()
                 ? end.get<int64_t>()
                 : std::clamp<int64_t>(std::llround(end.get<double>() * static_cast<double>(layers)), 1,
                                       layers);
    };
    if (as_layer(range["from"]) > as_layer(range["to"])) s.FailAt(node, field, "the range runs backwards");
    return range;
  }
  const std::string text = s.String(node, field);
  if (text == "peak" || text == "all") return text;
  return one(node, field);
}

std::string LayerLabel(const json& spec) {
  if (spec.is_string()) return spec.get<std::string>();
  if (spec.is_object()) return spec["from"].dump() + "-" + spec["to"].dump();
  return spec.dump();
}

// science.steering.estimator: one estimator name or a non-empty list of them (canonical names,
// without duplicates); the default when absent or when there is no steering block.
std::vector<std::string> SteeringEstimators(const Section& s, const YAML::Node& steering) {
  if (!steering || !steering.IsMap()) return {kDefaultEstimator};  // ExpandSteering reports a non-map
  const YAML::Node node = steering["estimator"];
  if (!node) return {kDefaultEstimator};
  auto one = [&](const YAML::Node& item, const std::string& field) {
    const std::string name = s.String(item, field);
    const std::string canonical = CanonicalEstimator(name);
    if (canonical.empty()) {
      s.FailAt(item, field,
               "'" + name + "' is not an estimator (mean_difference, pca or pca_diff, logistic)");
    }
    return canonical;
  };
  if (node.IsScalar()) return {one(node, "science.steering.estimator")};
  if (!node.IsSequence() || node.size() == 0)
    s.FailAt(node, "science.steering.estimator", "must be an estimator or a non-empty list of them");
  std::vector<std::string> out;
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string field = fmt::format("science.steering.estimator[{}]", i);
    const std::string name = one(node[i], field);
    if (std::find(out.begin(), out.end(), name) != out.end()) s.FailAt(node[i], field, "duplicate estimator");
    out.push_back(name);
  }
  return out;
}

// science.steering: per layer spec and estimator, a calibrate task (coefficients: auto; per emotion or for
// all emotions) and a steer task per target emotion, after the model's metrics tasks.
void ExpandSteering(const Section& s, const YAML::Node& steering, const std::vector<std::string>& emotions,
                    const std::vector<std::string>& methods, const std::string& peak_metric,
                    const CommonParams& common,
                    const std::map<std::string, std::vector<std::string>>& metrics_names,
                    const std::vector<std::string>& estimators, const ModelSpec& model, int64_t layers,
                    Campaign* campaign) {
  s.CheckKeys(steering, "science.steering",
              {"layers", "emotions", "coefficients", "auto", "mode", "vector_method", "estimator", "prompts",
               "seeds", "generation", "judge", "thresholds", "success_share", "max_resamples"});
  SteeringCommon base;
  base.common = common;
  base.emotions = emotions;
  base.peak_metric = peak_metric;
  base.vector_method = methods.back();
  json layer_specs = json::array({"peak"});
  if (const YAML::Node node = steering["layers"]) {
    if (!node.IsSequence() || node.size() == 0)
      s.FailAt(node, "science.steering.layers", "must be a non-empty list");
    layer_specs = json::array();
    for (size_t i = 0; i < node.size(); ++i) {
      layer_specs.push_back(LayerSpecOf(s, node[i], fmt::format("science.steering.layers[{}]", i), layers));
    }
  }
  std::vector<std::string> targets = emotions;
  if (const YAML::Node node = steering["emotions"]) {
    if (!(node.IsScalar() && node.as<std::string>() == "all")) {
      if (!node.IsSequence() || node.size() == 0)
        s.FailAt(node, "science.steering.emotions", "must be 'all' or a list");
      targets.clear();
      for (size_t i = 0; i < node.size(); ++i) {
        const std::string field = fmt::format("science.steering.emotions[{}]", i);
        const std::string emotion = s.String(node[i], field);
        if (std::find(emotions.begin(), emotions.end(), emotion) == emotions.end()) {
          s.FailAt(node[i], field, "'" + emotion + "' is not in science.emotions");
        }
        targets.push_back(emotion);
      }
    }
  }
  if (steering["mode"])
    base.mode = s.Choice(steering["mode"], "science.steering.mode", {"relative", "absolute"});
  if (steering["vector_method"]) {
    base.vector_method = s.Choice(steering["vector_method"], "science.steering.vector_method",
                                  {methods.begin(), methods.end()});
  }
  if (const YAML::Node node = steering["seeds"]) {
    if (!node.IsSequence() || node.size() == 0)
      s.FailAt(node, "science.steering.seeds", "must be a non-empty list");
    base.seeds.clear();
    for (size_t i = 0; i < node.size(); ++i) {
      base.seeds.push_back(
          static_cast<uint64_t>(s.Int(node[i], fmt::format("science.steering.seeds[{}]", i), 0, INT64_MAX)));
    }
  }
  if (steering["max_resamples"])
    base.max_resamples = s.Int(steering["max_resamples"], "science.steering.max_resamples", 0, 1000);
  base.generation = s.Generation(steering["generation"], "science.steering.generation", base.generation);
  if (const YAML::Node node = steering["thresholds"]) {
    s.CheckKeys(node, "science.steering.thresholds",
                {"min_tokens", "explosive_ppl_ratio", "collapse_compression", "collapse_seq_rep4",
                 "collapse_distinct2"});
    RegimeParams& t = base.thresholds;
    const std::string f = "science.steering.thresholds.";
    if (node["min_tokens"]) t.min_tokens = s.Int(node["min_tokens"], f + "min_tokens", 1, 4096);
    if (node["explosive_ppl_ratio"])
      t.explosive_ppl_ratio = s.Number(node["explosive_ppl_ratio"], f + "explosive_ppl_ratio", 0, 1e9);
    if (node["collapse_compression"])
      t.collapse_compression = s.Number(node["collapse_compression"], f + "collapse_compression", 0, 1e9);
    if (node["collapse_seq_rep4"])
      t.collapse_seq_rep4 = s.Number(node["collapse_seq_rep4"], f + "collapse_seq_rep4", 0, 1e9);
    if (node["collapse_distinct2"])
      t.collapse_distinct2 = s.Number(node["collapse_distinct2"], f + "collapse_distinct2", 0, 1e9);
  }

  SteerParams steer;
  steer.steering = base;
  const YAML::Node coefficients = steering["coefficients"];
  steer.calibrated = coefficients && coefficients.IsScalar() && coefficients.as<std::string>() == "auto";
  if (coefficients && !steer.calibrated) {
    if (!coefficients.IsSequence() || coefficients.size() == 0) {
      s.FailAt(coefficients, "science.steering.coefficients", "must be 'auto' or a non-empty list");
    }
    steer.coefficients.clear();
    for (size_t i = 0; i < coefficients.size(); ++i) {
      steer.coefficients.push_back(
          s.Number(coefficients[i], fmt::format("science.steering.coefficients[{}]", i), -1e6, 1e6));
    }
  } else if (!coefficients && base.mode == "absolute") {
    s.FailAt(steering, "science.steering.coefficients",
             "absolute mode needs a list of coefficients or 'auto'");
  }
  CalibrateParams calibrate;
  calibrate.steering = base;
  bool per_emotion = false;
  if (const YAML::Node node = steering["auto"]) {
    if (!steer.calibrated) s.FailAt(node, "science.steering.auto", "needs coefficients: auto");
    s.CheckKeys(node, "science.steering.auto",
                {"points", "max_ppl_ratio", "prompts", "per_emotion", "search", "span", "resolution"});
    const std::string f = "science.steering.auto.";
    if (node["points"]) calibrate.points = s.Int(node["points"], f + "points", 1, 1000);
    if (node["max_ppl_ratio"])
      calibrate.max_ppl_ratio = s.Number(node["max_ppl_ratio"], f + "max_ppl_ratio", 1e-9, 1e9);
    if (node["prompts"]) calibrate.prompts = s.Int(node["prompts"], f + "prompts", 1, 100000);
    if (node["span"]) calibrate.span = s.Number(node["span"], f + "span", 1, 1e9);
    if (node["resolution"]) {
      calibrate.resolution = s.Number(node["resolution"], f + "resolution", 1, 1e9);
      if (calibrate.resolution <= 1) s.FailAt(node["resolution"], f + "resolution", "must be above 1");
    }
    if (node["per_emotion"]) {
      try {
        per_emotion = node["per_emotion"].as<bool>();
      } catch (const YAML::Exception&) {
        s.FailAt(node["per_emotion"], f + "per_emotion", "must be true or false");
      }
    }
    if (const YAML::Node search = node["search"]) {
      if (!search.IsSequence() || search.size() != 2) s.FailAt(search, f + "search", "must be [low, high]");
      calibrate.search_low = s.Number(search[0], f + "search[0]", 1e-12, 1e9);
      calibrate.search_high = s.Number(search[1], f + "search[1]", 1e-12, 1e9);
      if (calibrate.search_low <= 0 || calibrate.search_high <= calibrate.search_low) {
        s.FailAt(search, f + "search", "must be positive and increasing");
      }
    }
  }
  if (steering["prompts"]) steer.prompts = s.Int(steering["prompts"], "science.steering.prompts", 1, 100000);
  if (steering["success_share"])
    steer.success_share = s.Number(steering["success_share"], "science.steering.success_share", 0, 1);
  steer.judge.method = base.vector_method;
  if (const YAML::Node node = steering["judge"]) {
    if (node.IsScalar()) {
      steer.judge.kind = s.Choice(node, "science.steering.judge", {"probe", "lexicon"});
    } else {
      s.CheckKeys(node, "science.steering.judge", {"kind", "method", "path"});
      if (node["kind"])
        steer.judge.kind =
            s.Choice(node["kind"], "science.steering.judge.kind", {"probe", "lexicon", "classifier"});
      if (node["method"]) {
        steer.judge.method =
            s.Choice(node["method"], "science.steering.judge.method", {methods.begin(), methods.end()});
      }
      if (steer.judge.kind == "classifier") {
        if (!node["path"])
          s.FailAt(node, "science.steering.judge.path", "is required for the classifier judge");
        const std::string path = s.Relative(s.String(node["path"], "science.steering.judge.path"));
        if (!IsDirectory(path) || !FileExists(path + "/config.json")) {
          s.FailAt(node["path"], "science.steering.judge.path",
                   "'" + path + "' is not a classifier model folder");
        }
        steer.judge.path = std::filesystem::weakly_canonical(std::filesystem::absolute(path)).string();
      }
    }
  }

  std::vector<std::string> after = metrics_names.at(base.vector_method);
  if (steer.judge.kind == "probe" && steer.judge.method != base.vector_method) {
    const auto& judge_names = metrics_names.at(steer.judge.method);
    after.insert(after.end(), judge_names.begin(), judge_names.end());
  }
  const json metric_inputs = {{"table", "layer_metrics"}, {"where", {{"emotion", ""}}}};
  for (const std::string& estimator : estimators)
    for (const json& layer_spec : layer_specs) {
      // The default estimator keeps the names steering tasks had before estimators existed.
      const std::string label =
          LayerLabel(layer_spec) + (estimator == kDefaultEstimator ? std::string() : "." + estimator);
      // Calibration: one task for every emotion (the default: one window, so scenarios of all
      // emotions share their alphas) or one per target emotion.
      std::map<std::string, std::string> calibration_of;  // target emotion -> calibrate entry name
      if (steer.calibrated) {
        const std::vector<std::string> scopes = per_emotion ? targets : std::vector<std::string>{""};
        for (const std::string& scope : scopes) {
          TaskEntry entry;
          entry.kind = "calibrate";
          entry.model = model.name;
          entry.name =
              EntryName(model.name, fmt::format("calibrate.{}.{}", label, scope.empty() ? "all" : scope));
          CalibrateParams params = calibrate;
          params.steering.layer = layer_spec;
          params.steering.estimator = estimator;
          params.emotion = scope;
          entry.params = ToJson(params);
          json vector_where = {{"method", base.vector_method}, {"estimator", estimator}};
          if (!scope.empty()) vector_where["emotion"] = scope;
          entry.params["inputs"] =
              json::array({metric_inputs, {{"table", "emotion_vectors"}, {"where", vector_where}}});
          entry.after = metrics_names.at(base.vector_method);
          entry.line = steering.Mark().line + 1;
          for (const std::string& emotion : targets) {
            if (scope.empty() || scope == emotion) calibration_of[emotion] = *entry.name;
          }
          campaign->entries.push_back(std::move(entry));
        }
      }
      for (const std::string& emotion : targets) {
        TaskEntry entry;
        entry.kind = "steer";
        entry.model = model.name;
        entry.name = EntryName(model.name, fmt::format("steer.{}.{}", label, emotion));
        SteerParams params = steer;
        params.steering.layer = layer_spec;
        params.steering.estimator = estimator;
        params.emotion = emotion;
        entry.params = ToJson(params);
        json inputs = json::array(
            {metric_inputs,
             {{"table", "emotion_vectors"},
              {"where", {{"emotion", emotion}, {"method", base.vector_method}, {"estimator", estimator}}}}});
        if (steer.judge.kind == "probe") {
          inputs.push_back({{"table", "activation_means"}, {"where", {{"method", steer.judge.method}}}});
        }
        entry.after = after;
        if (steer.calibrated) {
          inputs.push_back({{"table", "steering_calibrations"}});
          entry.after.push_back(calibration_of.at(emotion));
        }
        entry.params["inputs"] = inputs;
        entry.line = steering.Mark().line + 1;
        campaign->entries.push_back(std::move(entry));
      }
    }
}

}  // namespace

void ExpandScience(const YAML::Node& science, const std::string& file, Campaign* campaign) {
  const Section s(file);
  s.CheckKeys(science, "science",
              {"emotions", "stimuli", "methods", "per_emotion", "prompts_per_emotion",
               "generations_per_prompt", "neutral", "shards", "readout", "generation", "metrics", "steering",
               "seed", "dtype", "device", "batch_tokens"});
  if (campaign->models.empty()) s.FailAt(science, "science", "needs at least one entry under models");

  // Emotions: a set name or file, or an explicit list.
  std::vector<std::string> emotions;
  const YAML::Node emotions_node = science["emotions"];
  if (!emotions_node || emotions_node.IsScalar()) {
    const std::string name = emotions_node ? emotions_node.as<std::string>() : "basic6";
    try {
      emotions = LoadEmotionSet(name).emotions;
    } catch (const Error& error) {
      s.FailAt(emotions_node ? emotions_node : science, "science.emotions", error.what());
    }
  } else if (emotions_node.IsSequence()) {
    for (size_t i = 0; i < emotions_node.size(); ++i) {
      const std::string emotion = s.String(emotions_node[i], fmt::format("science.emotions[{}]", i));
      if (std::find(emotions.begin(), emotions.end(), emotion) != emotions.end()) {
        s.FailAt(emotions_node[i], fmt::format("science.emotions[{}]", i), "duplicate emotion");
      }
      emotions.push_back(emotion);
    }
  } else {
    s.FailAt(emotions_node, "science.emotions", "must be a set name or a list of emotions");
  }
  if (emotions.size() < 2) s.FailAt(science, "science.emotions", "needs at least two emotions");

  std::vector<std::string> methods = {"comprehension", "generation"};
  if (const YAML::Node node = science["methods"]) {
    if (!node.IsSequence() || node.size() == 0) s.FailAt(node, "science.methods", "must be a non-empty list");
    methods.clear();
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string method =
          s.Choice(node[i], fmt::format("science.methods[{}]", i), {"comprehension", "generation"});
      if (std::find(methods.begin(), methods.end(), method) == methods.end()) methods.push_back(method);
    }
  }
  auto int_of = [&](const char* key, int64_t fallback, int64_t low, int64_t high) {
    return science[key] ? s.Int(science[key], std::string("science.") + key, low, high) : fallback;
  };
  std::string stimuli = science["stimuli"] ? s.String(science["stimuli"], "science.stimuli") : "builtin";
  if (stimuli != "builtin") {
    // Relative to the campaign file, like model paths; workers get an absolute path.
    if (stimuli[0] != '/') {
      const size_t slash = file.rfind('/');
      stimuli = (slash == std::string::npos ? std::string(".") : file.substr(0, slash)) + "/" + stimuli;
    }
    if (!IsDirectory(stimuli))
      s.FailAt(science["stimuli"], "science.stimuli", "'" + stimuli + "' is not a folder");
    stimuli = std::filesystem::weakly_canonical(std::filesystem::absolute(stimuli)).string();
  }
  const ExtractParams extract_defaults;
  const CommonParams common_defaults;
  const int64_t per_emotion = int_of("per_emotion", extract_defaults.per_emotion, 1, 100000);
  const int64_t prompts_per_emotion = int_of("prompts_per_emotion", kDefaultPromptsPerEmotion, 1, 100000);
  const int64_t generations_per_prompt =
      int_of("generations_per_prompt", extract_defaults.generations_per_prompt, 1, 1000);
  const int64_t neutral = int_of("neutral", extract_defaults.neutral_count, 2, 100000);
  const int64_t shards = int_of("shards", extract_defaults.shards, 1, 10000);
  const int64_t seed = int_of("seed", static_cast<int64_t>(common_defaults.seed), 0, INT64_MAX);
  const int64_t batch_tokens = int_of("batch_tokens", common_defaults.batch_tokens, 1, 1 << 24);
  const std::string dtype =
      science["dtype"] ? s.Choice(science["dtype"], "science.dtype", {"float32", "bfloat16", "float16"})
                       : common_defaults.dtype;
  const std::string device =
      science["device"] ? s.String(science["device"], "science.device") : common_defaults.device;
  double skip_leading = 0.0;
  if (const YAML::Node readout = science["readout"]) {
    s.CheckKeys(readout, "science.readout", {"skip_leading_fraction"});
    if (readout["skip_leading_fraction"]) {
      skip_leading =
          s.Number(readout["skip_leading_fraction"], "science.readout.skip_leading_fraction", 0, 0.99);
    }
  }
  const GenerationParams generation =
      s.Generation(science["generation"], "science.generation", GenerationParams{});
  const MetricsParams metrics_defaults;
  double pc_share = metrics_defaults.neutral_pc_share;
  int64_t probe_folds = metrics_defaults.probe_folds;
  int64_t permutations = metrics_defaults.permutations;
  std::string peak_metric = metrics_defaults.peak_metric;
  if (const YAML::Node metrics = science["metrics"]) {
    s.CheckKeys(metrics, "science.metrics",
                {"neutral_pc_share", "probe_folds", "peak_metric", "permutations"});
    if (metrics["permutations"])
      permutations = s.Int(metrics["permutations"], "science.metrics.permutations", 1, 100000);
    if (metrics["neutral_pc_share"])
      pc_share = s.Number(metrics["neutral_pc_share"], "science.metrics.neutral_pc_share", 0, 1);
    if (metrics["probe_folds"])
      probe_folds = s.Int(metrics["probe_folds"], "science.metrics.probe_folds", 2, 100);
    if (metrics["peak_metric"]) {
      peak_metric =
          s.Choice(metrics["peak_metric"], "science.metrics.peak_metric",
                   std::set<std::string>(analysis::PeakMetrics().begin(), analysis::PeakMetrics().end()));
    }
  }
  // The metrics tasks store the vectors of every estimator the steering block compares.
  const std::vector<std::string> estimators = SteeringEstimators(s, science["steering"]);
  CommonParams common;
  common.stimuli_dir = stimuli;
  common.dtype = dtype;
  common.device = device;
  common.batch_tokens = batch_tokens;
  common.seed = static_cast<uint64_t>(seed);

  for (const ModelSpec& model : campaign->models) {
    if (!model.layers) {
      s.FailAt(science, "science",
               "model '" + model.name +
                   "' needs its layer count (give models[].path as a model folder, or layers)");
    }
    const int64_t layers = *model.layers;
    std::map<std::string, std::vector<std::string>> extract_names;  // by method, and "neutral"
    auto add_extract = [&](const std::string& method) {
      for (int64_t shard = 0; shard < shards; ++shard) {
        TaskEntry entry;
        entry.kind = "extract";
        entry.model = model.name;
        entry.name = EntryName(model.name, fmt::format("extract.{}.s{}", method, shard));
        ExtractParams params;
        params.common = common;
        params.method = method;
        params.shard = shard;
        params.shards = shards;
        params.neutral_count = neutral;
        params.emotions = emotions;
        params.skip_leading_fraction = skip_leading;
        params.per_emotion = method == "generation" ? prompts_per_emotion : per_emotion;
        params.generations_per_prompt = generations_per_prompt;
        params.generation = generation;
        entry.params = ToJson(params);
        entry.line = science.Mark().line + 1;
        extract_names[method].push_back(*entry.name);
        campaign->entries.push_back(std::move(entry));
      }
    };
    add_extract("neutral");
    for (const std::string& method : methods) add_extract(method);

    std::map<std::string, std::vector<std::string>> metrics_names;
    for (const std::string& method : methods) {
      for (int64_t layer = 0; layer <= layers; ++layer) {
        TaskEntry entry;
        entry.kind = "metrics";
        entry.model = model.name;
        entry.name = EntryName(model.name, fmt::format("metrics.{}.l{}", method, layer));
        MetricsParams params;
        params.seed = static_cast<uint64_t>(seed);
        params.method = method;
        params.layer = layer;
        params.emotions = emotions;
        params.neutral_pc_share = pc_share;
        params.probe_folds = probe_folds;
        params.permutations = permutations;
        params.peak_metric = peak_metric;
        params.estimators = estimators;
        entry.params = ToJson(params);
        entry.params["inputs"] = json::array(
            {{{"table", "samples"},
              {"columns", {"sample_index", "stimulus_id", "emotion", "method", "readout_tokens"}}},
             {{"table", "sample_activations"}, {"where", {{"layer", layer}}}}});
        entry.after = extract_names[method];
        entry.after.insert(entry.after.end(), extract_names["neutral"].begin(),
                           extract_names["neutral"].end());
        entry.line = science.Mark().line + 1;
        metrics_names[method].push_back(*entry.name);
        campaign->entries.push_back(std::move(entry));
      }
    }

    const YAML::Node steering = science["steering"];
    if (!steering) continue;
    ExpandSteering(s, steering, emotions, methods, peak_metric, common, metrics_names, estimators, model,
                   layers, campaign);
  }
}

}  // namespace emoscope
