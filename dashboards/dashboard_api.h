// The dashboard's JSON API, independent of HTTP so it can be tested and benchmarked directly.
// Routes (docs/dashboard.md lists them with example responses):
//   GET /api/campaigns                          every campaign with progress, rate and ETA
//   GET /api/campaigns/NAME/timeline[?buckets=N]
//   GET /api/campaigns/NAME/failures[?limit=N]
//   GET /api/campaigns/NAME/results[?samples=N]
//   GET /api/campaigns/NAME/manifest
//   GET /api/workers
//   GET|POST /api/sql?q=SQL[&format=csv][&limit=N]   the read-only console (POST: SQL as the body)
// Errors come back as JSON {"error": message} with 400 (bad request or refused query), 404
// (unknown route or campaign) or 500; they never escape as exceptions.
// Threading: one call at a time per ReadOnlyStore.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dashboards/read_only_query.h"

namespace emoscope {

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string filename;  // when set: served as a download (Content-Disposition)
};

// Limits of the SQL console (the views' own queries are not bound by them).
struct ConsoleLimits {
  int64_t max_rows = 10000;  // the most rows a console query returns (a smaller ?limit= is honoured)
  int time_limit_ms = 2000;  // a console query running longer is cut off
};

ApiResponse HandleApi(ReadOnlyStore& store, std::string_view method, std::string_view target, std::string_view body,
                      const ConsoleLimits& limits);

// Decodes %XX and '+' (application/x-www-form-urlencoded); malformed escapes are kept as they are.
std::string UrlDecode(std::string_view text);
// The value of `name` in the query string of `target` ("/path?a=1&b=2"), decoded.
std::optional<std::string> QueryParameter(std::string_view target, std::string_view name);

}  // namespace emoscope
