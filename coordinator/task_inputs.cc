#include "coordinator/task_inputs.h"

#include <sqlite3.h>

#include <fmt/format.h>

#include "common/error.h"
#include "coordinator/result_tables.h"
#include "schema/database.h"

namespace emoscope {

nlohmann::json LoadTaskInputs(Database& db, const ResultTables& tables, int64_t task_id, const nlohmann::json& specs,
                              std::vector<zmq::message_t>* blobs) {
  nlohmann::json inputs = nlohmann::json::object();
  if (!specs.is_array()) Fail("task {}: params.inputs must be a list", task_id);
  for (size_t index = 0; index < specs.size(); ++index) {
    const nlohmann::json& spec = specs[index];
    const std::string where_entry = fmt::format("task {}: params.inputs[{}]", task_id, index);
    if (!spec.is_object() || !spec.contains("table") || !spec.at("table").is_string()) {
      Fail("{}: needs a \"table\" name", where_entry);
    }
    const std::string table = spec.at("table").get<std::string>();
    if (!tables.Knows(table)) Fail("{}: '{}' is not a result table", where_entry, table);
    std::string select = "*";
    if (spec.contains("columns")) {
      const nlohmann::json& columns = spec.at("columns");
      if (!columns.is_array() || columns.empty()) Fail("{}: \"columns\" must list column names", where_entry);
      select = "task_id";
      for (const nlohmann::json& column : columns) {
        if (!column.is_string() || !tables.HasColumn(table, column.get<std::string>())) {
          Fail("{}: table '{}' has no column {}", where_entry, table, column.dump());
        }
        if (column != "task_id") select += fmt::format(", \"{}\"", column.get<std::string>());
      }
    }
    std::string sql = fmt::format(
        "SELECT {} FROM \"{}\" WHERE task_id IN (SELECT depends_on FROM task_deps WHERE task_id = ?1)", select, table);
    std::vector<nlohmann::json> values;
    if (spec.contains("where")) {
      const nlohmann::json& where = spec.at("where");
      if (!where.is_object()) Fail("{}: \"where\" must map columns to values", where_entry);
      for (const auto& [column, value] : where.items()) {
        if (!tables.HasColumn(table, column)) Fail("{}: table '{}' has no column '{}'", where_entry, table, column);
        if (!value.is_primitive() || value.is_null()) Fail("{}: where.{} must be a number, string or boolean", where_entry, column);
        sql += fmt::format(" AND \"{}\" = ?{}", column, values.size() + 2);
        values.push_back(value);
      }
    }
    sql += " ORDER BY task_id";
    Statement statement(db, sql);
    statement.Bind(1, task_id);
    for (size_t i = 0; i < values.size(); ++i) {
      const nlohmann::json& value = values[i];
      const int bind = static_cast<int>(i + 2);
      if (value.is_number_integer()) {
        statement.Bind(bind, value.get<int64_t>());
      } else if (value.is_number()) {
        statement.Bind(bind, value.get<double>());
      } else if (value.is_boolean()) {
        statement.Bind(bind, int64_t{value.get<bool>() ? 1 : 0});
      } else {
        statement.Bind(bind, value.get<std::string>());
      }
    }
    nlohmann::json& rows = inputs[table];
    if (!rows.is_array()) rows = nlohmann::json::array();
    while (statement.Step()) {
      nlohmann::json row = nlohmann::json::object();
      for (int column = 0; column < statement.ColumnCount(); ++column) {
        const std::string name = statement.ColumnName(column);
        switch (statement.ColumnType(column)) {
          case SQLITE_INTEGER:
            row[name] = statement.ColumnInt(column);
            break;
          case SQLITE_FLOAT:
            row[name] = statement.ColumnDouble(column);
            break;
          case SQLITE_TEXT:
            row[name] = statement.ColumnText(column);
            break;
          case SQLITE_BLOB: {
            const std::string bytes = statement.ColumnBlob(column);
            row[name] = {{"$blob", blobs->size()}};
            blobs->emplace_back(bytes.data(), bytes.size());
            break;
          }
          default:
            row[name] = nullptr;
        }
      }
      rows.push_back(std::move(row));
    }
  }
  return inputs;
}

}  // namespace emoscope
