#include "dashboards/read_only_query.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>

#include "common/error.h"

namespace emoscope {
namespace {

// Progress handler period in virtual machine instructions: about a few microseconds of work, so
// the time limit is kept to well within a millisecond without measurable overhead.
constexpr int kProgressInstructions = 1000;

// PRAGMAs that only read, allowed with or without an argument (the argument names a table).
bool IsReadPragma(std::string_view name, const char* argument) {
  static const char* const kWithArgument[] = {"table_info",  "table_xinfo",      "index_list", "index_info",
                                              "index_xinfo", "foreign_key_list", "table_list"};
  static const char* const kWithoutArgument[] = {
      "user_version", "schema_version", "page_count",    "page_size",      "freelist_count",
      "data_version", "database_list",  "function_list", "collation_list", "compile_options"};
  for (const char* allowed : kWithArgument) {
    if (name == allowed) return true;
  }
  if (argument != nullptr) return false;  // `PRAGMA x = value` changes something.
  for (const char* allowed : kWithoutArgument) {
    if (name == allowed) return true;
  }
  return false;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool OnlySpaceAndSemicolons(const char* text) {
  if (text == nullptr) return true;
  for (; *text != '\0'; ++text) {
    if (!std::isspace(static_cast<unsigned char>(*text)) && *text != ';') return false;
  }
  return true;
}

// SQLite TEXT is not guaranteed to be UTF-8; JSON must be.
std::string ValidUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = length > 0 && i + length <= bytes.size();
    for (size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(bytes[i + k]) >> 6) == 0x2;
    if (valid) {
      out.append(bytes.substr(i, length));
      i += length;
    } else {
      out.append("\xEF\xBF\xBD");  // U+FFFD
      ++i;
    }
  }
  return out;
}

}  // namespace

ReadOnlyStore::ReadOnlyStore(const std::string& path) : db_(path, OpenMode::kReadOnly) {
  db_.Exec("PRAGMA query_only = ON");
  db_.Exec(fmt::format("PRAGMA cache_size = -{}", kConsoleCacheKiB));
  sqlite3_set_authorizer(db_.handle(), &ReadOnlyStore::Authorize, this);
  sqlite3_progress_handler(db_.handle(), kProgressInstructions, &ReadOnlyStore::Progress, this);
}

ReadOnlyStore::~ReadOnlyStore() {
  sqlite3_progress_handler(db_.handle(), 0, nullptr, nullptr);
  sqlite3_set_authorizer(db_.handle(), nullptr, nullptr);
}

int ReadOnlyStore::Authorize(void* self, int action, const char* arg1, const char* arg2, const char* database,
                             const char* trigger) {
  auto* store = static_cast<ReadOnlyStore*>(self);
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_FUNCTION:
      // load_extension is off on this connection anyway; refuse it by name so the message is clear.
      if (arg2 != nullptr && Lower(arg2) == "load_extension") {
        store->refusal_ = "not allowed: load_extension (the console is read-only)";
        return SQLITE_DENY;
      }
      return SQLITE_OK;
    case SQLITE_PRAGMA:
      if (arg1 != nullptr && IsReadPragma(Lower(arg1), arg2)) return SQLITE_OK;
      store->refusal_ = fmt::format("not allowed: PRAGMA {}{} (only PRAGMAs that read are allowed)",
                                    arg1 ? arg1 : "", arg2 ? fmt::format(" = {}", arg2) : "");
      return SQLITE_DENY;
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      store->refusal_ = "not allowed: ATTACH/DETACH (the console reads this database only)";
      return SQLITE_DENY;
    default:
      store->refusal_ = "not allowed: the console is read-only (SELECT, WITH and read-only PRAGMAs only)";
      return SQLITE_DENY;
  }
}

int ReadOnlyStore::Progress(void* self) {
  auto* store = static_cast<ReadOnlyStore*>(self);
  return std::chrono::steady_clock::now() > store->deadline_ ? 1 : 0;
}

namespace {

// Sets SQLITE_LIMIT_LENGTH for one query and restores it after (the views read stored values,
// such as a campaign's spec, that may be longer than a console query may make).
class LengthLimit {
 public:
  LengthLimit(sqlite3* db, int bytes) : db_(db), previous_(sqlite3_limit(db, SQLITE_LIMIT_LENGTH, bytes)) {}
  ~LengthLimit() { sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, previous_); }
  LengthLimit(const LengthLimit&) = delete;
  LengthLimit& operator=(const LengthLimit&) = delete;

 private:
  sqlite3* db_;
  int previous_;
};

}  // namespace

