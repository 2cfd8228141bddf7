// A parsed, resolved campaign as JSON: what `emoscope submit` sends to a running coordinator, so
// the coordinator never parses YAML, resolves paths or hashes weights on its only thread. The
// client parses the file (ParseCampaign: paths resolved against the file's folder, checksums read
// or computed there) and sends CampaignToJson; the coordinator rebuilds it with
// CampaignFromJson, which checks every field again (types, name patterns, ranges, references to
// models and earlier entries, the task total) and throws Error naming the field, since the
// sender may be anyone who can reach the port.
//
// Threading: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "jobs/campaign.h"

namespace emoscope {

nlohmann::json CampaignToJson(const Campaign& campaign);
Campaign CampaignFromJson(const nlohmann::json& json);

}  // namespace emoscope
