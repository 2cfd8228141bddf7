#include "jobs/task_key.h"

#include "common/sha256.h"
#include "jobs/test_kinds.h"

namespace emoscope {

std::string TaskKey(const std::string& kind, const std::string& model_checksum, const nlohmann::json& params,
                    const std::string& code_version) {
  // nlohmann::json objects are std::map-backed: dump() sorts keys, which makes it canonical.
  const nlohmann::json document = {
      {"code_version", code_version}, {"kind", kind}, {"model", model_checksum}, {"params", params}};
  return Sha256Hex(document.dump());
}

void ExpandCampaign(const Campaign& campaign, const std::string& code_version,
                    const std::function<void(const TaskSpec&)>& emit) {
  for (const TaskEntry& entry : campaign.entries) {
    TaskSpec spec;
    spec.entry = &entry;
    for (const ModelSpec& model : campaign.models) {
      if (entry.model && model.name == *entry.model) spec.model = &model;
    }
    spec.max_attempts = entry.max_attempts > 0      ? entry.max_attempts
                        : campaign.max_attempts > 0 ? campaign.max_attempts
                                                    : DefaultMaxAttempts(entry.kind);
    const std::string checksum = spec.model != nullptr ? spec.model->checksum : "";
    // The canonical document is {"code_version":..,"kind":..,"model":..,"params":P}: keys in
    // sorted order, so its text is a per-entry prefix, the params' canonical dump, and "}".
    // Building it that way hashes a million tasks without a million JSON documents.
    const std::string prefix = R"({"code_version":)" + nlohmann::json(code_version).dump() + R"(,"kind":)" +
                               nlohmann::json(entry.kind).dump() + R"(,"model":)" +
                               nlohmann::json(checksum).dump() + R"(,"params":)";
    nlohmann::json params = entry.params;
    std::string document;
    for (int64_t index = 0; index < entry.count; ++index) {
      params["index"] = index;
      spec.index = index;
      spec.params_json = params.dump();
      document.assign(prefix).append(spec.params_json).push_back('}');
      spec.key = Sha256Hex(document);
      emit(spec);
    }
  }
}

}  // namespace emoscope
