#include "reports/verify.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "analysis/random.h"
#include "common/error.h"
#include "coordinator/result_tables.h"
#include "coordinator/task_inputs.h"
#include "reports/study_data.h"
#include "schema/database.h"
#include "worker/model_cache.h"
#include "worker/task_registry.h"

namespace emoscope {
namespace {

using nlohmann::json;

struct StoredValue {
  int type = SQLITE_NULL;
  int64_t integer = 0;
  double real = 0;
  std::string bytes;  // TEXT or BLOB
};
using StoredRow = std::map<std::string, StoredValue>;

// Columns that describe the run, not its result.
const std::set<std::string> kNotCompared = {"elapsed_ms", "worker"};
// Provenance: a difference is worth telling but is not drift of the result.
const std::set<std::string> kProvenance = {"code_version", "libraries"};

std::string KeyPart(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "1" : "0";
  if (value.is_number()) return fmt::format("{:.17g}", value.get<double>());
  return "null";
}

std::string KeyPart(const StoredValue& value) {
  switch (value.type) {
    case SQLITE_INTEGER: return fmt::format("{:.17g}", static_cast<double>(value.integer));
    case SQLITE_FLOAT: return fmt::format("{:.17g}", value.real);
    case SQLITE_TEXT: return value.bytes;
    default: return "null";
  }
}

std::string Describe(const StoredValue& value) {
  switch (value.type) {
    case SQLITE_INTEGER: return std::to_string(value.integer);
    case SQLITE_FLOAT: return fmt::format("{:.9g}", value.real);
    case SQLITE_TEXT: return "'" + value.bytes.substr(0, 60) + (value.bytes.size() > 60 ? "...'" : "'");
    case SQLITE_BLOB: return fmt::format("<blob of {} bytes>", value.bytes.size());
    default: return "NULL";
  }
}

class Comparer {
 public:
  explicit Comparer(const VerifyOptions& options) : options_(options) {}

  bool Close(double stored, double produced) const {
    if (std::isnan(stored) || std::isnan(produced)) return std::isnan(stored) && std::isnan(produced);
    const double diff = std::fabs(stored - produced);
    return diff <= options_.abs_tolerance || diff <= options_.rel_tolerance * std::max(std::fabs(stored), std::fabs(produced));
  }

  // A description of the difference, or "" when the values agree.
  std::string Diff(const json& produced, const StoredValue& stored, const std::vector<std::string>& blobs) const {
    if (produced.is_null()) return stored.type == SQLITE_NULL ? "" : "stored " + Describe(stored) + ", recomputed NULL";
    if (produced.is_object() && produced.contains("$blob")) {
      const auto index = produced.at("$blob").get<size_t>();
      if (index >= blobs.size()) return "recomputed blob index out of range";
      if (stored.type != SQLITE_BLOB) return "stored " + Describe(stored) + ", recomputed a blob";
      return DiffFloats(stored.bytes, blobs[index]);
    }
    if (produced.is_number() || produced.is_boolean()) {
      if (stored.type != SQLITE_INTEGER && stored.type != SQLITE_FLOAT) {
        return "stored " + Describe(stored) + ", recomputed " + produced.dump();
      }
      if ((produced.is_number_integer() || produced.is_boolean()) && stored.type == SQLITE_INTEGER) {
        const int64_t value = produced.is_boolean() ? (produced.get<bool>() ? 1 : 0) : produced.get<int64_t>();
        return value == stored.integer ? "" : fmt::format("stored {}, recomputed {}", stored.integer, value);
      }
      const double stored_value = stored.type == SQLITE_INTEGER ? static_cast<double>(stored.integer) : stored.real;
      const double value = produced.is_boolean() ? (produced.get<bool>() ? 1.0 : 0.0) : produced.get<double>();
      if (Close(stored_value, value)) return "";
      return fmt::format("stored {:.9g}, recomputed {:.9g} (difference {:.3g})", stored_value, value,
                         std::fabs(stored_value - value));
    }
    if (produced.is_string()) {
      if (stored.type == SQLITE_TEXT && stored.bytes == produced.get<std::string>()) return "";
      return "stored " + Describe(stored) + ", recomputed '" + produced.get<std::string>().substr(0, 60) + "'";
    }
    return "recomputed an unsupported value " + produced.dump().substr(0, 60);
  }