QueryResult ReadOnlyStore::Query(std::string_view sql, const std::vector<QueryParam>& params,
                                 const QueryLimits& limits) {
  const auto started = std::chrono::steady_clock::now();
  const LengthLimit length_limit(db_.handle(), limits.max_value_bytes);
  refusal_.clear();
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_.handle(), sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  // The statement is finalized on every path out of here.
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  if (rc != SQLITE_OK) {
    if (!refusal_.empty()) Fail("{}: {}", db_.path(), refusal_);
    Fail("{}: {}", db_.path(), sqlite3_errmsg(db_.handle()));
  }
  if (!stmt) Fail("{}: empty query", db_.path());
  const std::string rest(tail, static_cast<size_t>(sql.data() + sql.size() - tail));
  if (!OnlySpaceAndSemicolons(rest.c_str())) Fail("{}: one statement at a time, please", db_.path());
  // Belt and braces: whatever the authorizer let through must not write.
  if (!sqlite3_stmt_readonly(stmt.get())) Fail("{}: not allowed: the statement would write", db_.path());
  for (size_t index = 0; index < params.size(); ++index) {
    const int slot = static_cast<int>(index) + 1;
    if (const auto* integer = std::get_if<int64_t>(&params[index])) {
      sqlite3_bind_int64(stmt.get(), slot, *integer);
    } else if (const auto* real = std::get_if<double>(&params[index])) {
      sqlite3_bind_double(stmt.get(), slot, *real);
    } else {
      const std::string& text = std::get<std::string>(params[index]);
      sqlite3_bind_text(stmt.get(), slot, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
  }

  QueryResult result;
  const int columns = sqlite3_column_count(stmt.get());
  for (int column = 0; column < columns; ++column)
    result.columns.push_back(sqlite3_column_name(stmt.get(), column));
  deadline_ = started + std::chrono::milliseconds(limits.time_limit_ms);
  int64_t result_bytes = 0;
  while (true) {
    rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      deadline_ = std::chrono::steady_clock::time_point::max();
      if (rc == SQLITE_INTERRUPT)
        Fail("{}: query cut off after {} ms (the time limit)", db_.path(), limits.time_limit_ms);
      if (rc == SQLITE_TOOBIG)
        Fail("{}: query refused: it makes a value larger than the limit of {} bytes", db_.path(),
             limits.max_value_bytes);
      Fail("{}: {}", db_.path(), sqlite3_errmsg(db_.handle()));
    }
    if (static_cast<int64_t>(result.rows.size()) >= limits.max_rows ||
        result_bytes > limits.max_result_bytes) {
      result.truncated = true;
      break;
    }
    nlohmann::json row = nlohmann::json::array();
    for (int column = 0; column < columns; ++column) {
      switch (sqlite3_column_type(stmt.get(), column)) {
        case SQLITE_INTEGER:
          row.push_back(static_cast<int64_t>(sqlite3_column_int64(stmt.get(), column)));
          break;
        case SQLITE_FLOAT: {
          const double value = sqlite3_column_double(stmt.get(), column);
          row.push_back(std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr));
          break;
        }
        case SQLITE_TEXT: {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), column));
          const int bytes = sqlite3_column_bytes(stmt.get(), column);
          result_bytes += bytes;
          row.push_back(ValidUtf8(std::string_view(text, static_cast<size_t>(bytes))));
          break;
        }
        case SQLITE_BLOB:
          row.push_back(fmt::format("<blob {} bytes>", sqlite3_column_bytes(stmt.get(), column)));
          break;
        default:
          row.push_back(nullptr);
      }
      result_bytes += 16;  // numbers, nulls and separators: small, but not free
    }
    result.rows.push_back(std::move(row));
  }
  deadline_ = std::chrono::steady_clock::time_point::max();
  result.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return result;
}

std::string ToCsv(const QueryResult& result) {
  const auto field = [](const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (const char c : text) {
      if (c == '"') quoted += '"';
      quoted += c;
    }
    return quoted + "\"";
  };
  std::string out;
  for (size_t column = 0; column < result.columns.size(); ++column) {
    out += (column ? "," : "") + field(result.columns[column]);
  }
  out += "\r\n";
  for (const nlohmann::json& row : result.rows) {
    for (size_t column = 0; column < row.size(); ++column) {
      const nlohmann::json& value = row[column];
      const std::string text = value.is_null()     ? ""
                               : value.is_string() ? value.get<std::string>()
                                                   : value.dump();
      out += (column ? "," : "") + field(text);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace emoscope
