#include "jobs/campaign_control.h"

#include "common/error.h"
#include "schema/database.h"

namespace emoscope {

CampaignOp ParseCampaignOp(const std::string& name) {
  if (name == "pause") return CampaignOp::kPause;
  if (name == "resume") return CampaignOp::kResume;
  if (name == "cancel") return CampaignOp::kCancel;
  if (name == "retry") return CampaignOp::kRetry;
  throw UsageError("unknown campaign operation '" + name + "' (pause, resume, cancel, retry)");
}

const char* CampaignOpName(CampaignOp op) {
  switch (op) {
    case CampaignOp::kPause:
      return "pause";
    case CampaignOp::kResume:
      return "resume";
    case CampaignOp::kCancel:
      return "cancel";
    case CampaignOp::kRetry:
      return "retry";
  }
  return "?";
}

int64_t ApplyCampaignOp(Database& db, const std::string& campaign, CampaignOp op) {
  const int64_t now = NowMs();
  Transaction transaction(db);
  Statement find = db.Prepare("SELECT id FROM campaigns WHERE name = ?");
  find.Bind(1, campaign);
  if (!find.Step()) Fail("{}: no campaign named '{}'", db.path(), campaign);
  const int64_t campaign_id = find.ColumnInt(0);
  int64_t changed = 0;
  const char* members = "id IN (SELECT task_id FROM campaign_tasks WHERE campaign_id = ?1)";
  switch (op) {
    case CampaignOp::kPause:
      db.Prepare("UPDATE campaigns SET state = 'paused', updated_at = ?2 WHERE id = ?1 AND state = 'active'")
          .Bind(1, campaign_id)
          .Bind(2, now)
          .Run();
      break;
    case CampaignOp::kResume:
      db.Prepare("UPDATE campaigns SET state = 'active', updated_at = ?2 WHERE id = ?1")
          .Bind(1, campaign_id)
          .Bind(2, now)
          .Run();
      db.Prepare(
            std::string("UPDATE tasks SET state = 'queued', not_before = 0 WHERE state = 'cancelled' AND ") +
            members)
          .Bind(1, campaign_id)
          .Run();
      changed = db.Changes();
      break;
    case CampaignOp::kCancel:
      db.Prepare("UPDATE campaigns SET state = 'cancelled', updated_at = ?2 WHERE id = ?1")
          .Bind(1, campaign_id)
          .Bind(2, now)
          .Run();
      // Only the tasks this campaign owns: a task shared with a live campaign keeps running for it.
      db.Prepare(
            "UPDATE tasks SET state = 'cancelled', finished_at = ?2 WHERE campaign_id = ?1 AND state IN "
            "('queued', 'blocked')")
          .Bind(1, campaign_id)
          .Bind(2, now)
          .Run();
      changed = db.Changes();
      break;
    case CampaignOp::kRetry:
      db.Prepare(
            std::string(
                "UPDATE tasks SET attempts = 0, error = NULL, not_before = 0, finished_at = NULL, "
                "state = CASE WHEN EXISTS (SELECT 1 FROM task_deps d JOIN tasks t ON t.id = d.depends_on "
                "WHERE d.task_id = tasks.id AND t.state != 'done') THEN 'blocked' ELSE 'queued' END "
                "WHERE state = 'failed' AND ") +
            members)
          .Bind(1, campaign_id)
          .Run();
      changed = db.Changes();
      break;
  }
  db.Prepare("INSERT INTO events (at, kind, campaign_id, detail) VALUES (?, ?, ?, ?)")
      .Bind(1, now)
      .Bind(2, CampaignOpName(op))
      .Bind(3, campaign_id)
      .Bind(4, fmt::format("{} tasks changed", changed))
      .Run();
  transaction.Commit();
  return changed;
}

}  // namespace emoscope
