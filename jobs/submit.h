// Writing a campaign into the store: the campaign row, its models, its tasks (only those whose
// key is not there yet), their dependencies and campaign membership, in one transaction.
//
// Only the coordinator's process calls this on a database a coordinator serves (the single-writer
// rule, docs/schema.md); `emoscope submit --db` calls it when no coordinator holds the database.
#pragma once

#include <cstdint>

#include "jobs/campaign.h"

namespace emoscope {

class Database;

struct SubmitStats {
  int64_t campaign_id = 0;
  int64_t total = 0;  // tasks the campaign expands to
  int64_t added = 0;  // of which new to the store
  bool new_campaign = false;
};

SubmitStats SubmitCampaign(Database& db, const Campaign& campaign, const std::string& code_version);

}  // namespace emoscope
