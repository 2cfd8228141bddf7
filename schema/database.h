// A small RAII wrapper over sqlite3: Database (a connection), Statement (a prepared statement) and
// Transaction (BEGIN IMMEDIATE ... COMMIT, rolled back when destroyed uncommitted).
//
// Threading: a Database and its Statements belong to one thread at a time.
// Errors: every failing SQLite call throws emoscope::Error naming the database file and the SQL.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace emoscope {

enum class OpenMode {
  kReadWrite,  // Creates the file when missing and applies pending migrations.
  kReadOnly,   // Fails when the file is missing; never writes.
};

class Statement;

class Database {
 public:
  // Opens `path` in WAL mode with foreign keys on and a busy timeout, so readers and the one
  // writer can share the file. Read-write opens migrate the schema to the newest version.
  Database(const std::string& path, OpenMode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void Exec(const std::string& sql);
  Statement Prepare(std::string_view sql);
  int64_t LastInsertId() const;
  int Changes() const;
  // PRAGMA user_version: the schema version the file is at.
  int UserVersion();
  const std::string& path() const { return path_; }
  // A read-only file of an older schema cannot take the migrations (they rebuild tables): an
  // in-memory copy of it (sqlite3 backup), migrated to the newest version, that names itself
  // after the file in every message. Memory: the size of the file.
  static std::unique_ptr<Database> MigratedCopy(Database& source);
  sqlite3* handle() const { return db_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// A prepared statement; move-only, finalized in its destructor. Bind indexes start at 1, column
// indexes at 0, as in SQLite.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) { return Bind(index, std::string_view(text)); }
  Statement& BindBlob(int index, const void* data, size_t size);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<std::string>& text);

  // Advances to the next row: true when a row is available, false when done.
  bool Step();
  // Runs a statement that returns no rows, then resets it for reuse.
  void Run();
  void Reset();

  int64_t ColumnInt(int index) const;
  double ColumnDouble(int index) const;
  std::string ColumnText(int index) const;
  bool ColumnIsNull(int index) const;
  std::string ColumnBlob(int index) const;
  std::string ColumnName(int index) const;
  int ColumnType(int index) const;  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL
  int ColumnCount() const;

 private:
  [[noreturn]] void Throw(int rc) const;

  Database* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so a busy database fails at the
// start, not half-way); ROLLBACK in the destructor unless Commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  Database& db_;
  bool done_ = false;
};

// Milliseconds since the Unix epoch: the time unit of every timestamp column.
int64_t NowMs();

}  // namespace emoscope
