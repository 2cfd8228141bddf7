#include "jobs/campaign.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <regex>
#include <set>

#include "common/error.h"
#include "common/file_util.h"
#include "common/sha256.h"
#include "jobs/science_spec.h"
#include "jobs/test_kinds.h"
#include "jobs/yaml_bounds.h"
#include "models/checkpoint/checksum_cache.h"
#include "models/checkpoint/model_config.h"
#include "models/checkpoint/safetensors.h"

namespace emoscope {
namespace {

// Names that end up in paths, SQL values and log lines: keep them plain.
const std::regex kNamePattern("[A-Za-z0-9._-]{1,128}");
constexpr int kMaxAttemptsLimit = 100;

class Parser {
 public:
  explicit Parser(const std::string& file) : file_(file) {}

  [[noreturn]] void FailAt(const YAML::Node& node, const std::string& field, const std::string& what) const {
    const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
    Fail("{}:{}: {}: {}", file_, line, field, what);
  }

  std::string String(const YAML::Node& node, const std::string& field) const {
    if (!node.IsScalar()) FailAt(node, field, "must be a string");
    return node.Scalar();
  }

  std::string Name(const YAML::Node& node, const std::string& field) const {
    std::string value = String(node, field);
    if (!std::regex_match(value, kNamePattern)) {
      FailAt(node, field,
             "'" + value + "' is not a valid name (letters, digits, '.', '_', '-'; at most 128)");
    }
    return value;
  }

  int64_t Int(const YAML::Node& node, const std::string& field, int64_t min, int64_t max) const {
    if (!node.IsScalar()) FailAt(node, field, "must be an integer");
    int64_t value = 0;
    if (!YAML::convert<int64_t>::decode(node, value))
      FailAt(node, field, "'" + node.Scalar() + "' is not an integer");
    if (value < min || value > max) {
      FailAt(node, field, fmt::format("{} is out of range [{}, {}]", value, min, max));
    }
    return value;
  }

  void CheckKeys(const YAML::Node& map, const std::string& field,
                 const std::set<std::string>& allowed) const {
    if (!map.IsMap()) FailAt(map, field, "must be a mapping");
    for (const auto& item : map) {
      const std::string key = item.first.Scalar();
      if (allowed.count(key) == 0) FailAt(item.first, field + "." + key, "unknown field");
    }
  }

  nlohmann::json ToJson(const YAML::Node& node, const std::string& field) const {
    switch (node.Type()) {
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar: {
        // Keep numbers and booleans typed, so a task key does not depend on quoting style.
        const std::string& text = node.Scalar();
        if (node.Tag() == "!") return text;  // explicitly quoted
        int64_t integer = 0;
        double real = 0;
        bool boolean = false;
        if (YAML::convert<int64_t>::decode(node, integer)) return integer;
        if (YAML::convert<double>::decode(node, real)) return real;
        if (YAML::convert<bool>::decode(node, boolean)) return boolean;
        return text;
      }
      case YAML::NodeType::Sequence: {
        nlohmann::json out = nlohmann::json::array();
        for (size_t index = 0; index < node.size(); ++index) {
          out.push_back(ToJson(node[index], fmt::format("{}[{}]", field, index)));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& item : node)
          out[item.first.Scalar()] = ToJson(item.second, field + "." + item.first.Scalar());
        return out;
      }
      default:
        FailAt(node, field, "undefined value");
    }
  }

