#include "dashboards/dashboard_api.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "common/error.h"
#include "dashboards/campaign_views.h"

namespace emoscope {
namespace {

ApiResponse Json(const nlohmann::json& value, int status = 200) {
  // Replace, never throw, on text that is not UTF-8 (the views clean it, but be sure).
  return {status, "application/json", value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), ""};
}

ApiResponse ErrorReply(int status, const std::string& message) { return Json({{"error", message}}, status); }

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) parts.push_back(UrlDecode(path.substr(start, end - start)));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

int64_t IntParameter(std::string_view target, std::string_view name, int64_t fallback, int64_t min, int64_t max) {
  const std::optional<std::string> text = QueryParameter(target, name);
  if (!text) return fallback;
  try {
    size_t used = 0;
    const int64_t value = std::stoll(*text, &used);
    if (used != text->size()) throw std::invalid_argument(*text);
    return std::clamp(value, min, max);
  } catch (const std::exception&) {
    throw UsageError("parameter " + std::string(name) + ": not an integer: '" + *text + "'");
  }
}

ApiResponse Console(ReadOnlyStore& store, std::string_view method, std::string_view target, std::string_view body,
                    const ConsoleLimits& limits) {
  std::string sql = method == "POST" ? std::string(body) : QueryParameter(target, "q").value_or("");
  if (sql.find_first_not_of(" \t\r\n;") == std::string::npos) return ErrorReply(400, "give the query as ?q=SQL");
  const QueryLimits query_limits{IntParameter(target, "limit", limits.max_rows, 1, limits.max_rows),
                                 limits.time_limit_ms};
  QueryResult result;
  try {
    result = store.Query(sql, {}, query_limits);
  } catch (const Error& error) {
    return ErrorReply(400, error.what());
  }
  if (QueryParameter(target, "format").value_or("json") == "csv") {
    return {200, "text/csv; charset=utf-8", ToCsv(result), "query.csv"};
  }
  return Json({{"columns", result.columns},
               {"rows", result.rows},
               {"truncated", result.truncated},
               {"row_limit", query_limits.max_rows},
               {"elapsed_ms", result.elapsed_ms}});
}

}  // namespace

std::string UrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<std::string> QueryParameter(std::string_view target, std::string_view name) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t equals = pair.find('=');
    if (UrlDecode(pair.substr(0, equals)) == name) {
      return equals == std::string_view::npos ? std::string() : UrlDecode(pair.substr(equals + 1));
    }
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return std::nullopt;
}

ApiResponse HandleApi(ReadOnlyStore& store, std::string_view method, std::string_view target, std::string_view body,
                      const ConsoleLimits& limits) {
  const std::string_view path = target.substr(0, target.find('?'));
  const std::vector<std::string> parts = Split(path);
  if (parts.size() < 2 || parts[0] != "api") return ErrorReply(404, "no such endpoint: " + std::string(path));
  try {
    if (parts[1] == "sql" && parts.size() == 2) {
      if (method != "GET" && method != "POST") return ErrorReply(405, "use GET or POST");
      return Console(store, method, target, body, limits);
    }
    if (method != "GET") return ErrorReply(405, "the API is read-only: use GET");
    if (parts[1] == "workers" && parts.size() == 2) return Json(WorkersView(store));
    if (parts[1] == "campaigns" && parts.size() == 2) return Json(CampaignsView(store));
    if (parts[1] == "campaigns" && parts.size() == 4) {
      const std::string& name = parts[2];
      const std::string& view = parts[3];
      // An unknown campaign is a 404, not a 500: check it before the views run.
      const QueryResult known = store.Query("SELECT 1 FROM campaigns WHERE name = ?1", {name}, QueryLimits{});
      if (known.rows.empty()) return ErrorReply(404, "no campaign named '" + name + "'");
      if (view == "timeline") return Json(TimelineView(store, name, static_cast<int>(IntParameter(target, "buckets", 120, 1, 2000))));
      if (view == "failures") return Json(FailuresView(store, name, IntParameter(target, "limit", 50, 1, 10000)));
      if (view == "results") return Json(ResultsView(store, name, static_cast<int>(IntParameter(target, "samples", 3, 0, 100))));
      if (view == "manifest") return Json(ManifestView(store, name));
    }
    return ErrorReply(404, "no such endpoint: " + std::string(path));
  } catch (const UsageError& error) {
    return ErrorReply(400, error.what());
  } catch (const std::exception& error) {
    return ErrorReply(500, error.what());
  }
}

}  // namespace emoscope
