#include "jobs/science_spec.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "analysis/peak_rule.h"
#include "common/error.h"
#include "common/file_util.h"
#include "stimuli/stimuli.h"

namespace emoscope {
namespace {

using nlohmann::json;

// Field access on the section, failing with "file:line: science.field: message".
class Section {
 public:
  explicit Section(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void FailAt(const YAML::Node& node, const std::string& field, const std::string& message) const {
    const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 1;
    Fail("{}:{}: {}: {}", file_, line, field, message);
  }
  void CheckKeys(const YAML::Node& node, const std::string& field, const std::set<std::string>& allowed) const {
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
    if (!(value >= low && value <= high)) FailAt(node, field, fmt::format("must be between {} and {}", low, high));
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
  std::string Choice(const YAML::Node& node, const std::string& field, const std::set<std::string>& choices) const {
    const std::string value = String(node, field);
    if (!choices.count(value)) {
      std::string list;
      for (const std::string& choice : choices) list += (list.empty() ? "" : ", ") + choice;
      FailAt(node, field, fmt::format("'{}' is not one of {}", value, list));
    }
    return value;
  }
  // {max_new_tokens, temperature, top_p} with defaults.
  json Generation(const YAML::Node& node, const std::string& field, int64_t default_tokens) const {
    json out = {{"max_new_tokens", default_tokens}, {"temperature", 0.7}, {"top_p", 0.9}};
    if (!node) return out;
    CheckKeys(node, field, {"max_new_tokens", "temperature", "top_p"});
    if (node["max_new_tokens"]) out["max_new_tokens"] = Int(node["max_new_tokens"], field + ".max_new_tokens", 1, 4096);
    if (node["temperature"]) out["temperature"] = Number(node["temperature"], field + ".temperature", 0, 100);
    if (node["top_p"]) {
      const double top_p = Number(node["top_p"], field + ".top_p", 0, 1);
      if (top_p == 0) FailAt(node["top_p"], field + ".top_p", "must be above 0");
      out["top_p"] = top_p;
    }
    return out;
  }

 private:
  std::string file_;
};

std::string EntryName(const std::string& model, const std::string& what) { return model + "." + what; }

}  // namespace

void ExpandScience(const YAML::Node& science, const std::string& file, Campaign* campaign) {
  const Section s(file);
  s.CheckKeys(science, "science",
              {"emotions", "stimuli", "methods", "per_emotion", "prompts_per_emotion", "generations_per_prompt",
               "neutral", "shards", "readout", "generation", "metrics", "steering", "seed", "dtype", "device",
               "batch_tokens"});
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
      const std::string method = s.Choice(node[i], fmt::format("science.methods[{}]", i), {"comprehension", "generation"});
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
    if (!IsDirectory(stimuli)) s.FailAt(science["stimuli"], "science.stimuli", "'" + stimuli + "' is not a folder");
    stimuli = std::filesystem::weakly_canonical(std::filesystem::absolute(stimuli)).string();
  }
  const int64_t per_emotion = int_of("per_emotion", 40, 1, 100000);
  const int64_t prompts_per_emotion = int_of("prompts_per_emotion", 10, 1, 100000);
  const int64_t generations_per_prompt = int_of("generations_per_prompt", 1, 1, 1000);
  const int64_t neutral = int_of("neutral", 100, 2, 100000);
  const int64_t shards = int_of("shards", 1, 1, 10000);
  const int64_t seed = int_of("seed", 0, 0, INT64_MAX);
  const int64_t batch_tokens = int_of("batch_tokens", 2048, 1, 1 << 24);
  const std::string dtype = science["dtype"] ? s.Choice(science["dtype"], "science.dtype", {"float32", "bfloat16", "float16"}) : "float32";
  const std::string device = science["device"] ? s.String(science["device"], "science.device") : "cpu";
  double skip_leading = 0.0;
  if (const YAML::Node readout = science["readout"]) {
    s.CheckKeys(readout, "science.readout", {"skip_leading_fraction"});
    if (readout["skip_leading_fraction"]) {
      skip_leading = s.Number(readout["skip_leading_fraction"], "science.readout.skip_leading_fraction", 0, 0.99);
    }
  }
  const json generation = s.Generation(science["generation"], "science.generation", 64);
  double pc_share = 0.5;
  int64_t probe_folds = analysis::defaults::kProbeFolds;
  int64_t permutations = analysis::defaults::kPermutations;
  std::string peak_metric = analysis::defaults::kPeakMetric;
  if (const YAML::Node metrics = science["metrics"]) {
    s.CheckKeys(metrics, "science.metrics", {"neutral_pc_share", "probe_folds", "peak_metric", "permutations"});
    if (metrics["permutations"]) permutations = s.Int(metrics["permutations"], "science.metrics.permutations", 1, 100000);
    if (metrics["neutral_pc_share"]) pc_share = s.Number(metrics["neutral_pc_share"], "science.metrics.neutral_pc_share", 0, 1);
    if (metrics["probe_folds"]) probe_folds = s.Int(metrics["probe_folds"], "science.metrics.probe_folds", 2, 100);
    if (metrics["peak_metric"]) {
      peak_metric = s.Choice(metrics["peak_metric"], "science.metrics.peak_metric",
                             std::set<std::string>(analysis::PeakMetrics().begin(), analysis::PeakMetrics().end()));
    }
  }
  const json common = {{"stimuli_dir", stimuli}, {"dtype", dtype}, {"device", device}, {"batch_tokens", batch_tokens},
                       {"seed", seed}};