  TaskEntry Entry(const YAML::Node& node, const std::string& field, bool test_entry) const {
    const std::set<std::string> test_fields = {"kind", "count", "ms", "name", "after", "max_attempts"};
    const std::set<std::string> task_fields = {"kind", "count", "params",      "model",
                                               "name", "after", "max_attempts"};
    CheckKeys(node, field, test_entry ? test_fields : task_fields);
    TaskEntry entry;
    entry.line = node.Mark().line + 1;
    if (!node["kind"]) FailAt(node, field + ".kind", "is required");
    entry.kind = Name(node["kind"], field + ".kind");
    if (test_entry && !IsTestKind(entry.kind)) {
      FailAt(node["kind"], field + ".kind",
             "'" + entry.kind + "' is not a test kind (noop, sleep, fail, crash)");
    }
    if (node["count"]) entry.count = Int(node["count"], field + ".count", 1, kMaxCampaignTasks);
    if (node["max_attempts"]) {
      entry.max_attempts =
          static_cast<int>(Int(node["max_attempts"], field + ".max_attempts", 1, kMaxAttemptsLimit));
    }
    if (node["name"]) entry.name = Name(node["name"], field + ".name");
    if (node["after"]) {
      const YAML::Node after = node["after"];
      if (after.IsScalar()) {
        entry.after.push_back(Name(after, field + ".after"));
      } else if (after.IsSequence()) {
        for (size_t index = 0; index < after.size(); ++index) {
          entry.after.push_back(Name(after[index], fmt::format("{}.after[{}]", field, index)));
        }
      } else {
        FailAt(after, field + ".after", "must be an entry name or a list of them");
      }
    }
    if (test_entry) {
      if (node["ms"]) {
        if (entry.kind != "sleep") FailAt(node["ms"], field + ".ms", "only a sleep task takes ms");
        entry.params["ms"] = Int(node["ms"], field + ".ms", 0, 3'600'000);
      } else if (entry.kind == "sleep") {
        FailAt(node, field + ".ms", "is required for a sleep task");
      }
    } else {
      if (node["params"]) {
        if (!node["params"].IsMap()) FailAt(node["params"], field + ".params", "must be a mapping");
        entry.params = ToJson(node["params"], field + ".params");
        if (entry.params.contains("index"))
          FailAt(node["params"], field + ".params.index", "is reserved (the copy number)");
      }
      if (node["model"]) entry.model = Name(node["model"], field + ".model");
    }
    return entry;
  }

  ModelSpec Model(const YAML::Node& node, const std::string& field) const {
    CheckKeys(node, field, {"name", "path", "checksum", "architecture", "layers", "parameters"});
    ModelSpec model;
    if (!node["name"]) FailAt(node, field + ".name", "is required");
    model.name = Name(node["name"], field + ".name");
    if (!node["path"]) FailAt(node, field + ".path", "is required");
    model.path = String(node["path"], field + ".path");
    // Relative paths are relative to the campaign file; workers get absolute ones.
    if (!model.path.empty() && model.path[0] != '/') {
      const size_t slash = file_.rfind('/');
      const std::string base = slash == std::string::npos ? "." : file_.substr(0, slash);
      std::error_code ignored;
      const auto absolute =
          std::filesystem::weakly_canonical(std::filesystem::absolute(JoinPath(base, model.path)), ignored);
      if (!absolute.empty()) model.path = absolute.string();
    }
    if (node["checksum"]) {
      model.checksum = String(node["checksum"], field + ".checksum");
      if (!std::regex_match(model.checksum, std::regex("[0-9a-f]{64}"))) {
        FailAt(node["checksum"], field + ".checksum", "must be 64 lower-case hex digits (sha256)");
      }
    } else if (IsDirectory(model.path) && FileExists(JoinPath(model.path, "config.json"))) {
      // A Hugging Face model folder: the checksum of its weights (models/checkpoint/safetensors.h).
      try {
        model.checksum = CachedWeightsChecksum(model.path);  // unchanged files are not read again
      } catch (const Error& error) {
        FailAt(node["path"], field + ".path", error.what());
      }
    } else if (FileExists(model.path) && !IsDirectory(model.path)) {
      model.checksum = Sha256File(model.path);
    } else {
      FailAt(node, field + ".checksum",
             "is required unless path names a model folder or a weights file to hash");
    }
    if (IsDirectory(model.path) && FileExists(JoinPath(model.path, "config.json"))) {
      try {
        const ModelConfig config = LoadModelConfig(model.path);
        model.architecture = ArchitectureName(config.arch);
        model.layers = config.num_layers;
        model.parameters = config.ParameterCount();
      } catch (const Error& error) {
        FailAt(node["path"], field + ".path", error.what());
      }
    }
    if (node["architecture"]) model.architecture = String(node["architecture"], field + ".architecture");
    if (node["layers"]) model.layers = Int(node["layers"], field + ".layers", 1, 100000);
    if (node["parameters"]) model.parameters = Int(node["parameters"], field + ".parameters", 1, INT64_MAX);
    return model;
  }

