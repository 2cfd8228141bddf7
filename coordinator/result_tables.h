// The result tables the coordinator may write on a worker's behalf, and the checked insertion of a
// result's rows into them.
//
// Known tables are those listed in the `result_tables` table (filled by migrations); their
// columns come from the schema itself (PRAGMA table_info). A result payload is
//   {"<table>": [{"<column>": value, ...}, ...], ...}
// where a value is a JSON number, string, boolean, null, or {"$blob": i} naming blob frame i.
// `task_id` is always set by the coordinator from the lease; a worker may not set it.
// Not thread-safe: used by the coordinator's single thread inside its write transaction.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

namespace emoscope {

class Database;
class Statement;

class ResultTables {
 public:
  explicit ResultTables(Database& db);
  ~ResultTables();

  // Inserts every row; throws Error naming the table, row and column on an unknown table, an
  // unknown column, a bad value or a failed constraint. The caller runs it inside a savepoint.
  void Insert(int64_t task_id, const nlohmann::json& rows, const std::vector<zmq::message_t>& blobs);

  bool Knows(const std::string& table) const { return columns_.count(table) > 0; }
  bool HasColumn(const std::string& table, const std::string& column) const {
    auto found = columns_.find(table);
    return found != columns_.end() && found->second.count(column) > 0;
  }

 private:
  Statement& InsertStatement(const std::string& table, const std::vector<std::string>& columns);

  Database& db_;
  std::map<std::string, std::set<std::string>> columns_;
  std::map<std::string, std::unique_ptr<Statement>> statements_;  // by table + column list
};

}  // namespace emoscope
