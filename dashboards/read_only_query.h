// A read-only view of the campaign store for the dashboard and the report: its own connection,
// opened SQLITE_OPEN_READONLY with `PRAGMA query_only`, and an authorizer that allows reading and
// nothing else (no INSERT/UPDATE/DELETE, DDL, ATTACH/DETACH, transactions, PRAGMA assignments,
// load_extension). Each query runs under a time limit (a progress handler interrupts it), a row
// limit and a result-size limit (the rest is cut off and `truncated` set), and a limit on the
// size of any one value it makes (SQLITE_LIMIT_LENGTH: `hex(zeroblob(4e8))` or
// `printf('%.*c', 9e8, 'x')` fail at once with "string or blob too big" instead of allocating
// hundreds of MB, which no time limit stops, since it is a single function call). The
// connection's page cache is capped too (kConsoleCacheKiB). One statement per query.
//
// Threading: one ReadOnlyStore belongs to one thread at a time (the server gives each of its
// threads its own). Errors: a refused, malformed or interrupted query throws emoscope::Error whose
// message says why ("not allowed: ...", "cut off after N ms", SQLite's message).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "schema/database.h"

namespace emoscope {

// The connection's page cache, at most (PRAGMA cache_size), so a scan holds little memory.
constexpr int64_t kConsoleCacheKiB = 8192;

struct QueryLimits {
  int64_t max_rows = 10000;               // rows returned at most; the rest is cut off
  int time_limit_ms = 2000;               // a query running longer is interrupted
  int64_t max_result_bytes = 32LL << 20;  // text in the rows, at most; the rest is cut off
  int max_value_bytes = 16 << 20;         // any string or blob the query makes (SQLITE_LIMIT_LENGTH)
};

struct QueryResult {
  std::vector<std::string> columns;
  nlohmann::json rows = nlohmann::json::array();  // arrays of values; BLOBs as "<blob N bytes>"
  bool truncated = false;                         // more rows than max_rows, or max_result_bytes
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
