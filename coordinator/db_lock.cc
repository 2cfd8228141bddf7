#include "coordinator/db_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace emoscope {

std::optional<DatabaseLock> DatabaseLock::TryAcquire(const std::string& db_path) {
  const std::string path = db_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) Fail("{}: cannot open lock file: {}", path, std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  return DatabaseLock(fd, path);
}

std::optional<std::string> DatabaseLock::RunningCoordinator(const std::string& db_path) {
  const std::string path = db_path + ".lock";
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
  if (fd_ >= 0) ::close(fd_);  // Closing releases the flock.
}

DatabaseLock::DatabaseLock(DatabaseLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
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
