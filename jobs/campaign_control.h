// Campaign state changes behind `emoscope pause|resume|cancel|retry`. Each runs in one
// transaction on a read-write connection; the coordinator calls them for its clients, and the CLI
// calls them directly only when no coordinator holds the database (docs/schema.md).
//
//   pause   the campaign's queued tasks are not dispatched; running ones finish
//   resume  dispatch again; a cancelled campaign's cancelled tasks are queued again
//   cancel  queued and blocked tasks become cancelled; running ones finish
//   retry   failed tasks are queued again with their attempts reset (blocked when they wait for
//           a dependency that is not done)
// An unknown campaign is an Error naming it.
#pragma once

#include <cstdint>
#include <string>

namespace emoscope {

class Database;

enum class CampaignOp { kPause, kResume, kCancel, kRetry };

// "pause" -> kPause, ...; nullopt-like: throws UsageError on an unknown name.
CampaignOp ParseCampaignOp(const std::string& name);
const char* CampaignOpName(CampaignOp op);

// Applies `op`; returns how many tasks changed state.
int64_t ApplyCampaignOp(Database& db, const std::string& campaign, CampaignOp op);

}  // namespace emoscope
