#include "coordinator/result_tables.h"

#include "common/error.h"
#include "schema/database.h"

namespace emoscope {

ResultTables::ResultTables(Database& db) : db_(db) {
  Statement tables = db.Prepare("SELECT name FROM result_tables ORDER BY name");
  while (tables.Step()) {
    const std::string table = tables.ColumnText(0);
    Statement info = db.Prepare("SELECT name FROM pragma_table_info(?)");
    info.Bind(1, table);
    std::set<std::string>& columns = columns_[table];
    while (info.Step()) columns.insert(info.ColumnText(0));
    if (columns.count("task_id") == 0) Fail("{}: result table {} has no task_id column", db.path(), table);
  }
}

ResultTables::~ResultTables() = default;

Statement& ResultTables::InsertStatement(const std::string& table, const std::vector<std::string>& columns) {
  std::string cache_key = table;
  for (const std::string& column : columns) cache_key += "\x1f" + column;
  auto it = statements_.find(cache_key);
  if (it != statements_.end()) return *it->second;
  // Table and column names were checked against the schema, so quoting them is enough.
  std::string sql = "INSERT INTO \"" + table + "\" (task_id";
  std::string values = "?";
  for (const std::string& column : columns) {
    sql += ", \"" + column + "\"";
    values += ", ?";
  }
  sql += ") VALUES (" + values + ")";
  auto statement = std::make_unique<Statement>(db_, sql);
  Statement& ref = *statement;
  statements_.emplace(cache_key, std::move(statement));
  return ref;
}

void ResultTables::Insert(int64_t task_id, const nlohmann::json& rows,
                          const std::vector<zmq::message_t>& blobs) {
  if (!rows.is_object()) Fail("result rows must be an object of tables");
  for (const auto& [table, table_rows] : rows.items()) {
    auto known = columns_.find(table);
    if (known == columns_.end()) Fail("result table '{}' is not a known result table", table.substr(0, 64));
    if (!table_rows.is_array()) Fail("result table '{}': rows must be an array", table);
    for (size_t row_index = 0; row_index < table_rows.size(); ++row_index) {
      const nlohmann::json& row = table_rows[row_index];
      if (!row.is_object()) Fail("{}[{}]: a row must be an object", table, row_index);
      std::vector<std::string> columns;
      for (const auto& [column, value] : row.items()) {
        if (column == "task_id")
          Fail("{}[{}].task_id: set by the coordinator, not the worker", table, row_index);
        if (known->second.count(column) == 0)
          Fail("{}[{}].{}: unknown column", table, row_index, column.substr(0, 64));
        columns.push_back(column);
      }
      Statement& insert = InsertStatement(table, columns);
      insert.Bind(1, task_id);
      int bind_index = 2;
      for (const auto& [column, value] : row.items()) {
        if (value.is_number_integer()) {
          insert.Bind(bind_index, value.get<int64_t>());
        } else if (value.is_number()) {
          insert.Bind(bind_index, value.get<double>());
        } else if (value.is_string()) {
          insert.Bind(bind_index, value.get_ref<const std::string&>());
        } else if (value.is_boolean()) {
          insert.Bind(bind_index, static_cast<int64_t>(value.get<bool>()));
        } else if (value.is_null()) {
          insert.BindNull(bind_index);
        } else if (value.is_object() && value.size() == 1 && value.contains("$blob") &&
                   value["$blob"].is_number_unsigned()) {
          const size_t blob = value["$blob"].get<size_t>();
          if (blob >= blobs.size())
            Fail("{}[{}].{}: blob {} does not exist ({} sent)", table, row_index, column, blob, blobs.size());
          insert.BindBlob(bind_index, blobs[blob].data(), blobs[blob].size());
        } else {
          insert.Reset();
          Fail("{}[{}].{}: unsupported value", table, row_index, column);
        }
        ++bind_index;
      }
      try {
        insert.Run();
      } catch (const Error&) {
        insert.Reset();
        throw;
      }
    }
  }
}

}  // namespace emoscope
