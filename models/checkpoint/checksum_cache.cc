#include "models/checkpoint/checksum_cache.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "common/log.h"
#include "models/checkpoint/safetensors.h"

namespace emoscope {
namespace {

using nlohmann::json;

int64_t Nanoseconds(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// What identifies the current contents of the folder's weight files.
json FileStamps(const std::vector<std::string>& files) {
  json stamps = json::array();
  for (const std::string& file : files) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) Fail("{}: cannot stat: {}", file, std::strerror(errno));
    stamps.push_back({{"name", std::filesystem::path(file).filename().string()},
                      {"size", static_cast<int64_t>(info.st_size)},
                      {"inode", static_cast<uint64_t>(info.st_ino)},
                      {"mtime_ns", Nanoseconds(info.st_mtim)},
                      {"ctime_ns", Nanoseconds(info.st_ctim)}});
  }
  return stamps;
}

json ReadCache(const std::string& path) {
  if (!FileExists(path)) return json::object();
  try {
    json root = json::parse(ReadFile(path));
    if (root.is_object() && root.value("format", "") == "emoscope-checksum-cache" &&
        root.contains("entries") && root["entries"].is_object()) {
      return root["entries"];
    }
  } catch (const std::exception& error) {
    spdlog::debug("{}: ignoring a damaged checksum cache: {}", path, error.what());
  }
  return json::object();
}

}  // namespace

std::string ChecksumCachePath() {
  if (const char* set = std::getenv("EMOSCOPE_CHECKSUM_CACHE"); set != nullptr && *set != '\0') {
    return std::string(set) == "off" ? "" : set;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return std::string(xdg) + "/emoscope/checksums.json";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
    return std::string(home) + "/.cache/emoscope/checksums.json";
  }
  return "";
}

std::string CachedWeightsChecksum(const std::string& dir) {
  const std::string cache = ChecksumCachePath();
  if (cache.empty()) return WeightsChecksum(dir);
  std::error_code ignored;
  const std::string key = std::filesystem::weakly_canonical(std::filesystem::absolute(dir), ignored).string();
  const WeightSet weights = WeightSet::OpenFolder(dir);  // validated once, hashed only on a miss
  const std::vector<std::string>& files = weights.files();
  const json stamps = FileStamps(files);
  json entries = ReadCache(cache);
  if (entries.contains(key) && entries[key].is_object() && entries[key].value("files", json()) == stamps &&
      entries[key].contains("checksum") && entries[key]["checksum"].is_string()) {
    return entries[key]["checksum"].get<std::string>();
  }
  const std::string checksum = WeightsChecksum(weights);
  // The files may have changed while they were hashed: keep the entry only if they did not.
  if (FileStamps(files) != stamps) return checksum;
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  entries[key] = {{"files", stamps}, {"checksum", checksum}, {"stored_ns", Nanoseconds(now)}};
  while (entries.size() > kMaxChecksumCacheEntries) {  // drop the oldest
    std::string oldest;
    int64_t when = INT64_MAX;
    for (const auto& [name, entry] : entries.items()) {
      const int64_t stored = entry.is_object() ? entry.value("stored_ns", int64_t{0}) : 0;
      if (stored < when) when = stored, oldest = name;
    }
    entries.erase(oldest);
  }
  try {
    std::filesystem::create_directories(std::filesystem::path(cache).parent_path());
    WriteFileAtomic(
        cache, json{{"format", "emoscope-checksum-cache"}, {"version", 1}, {"entries", entries}}.dump(1));
  } catch (const std::exception& error) {
    spdlog::debug("{}: checksum cache not written: {}", cache, error.what());
  }
  return checksum;
}

}  // namespace emoscope
