// Content-derived task keys and the expansion of a campaign into tasks.
//
// A task's key is the sha256 of the canonical JSON (sorted keys, no spaces) of
//   {"code_version": EMOSCOPE_CODE_VERSION, "kind": ..., "model": <weights sha256 or "">,
//    "params": {... , "index": <copy number>}}
// so the same work asked twice, by the same or another campaign, is the same task, and is done
// once. A new build (another code version) makes new keys: its results are new results.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "jobs/campaign.h"

namespace emoscope {

std::string TaskKey(const std::string& kind, const std::string& model_checksum, const nlohmann::json& params,
                    const std::string& code_version);

struct TaskSpec {
  std::string key;
  const TaskEntry* entry = nullptr;
  const ModelSpec* model = nullptr;  // nullptr for tasks without a model
  std::string params_json;           // canonical JSON, "index" included
  int max_attempts = 0;              // resolved: entry, campaign, then the kind's default
  int64_t index = 0;                 // copy number within the entry
};

// Calls `emit` once per task, entry by entry, without holding them all in memory.
void ExpandCampaign(const Campaign& campaign, const std::string& code_version,
                    const std::function<void(const TaskSpec&)>& emit);

}  // namespace emoscope
