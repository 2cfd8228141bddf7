// A bounded cache of loaded models, shared by a worker's executor threads. Models are opaque to
// the worker (a libtorch module, a tokenizer...): the loader makes one, the cache keeps at most
// `capacity` of them by weight checksum and evicts the least recently used. A model in use by a
// running task stays alive until that task drops its reference.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace emoscope {

class ModelCache {
 public:
  explicit ModelCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The cached model, or `load()`'s, cached. Loads run under the cache's lock: two tasks never
  // load the same model twice at once. Thread-safe.
  std::shared_ptr<void> Get(const std::string& checksum, const std::function<std::shared_ptr<void>()>& load);
  // Checksums of the cached models, most recently used first (announced to the coordinator).
  std::vector<std::string> Loaded() const;

 private:
  struct Entry {
    std::string checksum;
    std::shared_ptr<void> model;
  };
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // guarded by mutex_; front is the most recently used
};

}  // namespace emoscope
