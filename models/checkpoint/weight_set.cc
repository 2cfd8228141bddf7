// Model folders: a single model.safetensors or index-listed shards, and their checksum.
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/file_util.h"
#include "common/sha256.h"
#include "models/checkpoint/safetensors.h"

namespace emoscope {
namespace {

constexpr char kSingleFile[] = "model.safetensors";
constexpr char kIndexFile[] = "model.safetensors.index.json";

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The index's "weight_map": tensor name -> shard file name (a plain name inside the folder).
std::map<std::string, std::string> ReadWeightMap(const std::string& index_path) {
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(ReadFile(index_path));
  } catch (const nlohmann::json::exception& error) {
    Fail("{}: not valid JSON: {}", index_path, error.what());
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    Fail("{}: no \"weight_map\" object", index_path);
  }
  std::map<std::string, std::string> weight_map;
  for (const auto& [tensor, shard] : index["weight_map"].items()) {
    if (!shard.is_string()) Fail("{}: weight_map entry of '{}' is not a string", index_path, tensor);
    const std::string name = shard.get<std::string>();
    // Shards live in the folder itself; a path out of it is never a legitimate checkpoint.
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      Fail("{}: weight_map entry of '{}' is not a file name in the folder: '{}'", index_path, tensor, name);
    }
    weight_map[tensor] = name;
  }
  if (weight_map.empty()) Fail("{}: \"weight_map\" lists no tensors", index_path);
  return weight_map;
}

}  // namespace

WeightSet WeightSet::OpenFolder(const std::string& dir) {
  if (!IsDirectory(dir)) Fail("{}: not a directory", dir);
  const std::string single_path = JoinPath(dir, kSingleFile);
  const std::string index_path = JoinPath(dir, kIndexFile);
  WeightSet set;
  std::map<std::string, std::string> weight_map;
  if (FileExists(single_path)) {
    set.paths_.push_back(single_path);
  } else if (FileExists(index_path)) {
    weight_map = ReadWeightMap(index_path);
    std::set<std::string> shard_names;
    for (const auto& [tensor, shard] : weight_map) shard_names.insert(shard);
    for (const std::string& shard : shard_names) {
      const std::string path = JoinPath(dir, shard);
      if (!FileExists(path)) Fail("{}: shard {} is missing", index_path, path);
      set.paths_.push_back(path);
    }
  } else {
    Fail("{}: neither {} nor {} is there", dir, kSingleFile, kIndexFile);
  }

  for (const std::string& path : set.paths_) set.shards_.push_back(SafetensorsFile::Open(path));
  // Indexed only once shards_ is complete: growing the vector moves the files.
  for (const SafetensorsFile& shard : set.shards_) {
    for (const TensorView& tensor : shard.tensors()) {
      const auto [it, inserted] = set.by_name_.emplace(tensor.name, &tensor);
      if (!inserted)
        Fail("{}: tensor '{}' is in two shards: {} and {}", dir, tensor.name, it->second->file, tensor.file);
    }
  }
  for (const auto& [tensor, shard] : weight_map) {
    const TensorView* found = set.Find(tensor);
    if (found == nullptr || found->file != JoinPath(dir, shard)) {
      Fail("{}: tensor '{}' is listed in shard {}, which does not hold it", index_path, tensor, shard);
    }
  }
  return set;
}

const TensorView* WeightSet::Find(const std::string& name) const {
  const auto found = by_name_.find(name);
  return found == by_name_.end() ? nullptr : found->second;
}

std::vector<std::string> WeightSet::Names() const {
  std::vector<std::string> names;
  names.reserve(by_name_.size());
  for (const auto& entry : by_name_) names.push_back(entry.first);
  return names;
}

std::string WeightsChecksum(const std::string& dir) { return WeightsChecksum(WeightSet::OpenFolder(dir)); }

std::string WeightsChecksum(const WeightSet& weights) {
  Sha256 sha;
  // shards() is in sorted path order, and every path is dir-joined, so also in base-name order.
  for (const SafetensorsFile& shard : weights.shards()) {
    const std::string name = BaseName(shard.path());
    sha.Update(name.data(), name.size() + 1);  // the name and its terminating NUL
    sha.Update(shard.mapping().data(), shard.mapping().size());
  }
  return sha.HexDigest();
}

}  // namespace emoscope