  for (const ModelSpec& model : campaign->models) {
    if (!model.layers) {
      s.FailAt(science, "science", "model '" + model.name + "' needs its layer count (give models[].path as a model folder, or layers)");
    }
    const int64_t layers = *model.layers;
    std::map<std::string, std::vector<std::string>> extract_names;  // by method, and "neutral"
    auto add_extract = [&](const std::string& method) {
      for (int64_t shard = 0; shard < shards; ++shard) {
        TaskEntry entry;
        entry.kind = "extract";
        entry.model = model.name;
        entry.name = EntryName(model.name, fmt::format("extract.{}.s{}", method, shard));
        entry.params = common;
        entry.params["method"] = method;
        entry.params["shard"] = shard;
        entry.params["shards"] = shards;
        if (method == "neutral") {
          entry.params["neutral_count"] = neutral;
        } else {
          entry.params["emotions"] = emotions;
          entry.params["skip_leading_fraction"] = skip_leading;
          entry.params["per_emotion"] = method == "generation" ? prompts_per_emotion : per_emotion;
          if (method == "generation") {
            entry.params["generations_per_prompt"] = generations_per_prompt;
            entry.params["generation"] = generation;
          }
        }
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
        entry.params = {{"method", method}, {"layer", layer}, {"emotions", emotions}, {"neutral_pc_share", pc_share},
                        {"probe_folds", probe_folds}, {"permutations", permutations}, {"peak_metric", peak_metric},
                        {"seed", seed},
                        {"inputs", json::array({
                            {{"table", "samples"},
                             {"columns", {"sample_index", "stimulus_id", "emotion", "method", "readout_tokens"}}},
                            {{"table", "sample_activations"}, {"where", {{"layer", layer}}}}})}};
        entry.after = extract_names[method];
        entry.after.insert(entry.after.end(), extract_names["neutral"].begin(), extract_names["neutral"].end());
        entry.line = science.Mark().line + 1;
        metrics_names[method].push_back(*entry.name);
        campaign->entries.push_back(std::move(entry));
      }
    }

    const YAML::Node steering = science["steering"];
    if (!steering) continue;
    s.CheckKeys(steering, "science.steering",
                {"layers", "emotions", "coefficients", "mode", "vector_method", "prompts", "seeds", "generation",
                 "judge", "thresholds", "success_share"});
    json layer_specs = json::array({"peak"});
    if (const YAML::Node node = steering["layers"]) {
      if (!node.IsSequence() || node.size() == 0) s.FailAt(node, "science.steering.layers", "must be a non-empty list");
      layer_specs = json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        const std::string field = fmt::format("science.steering.layers[{}]", i);
        const std::string text = s.String(node[i], field);
        if (text == "peak") {
          layer_specs.push_back("peak");
        } else if (text.find('.') != std::string::npos) {
          const double depth = s.Number(node[i], field, 0, 1);
          if (depth <= 0) s.FailAt(node[i], field, "a relative depth must be above 0");
          layer_specs.push_back(depth);
        } else {
          layer_specs.push_back(s.Int(node[i], field, 0, layers));
        }
      }
    }
    std::vector<std::string> targets = emotions;
    if (const YAML::Node node = steering["emotions"]) {
      if (!(node.IsScalar() && node.as<std::string>() == "all")) {
        if (!node.IsSequence() || node.size() == 0) s.FailAt(node, "science.steering.emotions", "must be 'all' or a list");
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
    json coefficients = json::array({2.0, 4.0, 8.0});
    if (const YAML::Node node = steering["coefficients"]) {
      if (!node.IsSequence() || node.size() == 0) s.FailAt(node, "science.steering.coefficients", "must be a non-empty list");
      coefficients = json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        coefficients.push_back(s.Number(node[i], fmt::format("science.steering.coefficients[{}]", i), -1e6, 1e6));
      }
    }
    const std::string mode = steering["mode"] ? s.Choice(steering["mode"], "science.steering.mode", {"relative", "absolute"}) : "relative";
    const std::string vector_method = steering["vector_method"]
        ? s.Choice(steering["vector_method"], "science.steering.vector_method", {methods.begin(), methods.end()})
        : methods.back();
    const int64_t prompts = steering["prompts"] ? s.Int(steering["prompts"], "science.steering.prompts", 1, 100000) : 8;
    json seeds = json::array({0, 1});
    if (const YAML::Node node = steering["seeds"]) {
      if (!node.IsSequence() || node.size() == 0) s.FailAt(node, "science.steering.seeds", "must be a non-empty list");
      seeds = json::array();
      for (size_t i = 0; i < node.size(); ++i) seeds.push_back(s.Int(node[i], fmt::format("science.steering.seeds[{}]", i), 0, INT64_MAX));
    }
    json judge = {{"kind", "probe"}, {"method", vector_method}};
    if (const YAML::Node node = steering["judge"]) {
      if (node.IsScalar()) {
        judge["kind"] = s.Choice(node, "science.steering.judge", {"probe", "lexicon"});
      } else {
        s.CheckKeys(node, "science.steering.judge", {"kind", "method", "path"});
        if (node["kind"]) {
          judge["kind"] = s.Choice(node["kind"], "science.steering.judge.kind", {"probe", "lexicon", "classifier"});
        }
        if (node["method"]) {
          judge["method"] = s.Choice(node["method"], "science.steering.judge.method", {methods.begin(), methods.end()});
        }
        if (judge["kind"] == "classifier") {
          if (!node["path"]) s.FailAt(node, "science.steering.judge.path", "is required for the classifier judge");
          std::string path = s.String(node["path"], "science.steering.judge.path");
          if (!path.empty() && path[0] != '/') {  // relative to the campaign file, like models
            const size_t slash = file.rfind('/');
            path = (slash == std::string::npos ? std::string(".") : file.substr(0, slash)) + "/" + path;
          }
          if (!IsDirectory(path) || !FileExists(path + "/config.json")) {
            s.FailAt(node["path"], "science.steering.judge.path", "'" + path + "' is not a classifier model folder");
          }
          judge["path"] = std::filesystem::weakly_canonical(std::filesystem::absolute(path)).string();
        }
      }
    }
    json thresholds = {{"explosive_ppl_ratio", 4.0}, {"collapse_compression", 2.4}, {"collapse_seq_rep4", 0.5},
                       {"collapse_distinct2", 0.3}};
    if (const YAML::Node node = steering["thresholds"]) {
      s.CheckKeys(node, "science.steering.thresholds",
                  {"explosive_ppl_ratio", "collapse_compression", "collapse_seq_rep4", "collapse_distinct2"});
      for (auto& [key, value] : thresholds.items()) {
        if (node[key]) value = s.Number(node[key], "science.steering.thresholds." + key, 0, 1e9);
      }
    }
    const double success_share = steering["success_share"] ? s.Number(steering["success_share"], "science.steering.success_share", 0, 1) : 0.5;
    const json steer_generation = s.Generation(steering["generation"], "science.steering.generation", 48);

    std::vector<std::string> after = metrics_names[vector_method];
    const std::string judge_method = judge["method"].get<std::string>();
    if (judge["kind"] == "probe" && judge_method != vector_method) {
      after.insert(after.end(), metrics_names[judge_method].begin(), metrics_names[judge_method].end());
    }
    for (const json& layer_spec : layer_specs) {
      for (const std::string& emotion : targets) {
        TaskEntry entry;
        entry.kind = "steer";
        entry.model = model.name;
        entry.name = EntryName(model.name, fmt::format("steer.{}.{}", layer_spec.is_string() ? "peak" : layer_spec.dump(), emotion));
        entry.params = common;
        json inputs = json::array({{{"table", "layer_metrics"}, {"where", {{"emotion", ""}}}},
                                   {{"table", "emotion_vectors"}, {"where", {{"emotion", emotion}, {"method", vector_method}}}}});
        if (judge["kind"] == "probe") inputs.push_back({{"table", "activation_means"}, {"where", {{"method", judge_method}}}});
        entry.params.update({{"layer", layer_spec}, {"emotion", emotion}, {"emotions", emotions},
                             {"coefficients", coefficients}, {"mode", mode}, {"vector_method", vector_method},
                             {"peak_metric", peak_metric}, {"prompts", prompts}, {"seeds", seeds},
                             {"generation", steer_generation}, {"judge", judge}, {"thresholds", thresholds},
                             {"success_share", success_share}, {"inputs", inputs}});
        entry.after = after;
        entry.line = steering.Mark().line + 1;
        campaign->entries.push_back(std::move(entry));
      }
    }
  }
}

}  // namespace emoscope
