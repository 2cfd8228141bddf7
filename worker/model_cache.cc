#include "worker/model_cache.h"

namespace emoscope {

std::shared_ptr<void> ModelCache::Get(const std::string& checksum,
                                      const std::function<std::shared_ptr<void>()>& load) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->checksum == checksum) {
      entries_.splice(entries_.begin(), entries_, it);
      return entries_.front().model;
    }
  }
  std::shared_ptr<void> model = load();
  entries_.push_front({checksum, model});
  while (entries_.size() > capacity_) entries_.pop_back();
  return model;
}

std::vector<std::string> ModelCache::Loaded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  for (const Entry& entry : entries_) out.push_back(entry.checksum);
  return out;
}

}  // namespace emoscope
