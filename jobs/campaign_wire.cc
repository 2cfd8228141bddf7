#include "jobs/campaign_wire.h"

#include <regex>
#include <set>

#include "common/error.h"

namespace emoscope {
namespace {

const std::regex kNamePattern("[A-Za-z0-9._-]{1,128}");
const std::regex kChecksumPattern("[0-9a-f]{64}");
constexpr int kMaxAttemptsLimit = 100;
constexpr size_t kMaxPathBytes = 4096;

class Reader {
 public:
  Reader(const nlohmann::json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {
    if (!object_.is_object())
      Fail("resolved campaign: {} must be an object", prefix_.empty() ? "it" : prefix_);
  }

  [[noreturn]] void Bad(const std::string& field, const std::string& what) const {
    Fail("resolved campaign: {}{}: {}", prefix_, field, what);
  }
  const nlohmann::json* Find(const char* field) const {
    auto it = object_.find(field);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  const nlohmann::json& Need(const char* field) const {
    const nlohmann::json* value = Find(field);
    if (value == nullptr) Bad(field, "is required");
    return *value;
  }
  std::string String(const char* field, size_t max_bytes) const {
    const nlohmann::json& value = Need(field);
    if (!value.is_string() || value.get_ref<const std::string&>().size() > max_bytes)
      Bad(field, "must be a string of at most " + std::to_string(max_bytes) + " bytes");
    return value.get<std::string>();
  }
  std::string Name(const char* field) const {
    std::string value = String(field, 128);
    if (!std::regex_match(value, kNamePattern)) Bad(field, "'" + value + "' is not a valid name");
    return value;
  }
  int64_t Int(const char* field, int64_t min, int64_t max) const {
    const nlohmann::json& value = Need(field);
    if (!value.is_number_integer() || (value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX))
      Bad(field, "must be an integer");
    const int64_t number = value.get<int64_t>();
    if (number < min || number > max)
      Bad(field, std::to_string(number) + " is out of range [" + std::to_string(min) + ", " +
                     std::to_string(max) + "]");
    return number;
  }
  const nlohmann::json& Array(const char* field) const {
    const nlohmann::json& value = Need(field);
    if (!value.is_array()) Bad(field, "must be a list");
    return value;
  }

 private:
  const nlohmann::json& object_;
  std::string prefix_;
};

}  // namespace

nlohmann::json CampaignToJson(const Campaign& campaign) {
  nlohmann::json models = nlohmann::json::array();
  for (const ModelSpec& model : campaign.models) {
    nlohmann::json entry = {{"name", model.name}, {"path", model.path}, {"checksum", model.checksum}};
    if (model.architecture) entry["architecture"] = *model.architecture;
    if (model.layers) entry["layers"] = *model.layers;
    if (model.parameters) entry["parameters"] = *model.parameters;
    models.push_back(std::move(entry));
  }
  nlohmann::json entries = nlohmann::json::array();
  for (const TaskEntry& task : campaign.entries) {
    nlohmann::json entry = {{"kind", task.kind},
                            {"count", task.count},
                            {"params", task.params},
                            {"after", task.after},
                            {"max_attempts", task.max_attempts},
                            {"line", task.line}};
    if (task.model) entry["model"] = *task.model;
    if (task.name) entry["name"] = *task.name;
    entries.push_back(std::move(entry));
  }
  return {{"name", campaign.name},
          {"file", campaign.file},
          {"spec_text", campaign.spec_text},
          {"priority", campaign.priority},
          {"max_attempts", campaign.max_attempts},
          {"models", std::move(models)},
          {"entries", std::move(entries)}};
}

Campaign CampaignFromJson(const nlohmann::json& json) {
  const Reader root(json, "");
  Campaign campaign;
  campaign.name = root.Name("name");
  campaign.file = root.String("file", kMaxPathBytes);
  campaign.spec_text = root.String("spec_text", 64u << 20);
  campaign.priority = root.Int("priority", -1000000, 1000000);
  campaign.max_attempts = static_cast<int>(root.Int("max_attempts", 0, kMaxAttemptsLimit));
  std::set<std::string> model_names;
  const nlohmann::json& models = root.Array("models");
  for (size_t index = 0; index < models.size(); ++index) {
    const Reader reader(models[index], "models[" + std::to_string(index) + "].");
    ModelSpec model;
    model.name = reader.Name("name");
    if (!model_names.insert(model.name).second) reader.Bad("name", "duplicate model name");
    model.path = reader.String("path", kMaxPathBytes);
    if (model.path.empty() || model.path[0] != '/')
      reader.Bad("path", "must be absolute (resolved by the client)");
    model.checksum = reader.String("checksum", 64);
    if (!std::regex_match(model.checksum, kChecksumPattern))
      reader.Bad("checksum", "must be 64 lower-case hex digits");
    if (reader.Find("architecture")) model.architecture = reader.String("architecture", 128);
    if (reader.Find("layers")) model.layers = reader.Int("layers", 1, 100000);
    if (reader.Find("parameters")) model.parameters = reader.Int("parameters", 1, INT64_MAX);
    campaign.models.push_back(std::move(model));
  }
  std::set<std::string> entry_names;
  int64_t total = 0;
  const nlohmann::json& entries = root.Array("entries");
  if (entries.empty()) root.Bad("entries", "a campaign needs at least one task");
  for (size_t index = 0; index < entries.size(); ++index) {
    const Reader reader(entries[index], "entries[" + std::to_string(index) + "].");
    TaskEntry entry;
    entry.kind = reader.Name("kind");
    entry.count = reader.Int("count", 1, kMaxCampaignTasks);
    total += entry.count;
    if (total > kMaxCampaignTasks)
      reader.Bad("count",
                 "the campaign expands to more than " + std::to_string(kMaxCampaignTasks) + " tasks");
    const nlohmann::json& params = reader.Need("params");
    if (!params.is_object()) reader.Bad("params", "must be an object");
    entry.params = params;
    entry.max_attempts = static_cast<int>(reader.Int("max_attempts", 0, kMaxAttemptsLimit));
    entry.line = static_cast<int>(reader.Int("line", 0, INT32_MAX));
    if (reader.Find("model")) {
      entry.model = reader.Name("model");
      if (model_names.count(*entry.model) == 0)
        reader.Bad("model", "'" + *entry.model + "' is not listed under models");
    }
    const nlohmann::json& after = reader.Array("after");
    for (const nlohmann::json& name : after) {
      if (!name.is_string() || entry_names.count(name.get<std::string>()) == 0)
        reader.Bad("after", "must list names of earlier entries");
      entry.after.push_back(name.get<std::string>());
    }
    if (reader.Find("name")) {
      entry.name = reader.Name("name");
      if (!entry_names.insert(*entry.name).second) reader.Bad("name", "duplicate entry name");
    }
    campaign.entries.push_back(std::move(entry));
  }
  return campaign;
}

}  // namespace emoscope
