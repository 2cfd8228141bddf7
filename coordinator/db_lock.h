// The single-writer rule made concrete. The coordinator holds, for as long as it runs, an
// exclusive flock on the database file itself, so the lock belongs to the file (its device and
// inode), not to the name it was opened by: a second coordinator reaching the same file through a
// symlink or a hard link is refused too. (flock and SQLite's own fcntl locks do not interact on
// Linux.) It also holds an exclusive flock on "<db>.lock", with the database's path resolved
// through symlinks, and writes its endpoint there. A CLI command that wants to write (submit,
// pause, ...) with --db takes the same locks when they are free, or, when a coordinator holds
// them, reads the endpoint and asks the coordinator instead.
#pragma once

#include <optional>
#include <string>

namespace emoscope {

class DatabaseLock {
 public:
  // The lock, or nullopt when another process holds it (through any name of the file). Creates an
  // empty database file when there is none (SQLite takes an empty file for a new database).
  // Throws Error naming the file when it cannot be opened.
  static std::optional<DatabaseLock> TryAcquire(const std::string& db_path);
  // The endpoint the holding coordinator wrote, when one is running.
  static std::optional<std::string> RunningCoordinator(const std::string& db_path);

  ~DatabaseLock();
  DatabaseLock(DatabaseLock&& other) noexcept;
  DatabaseLock& operator=(DatabaseLock&&) = delete;
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;

  void WriteEndpoint(const std::string& endpoint);

 private:
  DatabaseLock(int db_fd, int fd, std::string path) : db_fd_(db_fd), fd_(fd), path_(std::move(path)) {}
  int db_fd_ = -1;  // the database file, flocked
  int fd_ = -1;     // the .lock file, flocked, holding the endpoint
  std::string path_;
};

}  // namespace emoscope
