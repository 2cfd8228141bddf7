#include "schema/database.h"

#include <chrono>

#include "common/error.h"
#include "schema/migrations.h"

namespace emoscope {
namespace {

// Long enough for a reader to wait out the writer's largest batch, short enough to report a
// stuck database instead of hanging.
constexpr int kBusyTimeoutMs = 10000;
// Page cache of a read-write connection, in KiB (SQLite's default is 2 MiB).
constexpr int kWriterCacheKiB = 96 * 1024;

std::string Abbreviate(std::string_view sql) {
  constexpr size_t kMaxSql = 120;
  std::string out(sql.substr(0, kMaxSql));
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  return sql.size() > kMaxSql ? out + "..." : out;
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Database::Database(const std::string& path, OpenMode mode) : path_(path) {
  const int flags =
      mode == OpenMode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    Fail("{}: cannot open database: {}", path, message);
  }
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  try {
    Exec("PRAGMA foreign_keys = ON");
    if (mode == OpenMode::kReadWrite) {
      Exec("PRAGMA journal_mode = WAL");
      // NORMAL in WAL mode: a commit survives a crash of the process (what the fault tests kill);
      // FULL adds an fsync per commit for power loss (coordinator option --sync full).
      Exec("PRAGMA synchronous = NORMAL");
      // The writer's page cache: index pages of a million-task submission stay in memory instead
      // of being re-read from the WAL (a 1M-task submit is 2x faster; bounded by kWriterCacheKiB).
      Exec(fmt::format("PRAGMA cache_size = -{}", kWriterCacheKiB));
      Migrate(*this);
    } else {
      const int version = UserVersion();
      if (version == 0) Fail("{}: not an emoscope database (schema version 0)", path);
      if (version > LatestSchemaVersion()) {
        Fail("{}: schema version {} is newer than this build knows ({})", path, version,
             LatestSchemaVersion());
      }
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

std::unique_ptr<Database> Database::MigratedCopy(Database& source) {
  auto copy = std::make_unique<Database>(":memory:", OpenMode::kReadWrite);
  sqlite3_backup* backup = sqlite3_backup_init(copy->db_, "main", source.db_, "main");
  if (backup == nullptr) Fail("{}: cannot copy the database: {}", source.path(), sqlite3_errmsg(copy->db_));
  const int step = sqlite3_backup_step(backup, -1);
  const int finish = sqlite3_backup_finish(backup);
  if (step != SQLITE_DONE || finish != SQLITE_OK)
    Fail("{}: cannot copy the database: {}", source.path(),
         sqlite3_errstr(step != SQLITE_DONE ? step : finish));
  copy->path_ = source.path();
  Migrate(*copy);
  return copy;
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

void Database::Exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    Fail("{}: {} (in: {})", path_, text, Abbreviate(sql));
  }
}

Statement Database::Prepare(std::string_view sql) { return Statement(*this, sql); }

int64_t Database::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }

int Database::Changes() const { return sqlite3_changes(db_); }

int Database::UserVersion() {
  Statement statement(*this, "PRAGMA user_version");
  statement.Step();
  return static_cast<int>(statement.ColumnInt(0));
}

Statement::Statement(Database& db, std::string_view sql) : db_(&db) {
  const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK)
    Fail("{}: cannot prepare SQL: {} (in: {})", db.path(), sqlite3_errmsg(db.handle()), Abbreviate(sql));
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

void Statement::Throw(int rc) const {
  const char* sql = sqlite3_sql(stmt_);
  Fail("{}: {} (in: {})", db_->path(), sqlite3_errmsg(db_->handle()), Abbreviate(sql != nullptr ? sql : ""));
}

Statement& Statement::Bind(int index, int64_t value) {
  if (const int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK) Throw(rc);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  if (const int rc = sqlite3_bind_double(stmt_, index, value); rc != SQLITE_OK) Throw(rc);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) Throw(rc);
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, std::string_view(*text)) : BindNull(index);
}

Statement& Statement::BindBlob(int index, const void* data, size_t size) {
  const int rc = sqlite3_bind_blob64(stmt_, index, size == 0 ? "" : data, size, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) Throw(rc);
  return *this;
}

Statement& Statement::BindNull(int index) {
  if (const int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) Throw(rc);
  return *this;
}

bool Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Keep the statement usable after a failed step (a constraint violation the caller handles).
  sqlite3_reset(stmt_);
  Throw(rc);
}

void Statement::Run() {
  while (Step()) {
  }
  Reset();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }
double Statement::ColumnDouble(int index) const { return sqlite3_column_double(stmt_, index); }
std::string Statement::ColumnText(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  return text != nullptr ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, index)))
                         : std::string();
}
bool Statement::ColumnIsNull(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }
std::string Statement::ColumnBlob(int index) const {
  const void* data = sqlite3_column_blob(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  return data == nullptr ? std::string()
                         : std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

std::string Statement::ColumnName(int index) const {
  const char* name = sqlite3_column_name(stmt_, index);
  return name == nullptr ? std::string() : std::string(name);
}

int Statement::ColumnType(int index) const { return sqlite3_column_type(stmt_, index); }

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

Transaction::Transaction(Database& db) : db_(db) { db_.Exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (done_) return;
  // A failed rollback leaves SQLite to roll back when the connection closes; nothing to add here.
  sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::Commit() {
  db_.Exec("COMMIT");
  done_ = true;
}

}  // namespace emoscope
