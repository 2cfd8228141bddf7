#include "models/training/train_checkpoint.h"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "common/error.h"
#include "common/file_util.h"
#include "models/runtime/tensor_file.h"

namespace emoscope {
namespace {

constexpr const char* kFormat = "emoscope-training-checkpoint";
const std::string kParam = "param/";
const std::string kFirst = "adam_m/";
const std::string kSecond = "adam_v/";

bool StartsWith(const std::string& text, const std::string& prefix) { return text.compare(0, prefix.size(), prefix) == 0; }

}  // namespace

void WriteTrainingState(const std::string& dir, const TrainingState& state) {
  const std::string tensor_name = fmt::format("state-{:08d}.safetensors", state.step);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& [prefix, source] : {std::pair{&kParam, &state.parameters}, std::pair{&kFirst, &state.first_moments},
                                       std::pair{&kSecond, &state.second_moments}}) {
    for (const auto& [name, tensor] : *source) tensors.emplace_back(*prefix + name, tensor.detach());
  }
  const std::string tensor_path = JoinPath(dir, tensor_name);
  const std::string temporary = tensor_path + ".tmp";
  WriteTensorFile(temporary, tensors, {{"format", kFormat}});
  if (std::rename(temporary.c_str(), tensor_path.c_str()) != 0) Fail("{}: cannot rename into place", tensor_path);

  nlohmann::ordered_json json;
  json["format"] = kFormat;
  json["version"] = kTrainingStateVersion;
  json["step"] = state.step;
  json["tensors"] = tensor_name;
  json["elapsed_seconds"] = state.elapsed_seconds;
  json["cpu_seconds"] = state.cpu_seconds;
  json["identity"] = state.identity;
  json["history"] = state.history;
  WriteFileAtomic(JoinPath(dir, "state.json"), json.dump(1) + "\n");

  // Only after the commit: the tensor files of earlier checkpoints are no longer referenced.
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (StartsWith(name, "state-") && name != tensor_name) {
      std::error_code ignored;
      std::filesystem::remove(entry.path(), ignored);
    }
  }
}

std::optional<TrainingState> ReadTrainingState(const std::string& dir) {
  const std::string path = JoinPath(dir, "state.json");
  if (!FileExists(path)) return std::nullopt;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(ReadFile(path));
  } catch (const nlohmann::json::exception& error) {
    Fail("{}: not valid JSON: {}", path, error.what());
  }
  auto field = [&](const char* name) -> const nlohmann::json& {
    if (!json.is_object() || !json.contains(name)) Fail("{}: missing field '{}'", path, name);
    return json.at(name);
  };
  if (field("format") != kFormat) Fail("{}: field 'format' is not \"{}\"", path, kFormat);
  if (field("version") != kTrainingStateVersion) {
    Fail("{}: field 'version' is {}, this program reads version {}", path, field("version").dump(), kTrainingStateVersion);
  }
  TrainingState state;
  try {
    state.step = field("step").get<int64_t>();
    state.elapsed_seconds = field("elapsed_seconds").get<double>();
    state.cpu_seconds = field("cpu_seconds").get<double>();
    state.identity = nlohmann::ordered_json::parse(field("identity").dump());
    state.history = field("history");
  } catch (const nlohmann::json::exception& error) {
    Fail("{}: a field has the wrong type: {}", path, error.what());
  }
  if (state.step < 0) Fail("{}: field 'step' is negative", path);
  if (!field("tensors").is_string()) Fail("{}: field 'tensors' is not a string", path);
  const std::string tensor_path = JoinPath(dir, field("tensors").get<std::string>());
  if (!FileExists(tensor_path)) Fail("{}: field 'tensors' names {}, which does not exist", path, tensor_path);
  for (auto& [name, tensor] : ReadTensorFile(tensor_path)) {
    if (StartsWith(name, kParam)) {
      state.parameters[name.substr(kParam.size())] = tensor;
    } else if (StartsWith(name, kFirst)) {
      state.first_moments[name.substr(kFirst.size())] = tensor;
    } else if (StartsWith(name, kSecond)) {
      state.second_moments[name.substr(kSecond.size())] = tensor;
    } else {
      Fail("{}: unexpected tensor '{}'", tensor_path, name);
    }
  }
  return state;
}

}  // namespace emoscope
