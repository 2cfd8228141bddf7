// A read-only view of the campaign store for the dashboard and the report: its own connection,
// opened SQLITE_OPEN_READONLY with `PRAGMA query_only`, and an authorizer that allows reading and
// nothing else (no INSERT/UPDATE/DELETE, DDL, ATTACH/DETACH, transactions, PRAGMA assignments,
// load_extension). Each query runs under a time limit (a progress handler interrupts it) and a
// row limit (the rest is cut off and `truncated` set). One statement per query.
//
// Threading: one ReadOnlyStore belongs to one thread at a time (the server gives each of its
// threads its own). Errors: a refused, malformed or interrupted query throws emoscope::Error whose
// message says why ("not allowed: ...", "cut off after N ms", SQLite's message).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "schema/database.h"

namespace emoscope {

struct QueryLimits {
  int64_t max_rows = 10000;  // rows returned at most; the rest is cut off
  int time_limit_ms = 2000;  // a query running longer is interrupted
};

struct QueryResult {
  std::vector<std::string> columns;
  nlohmann::json rows = nlohmann::json::array();  // arrays of values; BLOBs as "<blob N bytes>"
  bool truncated = false;                         // more rows than max_rows
  double elapsed_ms = 0;
};

using QueryParam = std::variant<int64_t, double, std::string>;

class ReadOnlyStore {
 public:
  // Throws Error naming `path` when it is missing or not a database.
  explicit ReadOnlyStore(const std::string& path);
  ~ReadOnlyStore();
  ReadOnlyStore(const ReadOnlyStore&) = delete;
  ReadOnlyStore& operator=(const ReadOnlyStore&) = delete;

  // Runs one SELECT (or WITH ... SELECT, EXPLAIN, or a read-only PRAGMA) with `params` bound to
  // ?1, ?2, ...
  QueryResult Query(std::string_view sql, const std::vector<QueryParam>& params, const QueryLimits& limits);

  // The underlying connection, for read helpers that take a Database (the authorizer stays on).
  Database& database() { return db_; }
  const std::string& path() const { return db_.path(); }

 private:
  static int Authorize(void* self, int action, const char* arg1, const char* arg2, const char* database,
                       const char* trigger);
  static int Progress(void* self);

  Database db_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::string refusal_;  // why the authorizer refused the statement being prepared
};

// The query result as CSV (RFC 4180: quoted when needed, CRLF line ends), header row first.
std::string ToCsv(const QueryResult& result);

}  // namespace emoscope
