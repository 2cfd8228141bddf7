#include "coordinator/db_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace emoscope {
namespace {

// "<db>.lock" next to the file the path names after symlinks, so every symlinked name of the
// database finds the same endpoint.
std::string LockPath(const std::string& db_path) {
  std::error_code error;
  const std::filesystem::path resolved = std::filesystem::weakly_canonical(db_path, error);
  return (error ? db_path : resolved.string()) + ".lock";
}

}  // namespace

std::optional<DatabaseLock> DatabaseLock::TryAcquire(const std::string& db_path) {
  const int db_fd = ::open(db_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (db_fd < 0) Fail("{}: cannot open the database: {}", db_path, std::strerror(errno));
  if (::flock(db_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(db_fd);
    return std::nullopt;
  }
  const std::string path = LockPath(db_path);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int open_errno = errno;
    ::close(db_fd);
    Fail("{}: cannot open lock file: {}", path, std::strerror(open_errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    ::close(db_fd);
    return std::nullopt;
  }
  return DatabaseLock(db_fd, fd, path);
}

std::optional<std::string> DatabaseLock::RunningCoordinator(const std::string& db_path) {
  const std::string path = LockPath(db_path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  // A shared lock we can take means no coordinator holds the exclusive one.
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
    ::close(fd);
    return std::nullopt;
  }
  char buffer[512];
  const ssize_t n = ::pread(fd, buffer, sizeof(buffer) - 1, 0);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  std::string endpoint(buffer, static_cast<size_t>(n));
  while (!endpoint.empty() && (endpoint.back() == '\n' || endpoint.back() == '\0')) endpoint.pop_back();
  return endpoint.empty() ? std::nullopt : std::optional<std::string>(endpoint);
}

DatabaseLock::~DatabaseLock() {
  // Closing releases the flocks.
  if (fd_ >= 0) ::close(fd_);
  if (db_fd_ >= 0) ::close(db_fd_);
}

DatabaseLock::DatabaseLock(DatabaseLock&& other) noexcept
    : db_fd_(other.db_fd_), fd_(other.fd_), path_(std::move(other.path_)) {
  other.db_fd_ = -1;
  other.fd_ = -1;
}

void DatabaseLock::WriteEndpoint(const std::string& endpoint) {
  const std::string text = endpoint + "\n";
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    Fail("{}: cannot write the coordinator endpoint: {}", path_, std::strerror(errno));
  }
}

}  // namespace emoscope
