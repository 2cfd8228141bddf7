#include "worker/task_registry.h"

namespace emoscope {

nlohmann::json TaskOutput::AddBlob(std::string bytes) {
  blobs.push_back(std::move(bytes));
  return {{"$blob", blobs.size() - 1}};
}

void TaskRegistry::Register(const std::string& kind, TaskFunction function) {
  if (!kinds_.emplace(kind, std::move(function)).second) Fail("task kind '{}' is registered twice", kind);
}

const TaskFunction* TaskRegistry::Find(const std::string& kind) const {
  auto it = kinds_.find(kind);
  return it == kinds_.end() ? nullptr : &it->second;
}

std::vector<std::string> TaskRegistry::Kinds() const {
  std::vector<std::string> out;
  for (const auto& [kind, function] : kinds_) out.push_back(kind);
  return out;
}

TaskRegistry DefaultTaskRegistry() {
  TaskRegistry registry;
  RegisterTestKinds(registry);
  return registry;
}

}  // namespace emoscope
