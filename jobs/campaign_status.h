// Read-side queries for `emoscope status`, `emoscope run` and the dashboard. Safe on a read-only
// connection while the coordinator writes (WAL).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace emoscope {

class Database;

struct CampaignStatus {
  int64_t id = 0;
  std::string name;
  std::string state;  // active, paused, cancelled
  int64_t priority = 0;
  int64_t total = 0;
  int64_t done = 0;
  int64_t failed = 0;
  int64_t running = 0;
  int64_t queued = 0;   // queued or blocked (waiting for dependencies)
  int64_t blocked = 0;  // of which blocked
  int64_t cancelled = 0;
  int64_t created_at = 0;
  std::optional<int64_t> first_started_at;
  std::optional<int64_t> last_finished_at;

  bool Finished() const { return done + failed + cancelled == total; }
};

struct TaskFailure {
  int64_t task_id = 0;
  std::string kind;
  int64_t attempts = 0;
  std::string error;
};

// Every campaign, or the one named (Error naming the database when it is unknown).
std::vector<CampaignStatus> QueryCampaignStatus(Database& db, const std::optional<std::string>& name);
std::vector<TaskFailure> QueryFailures(Database& db, int64_t campaign_id, int limit);

}  // namespace emoscope