 private:
  std::string DiffFloats(const std::string& stored, const std::string& produced) const {
    if (stored.size() != produced.size() || stored.size() % sizeof(float) != 0) {
      return fmt::format("blob of {} bytes stored, {} recomputed", stored.size(), produced.size());
    }
    size_t differing = 0;
    size_t first = 0;
    float first_stored = 0;
    float first_produced = 0;
    for (size_t i = 0; i < stored.size() / sizeof(float); ++i) {
      float a = 0;
      float b = 0;
      std::memcpy(&a, stored.data() + i * sizeof(float), sizeof(float));
      std::memcpy(&b, produced.data() + i * sizeof(float), sizeof(float));
      if (Close(a, b)) continue;
      if (differing++ == 0) {
        first = i;
        first_stored = a;
        first_produced = b;
      }
    }
    if (differing == 0) return "";
    return fmt::format("{} of {} float32 values differ; first at {}: stored {:.9g}, recomputed {:.9g}", differing,
                       stored.size() / sizeof(float), first, first_stored, first_produced);
  }

  const VerifyOptions& options_;
};

std::vector<std::string> PrimaryKey(Database& db, const std::string& table) {
  Statement statement = db.Prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 AND name <> 'task_id' ORDER BY pk");
  statement.Bind(1, table);
  std::vector<std::string> columns;
  while (statement.Step()) columns.push_back(statement.ColumnText(0));
  return columns;
}

std::vector<StoredRow> StoredRows(Database& db, const std::string& table, int64_t task_id) {
  // The table name comes from result_tables, checked by ResultTables; quoting it is enough.
  Statement statement = db.Prepare(fmt::format("SELECT * FROM \"{}\" WHERE task_id = ?1", table));
  statement.Bind(1, task_id);
  std::vector<StoredRow> rows;
  while (statement.Step()) {
    StoredRow row;
    for (int column = 0; column < statement.ColumnCount(); ++column) {
      StoredValue value;
      value.type = statement.ColumnType(column);
      if (value.type == SQLITE_INTEGER) value.integer = statement.ColumnInt(column);
      if (value.type == SQLITE_FLOAT) value.real = statement.ColumnDouble(column);
      if (value.type == SQLITE_TEXT) value.bytes = statement.ColumnText(column);
      if (value.type == SQLITE_BLOB) value.bytes = statement.ColumnBlob(column);
      row[statement.ColumnName(column)] = std::move(value);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

struct TaskRecord {
  int64_t id = 0;
  std::string kind;
  std::string params;
  std::optional<ModelRef> model;
};

void CompareTask(Database& db, const TaskRecord& task, const TaskOutput& output, const std::vector<std::string>& tables,
                 const VerifyOptions& options, TaskVerdict* verdict) {
  const Comparer comparer(options);
  auto report = [&](std::string message) {
    ++verdict->differences;
    if (verdict->drift.size() < options.max_reported) verdict->drift.push_back(std::move(message));
  };
  for (const std::string& table : tables) {
    const json produced_rows = output.rows.contains(table) ? output.rows.at(table) : json::array();
    const std::vector<StoredRow> stored_rows = StoredRows(db, table, task.id);
    if (produced_rows.empty() && stored_rows.empty()) continue;
    const std::vector<std::string> key_columns = PrimaryKey(db, table);
    auto describe_key = [&](const std::vector<std::string>& parts) {
      std::string out;
      for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + key_columns[i] + "=" + parts[i];
      return table + "[" + out + "]";
    };
    std::map<std::vector<std::string>, const StoredRow*> stored_by_key;
    for (const StoredRow& row : stored_rows) {
      std::vector<std::string> key;
      for (const std::string& column : key_columns) key.push_back(row.count(column) ? KeyPart(row.at(column)) : "null");
      stored_by_key[key] = &row;
    }
    std::set<std::vector<std::string>> seen;
    for (const json& row : produced_rows) {
      std::vector<std::string> key;
      for (const std::string& column : key_columns) key.push_back(row.contains(column) ? KeyPart(row.at(column)) : "null");
      seen.insert(key);
      auto stored = stored_by_key.find(key);
      if (stored == stored_by_key.end()) {
        report(describe_key(key) + ": recomputed, but not stored");
        continue;
      }
      ++verdict->rows_compared;
      for (const auto& [column, value] : row.items()) {
        if (kNotCompared.count(column)) continue;
        auto stored_value = stored->second->find(column);
        if (stored_value == stored->second->end()) {
          report(describe_key(key) + "." + column + ": no such stored column");
          continue;
        }
        const std::string diff = comparer.Diff(value, stored_value->second, output.blobs);
        if (diff.empty()) continue;
        if (kProvenance.count(column)) {
          verdict->notes.push_back(describe_key(key) + "." + column + ": " + diff);
        } else {
          report(describe_key(key) + "." + column + ": " + diff);
        }
      }
    }
    for (const auto& [key, row] : stored_by_key) {
      if (!seen.count(key)) report(describe_key(key) + ": stored, but not recomputed");
    }
  }
}

}  // namespace

bool VerifyReport::ok() const {
  return std::all_of(tasks.begin(), tasks.end(), [](const TaskVerdict& verdict) { return verdict.ok(); });
}

VerifyReport VerifyCampaign(Database& db, const TaskRegistry& registry, const VerifyOptions& options,
                            const std::function<void(const TaskVerdict&)>& on_task) {
  if (!(options.sample_fraction > 0 && options.sample_fraction <= 1)) {
    Fail("sample fraction must be in (0, 1], got {}", options.sample_fraction);
  }
  const CampaignInfo campaign = LoadCampaign(db, options.campaign);
  VerifyReport out;
  out.campaign = campaign.name;

  Statement finished = db.Prepare(
      "SELECT t.id, t.kind, t.params, m.path, m.checksum FROM tasks t "
      "JOIN campaign_tasks ct ON ct.task_id = t.id AND ct.campaign_id = ?1 LEFT JOIN models m ON m.id = t.model_id "
      "WHERE t.state = 'done' ORDER BY t.id");
  finished.Bind(1, campaign.id);
  std::vector<TaskRecord> candidates;
  while (finished.Step()) {
    TaskRecord task;
    task.id = finished.ColumnInt(0);
    task.kind = finished.ColumnText(1);
    task.params = finished.ColumnText(2);
    if (!finished.ColumnIsNull(3)) task.model = ModelRef{finished.ColumnText(3), finished.ColumnText(4)};
    if (registry.Find(task.kind) != nullptr) candidates.push_back(std::move(task));
  }
  out.finished_tasks = candidates.size();

  std::vector<TaskRecord> chosen;
  if (!options.task_ids.empty()) {
    for (int64_t id : options.task_ids) {
      auto found = std::find_if(candidates.begin(), candidates.end(), [&](const TaskRecord& task) { return task.id == id; });
      if (found == candidates.end()) {
        Fail("{}: task {} is not a finished task of campaign '{}' that this program can run", db.path(), id, campaign.name);
      }
      chosen.push_back(*found);
    }
  } else if (!candidates.empty()) {
    const auto count = std::max<size_t>(
        1, static_cast<size_t>(std::ceil(options.sample_fraction * static_cast<double>(candidates.size()) - 1e-9)));
    std::vector<size_t> order(candidates.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    analysis::Rng rng(options.seed);
    rng.Shuffle(order);
    order.resize(std::min(count, order.size()));
    std::sort(order.begin(), order.end());
    for (size_t index : order) chosen.push_back(candidates[index]);
  }

  std::vector<std::string> result_tables;
  Statement tables = db.Prepare("SELECT name FROM result_tables ORDER BY name");
  while (tables.Step()) result_tables.push_back(tables.ColumnText(0));
  const ResultTables known_tables(db);
  ModelCache models(/*capacity=*/2);

  for (const TaskRecord& task : chosen) {
    const auto start = std::chrono::steady_clock::now();
    TaskVerdict verdict;
    verdict.task_id = task.id;
    verdict.kind = task.kind;
    TaskContext context;
    context.task_id = task.id;
    context.kind = task.kind;
    context.model = task.model;
    context.worker = "verify";
    context.models = &models;
    try {
      context.params = json::parse(task.params);
    } catch (const json::exception& error) {
      Fail("{}: task {}: params: {}", db.path(), task.id, error.what());
    }
    if (context.params.is_object() && context.params.contains("inputs")) {
      std::vector<zmq::message_t> blobs;
      context.inputs = LoadTaskInputs(db, known_tables, task.id, context.params.at("inputs"), &blobs);
      for (const zmq::message_t& blob : blobs) context.input_blobs.emplace_back(static_cast<const char*>(blob.data()), blob.size());
    }
    try {
      const TaskOutput output = (*registry.Find(task.kind))(context);
      CompareTask(db, task, output, result_tables, options, &verdict);
    } catch (const std::exception& error) {
      ++verdict.differences;
      verdict.drift.push_back(std::string("re-run failed: ") + error.what());
    }
    verdict.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (on_task) on_task(verdict);
    out.tasks.push_back(std::move(verdict));
  }
  return out;
}

}  // namespace emoscope
