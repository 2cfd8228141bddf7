#include "jobs/submit.h"

#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "common/sha256.h"
#include "jobs/task_key.h"
#include "schema/database.h"

namespace emoscope {
namespace {

int64_t UpsertModel(Database& db, const ModelSpec& model) {
  Statement insert = db.Prepare(
      "INSERT INTO models (path, architecture, layers, parameters, checksum) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT (checksum) DO UPDATE SET path = excluded.path");
  insert.Bind(1, model.path).Bind(2, model.architecture);
  model.layers ? insert.Bind(3, *model.layers) : insert.BindNull(3);
  model.parameters ? insert.Bind(4, *model.parameters) : insert.BindNull(4);
  insert.Bind(5, model.checksum).Run();
  Statement select = db.Prepare("SELECT id FROM models WHERE checksum = ?");
  select.Bind(1, model.checksum);
  if (!select.Step()) Fail("{}: model {} was not stored", db.path(), model.name);
  return select.ColumnInt(0);
}

// The 32 bytes of a hex sha256: the stored form of a task key (half the index of the hex text).
std::string KeyBytes(const std::string& hex) {
  std::string bytes(hex.size() / 2, '\0');
  for (size_t index = 0; index < bytes.size(); ++index) {
    bytes[index] = static_cast<char>(std::stoi(hex.substr(2 * index, 2), nullptr, 16));
  }
  return bytes;
}

}  // namespace

SubmitStats SubmitCampaign(Database& db, const Campaign& campaign, const std::string& code_version) {
  SubmitStats stats;
  const int64_t now = NowMs();
  Transaction transaction(db);

  {
    Statement existing = db.Prepare("SELECT id FROM campaigns WHERE name = ?");
    existing.Bind(1, campaign.name);
    stats.new_campaign = !existing.Step();
  }
  db.Prepare(
        "INSERT INTO campaigns (name, spec_text, spec_hash, priority, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (name) DO UPDATE SET spec_text = excluded.spec_text, "
        "spec_hash = excluded.spec_hash, priority = excluded.priority, updated_at = excluded.updated_at")
      .Bind(1, campaign.name)
      .Bind(2, campaign.spec_text)
      .Bind(3, Sha256Hex(campaign.spec_text))
      .Bind(4, campaign.priority)
      .Bind(5, now)
      .Run();
  {
    Statement select = db.Prepare("SELECT id FROM campaigns WHERE name = ?");
    select.Bind(1, campaign.name);
    select.Step();
    stats.campaign_id = select.ColumnInt(0);
  }

  // The campaign's own name and resolved path of each model (migration 7): a resubmission
  // replaces them; the first entry wins when one campaign lists the same weights twice.
  db.Prepare("DELETE FROM campaign_models WHERE campaign_id = ?1").Bind(1, stats.campaign_id).Run();
  std::map<const ModelSpec*, int64_t> model_ids;
  for (const ModelSpec& model : campaign.models) {
    model_ids[&model] = UpsertModel(db, model);
    db.Prepare(
          "INSERT INTO campaign_models (campaign_id, model_id, name, path) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (campaign_id, model_id) DO NOTHING")
        .Bind(1, stats.campaign_id)
        .Bind(2, model_ids[&model])
        .Bind(3, model.name)
        .Bind(4, model.path)
        .Run();
  }

  // Task ids of the entries that others wait for, and whether all of them are done already.
  std::set<std::string> referenced;
  for (const TaskEntry& entry : campaign.entries) referenced.insert(entry.after.begin(), entry.after.end());
  struct EntryTasks {
    std::vector<int64_t> ids;
    bool all_done = true;
  };
  std::map<std::string, EntryTasks> entry_tasks;
  // With dependencies in play, which entry each task of this submission came from: an entry whose
  // tasks are the very tasks of another (same kind, model and params, hence the same keys) could
  // not wait for it, and its `after:` would be lost silently. Not tracked without `after:` (a
  // million-task campaign would hold a million entries for nothing).
  std::unordered_map<int64_t, const TaskEntry*> task_entry;

  Statement insert = db.Prepare(
      "INSERT INTO tasks (task_key, campaign_id, kind, model_id, params, priority, state, max_attempts, "
      "created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task_key) DO NOTHING");
  Statement lookup = db.Prepare("SELECT id, state FROM tasks WHERE task_key = ?");
  Statement member = db.Prepare("INSERT OR IGNORE INTO campaign_tasks (campaign_id, task_id) VALUES (?, ?)");
  Statement add_dep = db.Prepare("INSERT OR IGNORE INTO task_deps (task_id, depends_on) VALUES (?, ?)");

  ExpandCampaign(campaign, code_version, [&](const TaskSpec& spec) {
    ++stats.total;
    const TaskEntry& entry = *spec.entry;
    bool deps_done = true;
    for (const std::string& name : entry.after) deps_done = deps_done && entry_tasks[name].all_done;
    const std::string key = KeyBytes(spec.key);
    insert.BindBlob(1, key.data(), key.size()).Bind(2, stats.campaign_id).Bind(3, entry.kind);
    spec.model != nullptr ? insert.Bind(4, model_ids.at(spec.model)) : insert.BindNull(4);
    insert.Bind(5, spec.params_json)
        .Bind(6, campaign.priority)
        .Bind(7, deps_done ? "queued" : "blocked")
        .Bind(8, spec.max_attempts)
        .Bind(9, now)
        .Run();
    int64_t task_id = 0;
    std::string state;
    if (db.Changes() == 1) {
      task_id = db.LastInsertId();
      state = deps_done ? "queued" : "blocked";
      ++stats.added;
      for (const std::string& name : entry.after) {
        for (const int64_t dep : entry_tasks[name].ids) add_dep.Bind(1, task_id).Bind(2, dep).Run();
      }
    } else {
      lookup.BindBlob(1, key.data(), key.size());
      if (!lookup.Step()) Fail("{}: task {} vanished during submission", db.path(), spec.key);
      task_id = lookup.ColumnInt(0);
      state = lookup.ColumnText(1);
      lookup.Reset();
    }
    if (!referenced.empty()) {
      const auto [owner, first] = task_entry.emplace(task_id, &entry);
      if (!first && owner->second != &entry && (!entry.after.empty() || !owner->second->after.empty())) {
        Fail(
            "{}:{}: entry '{}': its tasks are the same as those of the entry at line {} (same kind, model "
            "and "
            "params), so one cannot wait for the other; give them different params",
            campaign.file, entry.line, entry.name.value_or(entry.kind), owner->second->line);
      }
    }
    member.Bind(1, stats.campaign_id).Bind(2, task_id).Run();
    if (entry.name && referenced.count(*entry.name) > 0) {
      EntryTasks& tasks = entry_tasks[*entry.name];
      tasks.ids.push_back(task_id);
      tasks.all_done = tasks.all_done && state == "done";
    }
  });

  db.Prepare("INSERT INTO events (at, kind, campaign_id, detail) VALUES (?, 'submitted', ?, ?)")
      .Bind(1, now)
      .Bind(2, stats.campaign_id)
      .Bind(3, fmt::format("{} tasks, {} new", stats.total, stats.added))
      .Run();
  transaction.Commit();
  return stats;
}

}  // namespace emoscope
