#include "jobs/campaign_status.h"

#include "common/error.h"
#include "schema/database.h"

namespace emoscope {

std::vector<CampaignStatus> QueryCampaignStatus(Database& db, const std::optional<std::string>& name) {
  std::vector<CampaignStatus> out;
  Statement campaigns = db.Prepare(
      "SELECT id, name, state, priority, created_at FROM campaigns WHERE ?1 IS NULL OR name = ?1 ORDER BY "
      "id");
  campaigns.Bind(1, name);
  while (campaigns.Step()) {
    CampaignStatus status;
    status.id = campaigns.ColumnInt(0);
    status.name = campaigns.ColumnText(1);
    status.state = campaigns.ColumnText(2);
    status.priority = campaigns.ColumnInt(3);
    status.created_at = campaigns.ColumnInt(4);
    out.push_back(status);
  }
  if (name && out.empty()) Fail("{}: no campaign named '{}'", db.path(), *name);
  Statement counts = db.Prepare(
      "SELECT t.state, count(*), min(t.started_at), max(t.finished_at) FROM campaign_tasks ct "
      "JOIN tasks t ON t.id = ct.task_id WHERE ct.campaign_id = ? GROUP BY t.state");
  for (CampaignStatus& status : out) {
    counts.Bind(1, status.id);
    while (counts.Step()) {
      const std::string state = counts.ColumnText(0);
      const int64_t count = counts.ColumnInt(1);
      status.total += count;
      if (state == "done") status.done = count;
      if (state == "failed") status.failed = count;
      if (state == "running") status.running = count;
      if (state == "queued") status.queued += count;
      if (state == "blocked") {
        status.queued += count;
        status.blocked = count;
      }
      if (state == "cancelled") status.cancelled = count;
      if (!counts.ColumnIsNull(2)) {
        const int64_t started = counts.ColumnInt(2);
        if (!status.first_started_at || started < *status.first_started_at) status.first_started_at = started;
      }
      if (!counts.ColumnIsNull(3)) {
        const int64_t finished = counts.ColumnInt(3);
        if (!status.last_finished_at || finished > *status.last_finished_at)
          status.last_finished_at = finished;
      }
    }
    counts.Reset();
  }
  return out;
}

std::vector<TaskFailure> QueryFailures(Database& db, int64_t campaign_id, int limit) {
  std::vector<TaskFailure> out;
  Statement query = db.Prepare(
      "SELECT t.id, t.kind, t.attempts, coalesce(t.error, '') FROM campaign_tasks ct JOIN tasks t ON t.id = "
      "ct.task_id "
      "WHERE ct.campaign_id = ? AND t.state = 'failed' ORDER BY t.id LIMIT ?");
  query.Bind(1, campaign_id).Bind(2, limit);
  while (query.Step()) {
    out.push_back({query.ColumnInt(0), query.ColumnText(1), query.ColumnInt(2), query.ColumnText(3)});
  }
  return out;
}

}  // namespace emoscope
