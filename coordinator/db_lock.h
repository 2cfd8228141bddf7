// The single-writer rule made concrete: the coordinator holds an exclusive flock on
// "<db>.lock" for as long as it runs, and writes its endpoint into that file. A CLI command that
// wants to write (submit, pause, ...) with --db takes the same lock when it is free, or, when a
// coordinator holds it, reads the endpoint and asks the coordinator instead.
#pragma once

#include <optional>
#include <string>

namespace emoscope {

class DatabaseLock {
 public:
  // The lock, or nullopt when another process holds it. Throws Error naming the lock file when
  // it cannot be opened.
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
  DatabaseLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace emoscope