 private:
  std::string file_;
};

}  // namespace

int64_t Campaign::TaskCount() const {
  int64_t total = 0;
  for (const TaskEntry& entry : entries) total += entry.count;
  return total;
}

Campaign ParseCampaign(const std::string& text, const std::string& file) {
  // Size, alias expansion and duplicate keys are checked before anything reads the document.
  const YAML::Node root = LoadBoundedYaml(text, file);
  Parser parser(file);
  if (!root.IsMap()) Fail("{}:1: a campaign file must be a mapping with a 'campaign' field", file);
  parser.CheckKeys(root, "campaign file",
                   {"campaign", "priority", "max_attempts", "models", "test_tasks", "tasks", "science"});
  Campaign campaign;
  campaign.file = file;
  campaign.spec_text = text;
  if (!root["campaign"]) parser.FailAt(root, "campaign", "is required");
  campaign.name = parser.Name(root["campaign"], "campaign");
  if (root["priority"]) campaign.priority = parser.Int(root["priority"], "priority", -1000000, 1000000);
  if (root["max_attempts"]) {
    campaign.max_attempts =
        static_cast<int>(parser.Int(root["max_attempts"], "max_attempts", 1, kMaxAttemptsLimit));
  }
  std::set<std::string> model_names;
  if (root["models"]) {
    if (!root["models"].IsSequence()) parser.FailAt(root["models"], "models", "must be a list");
    for (size_t index = 0; index < root["models"].size(); ++index) {
      const std::string field = fmt::format("models[{}]", index);
      ModelSpec model = parser.Model(root["models"][index], field);
      if (!model_names.insert(model.name).second)
        parser.FailAt(root["models"][index], field + ".name", "duplicate model name");
      campaign.models.push_back(std::move(model));
    }
  }
  std::set<std::string> entry_names;
  for (const char* list : {"test_tasks", "tasks"}) {
    if (!root[list]) continue;
    const YAML::Node entries = root[list];
    if (!entries.IsSequence()) parser.FailAt(entries, list, "must be a list");
    for (size_t index = 0; index < entries.size(); ++index) {
      const std::string field = fmt::format("{}[{}]", list, index);
      TaskEntry entry = parser.Entry(entries[index], field, std::string(list) == "test_tasks");
      if (entry.model && model_names.count(*entry.model) == 0) {
        parser.FailAt(entries[index]["model"], field + ".model",
                      "'" + *entry.model + "' is not listed under models");
      }
      for (size_t after_index = 0; after_index < entry.after.size(); ++after_index) {
        // Only earlier entries: keeps the graph acyclic by construction.
        if (entry_names.count(entry.after[after_index]) == 0) {
          parser.FailAt(entries[index]["after"], field + ".after",
                        "'" + entry.after[after_index] + "' is not the name of an earlier entry");
        }
      }
      if (entry.name && !entry_names.insert(*entry.name).second) {
        parser.FailAt(entries[index]["name"], field + ".name", "duplicate entry name");
      }
      campaign.entries.push_back(std::move(entry));
    }
  }
  if (root["science"]) ExpandScience(root["science"], file, &campaign);
  if (campaign.entries.empty()) {
    parser.FailAt(root, "test_tasks", "a campaign needs at least one task (science, test_tasks or tasks)");
  }
  if (campaign.TaskCount() > kMaxCampaignTasks) {
    parser.FailAt(
        root, "campaign",
        fmt::format("expands to {} tasks, more than the limit {}", campaign.TaskCount(), kMaxCampaignTasks));
  }
  return campaign;
}

Campaign LoadCampaign(const std::string& path) { return ParseCampaign(ReadFile(path), path); }

}  // namespace emoscope
