#include "stimuli/stimuli.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "common/error.h"
#include "common/file_util.h"
#include "stimuli/utf8.h"

#ifndef EMOSCOPE_SOURCE_STIMULI_DIR
#define EMOSCOPE_SOURCE_STIMULI_DIR ""
#endif

namespace emoscope {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr const char* kSetsFile = "sets.json";

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

std::string RequireStringField(const nlohmann::json& object, const char* field, const std::string& source,
                               int line) {
  const auto it = object.find(field);
  if (it == object.end()) Fail("{}:{}: missing field \"{}\"", source, line, field);
  if (!it->is_string())
    Fail("{}:{}: field \"{}\" must be a string, not {}", source, line, field, it->type_name());
  std::string value = it->get<std::string>();
  if (IsBlank(value)) Fail("{}:{}: field \"{}\" is empty", source, line, field);
  return value;
}

std::vector<std::string> ParseEmotionList(const nlohmann::json& list, const std::string& source,
                                          const std::string& field) {
  if (!list.is_array()) Fail("{}: field \"{}\" must be an array of emotion names", source, field);
  if (list.empty()) Fail("{}: field \"{}\" is an empty set", source, field);
  std::vector<std::string> emotions;
  std::set<std::string> seen;
  for (size_t index = 0; index < list.size(); ++index) {
    const auto& entry = list[index];
    if (!entry.is_string() || IsBlank(entry.get_ref<const std::string&>())) {
      Fail("{}: field \"{}[{}]\" must be a non-empty string", source, field, index);
    }
    const std::string& emotion = entry.get_ref<const std::string&>();
    if (!seen.insert(emotion).second)
      Fail("{}: field \"{}[{}]\": \"{}\" is listed twice", source, field, index, emotion);
    emotions.push_back(emotion);
  }
  return emotions;
}

nlohmann::json ParseJsonFile(const std::string& path) {
  const std::string contents = ReadFile(path);
  try {
    return nlohmann::json::parse(contents);
  } catch (const nlohmann::json::parse_error& error) {
    Fail("{}: malformed JSON at byte {}: {}", path, error.byte, error.what());
  }
}

std::string ExecutableDir() {
  std::string buffer(4096, '\0');
  const ssize_t length = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  if (length <= 0) return "";
  buffer.resize(static_cast<size_t>(length));
  const size_t slash = buffer.rfind('/');
  return slash == std::string::npos ? "" : buffer.substr(0, slash);
}

bool HasSetsFile(const std::string& dir) { return !dir.empty() && FileExists(JoinPath(dir, kSetsFile)); }

}  // namespace

std::vector<Stimulus> ParseStimuli(const std::string& contents, const std::string& source) {
  std::vector<Stimulus> stimuli;
  std::map<std::string, int> line_of_id;
  size_t start = 0;
  int line = 0;
  while (start < contents.size()) {
    size_t end = contents.find('\n', start);
    if (end == std::string::npos) end = contents.size();
    std::string_view text(contents.data() + start, end - start);
    start = end + 1;
    ++line;
    if (line == 1 && text.substr(0, kByteOrderMark.size()) == kByteOrderMark)
      text.remove_prefix(kByteOrderMark.size());
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (IsBlank(text)) continue;
    const size_t bad_byte = FindInvalidUtf8(text);
    if (bad_byte != std::string_view::npos) {
      Fail("{}:{}: invalid UTF-8 at byte {} of the line", source, line, bad_byte);
    }
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& error) {
      Fail("{}:{}: malformed JSON at column {}: {}", source, line, error.byte, error.what());
    }
    if (!object.is_object()) Fail("{}:{}: expected a JSON object, got {}", source, line, object.type_name());
    Stimulus stimulus;
    stimulus.id = RequireStringField(object, "id", source, line);
    stimulus.emotion = RequireStringField(object, "emotion", source, line);
    stimulus.text = RequireStringField(object, "text", source, line);
    if (object.contains("context")) stimulus.context = RequireStringField(object, "context", source, line);
    stimulus.line = line;
    const auto [previous, inserted] = line_of_id.emplace(stimulus.id, line);
    if (!inserted)
      Fail("{}:{}: duplicate id \"{}\" (first used on line {})", source, line, stimulus.id, previous->second);
    stimuli.push_back(std::move(stimulus));
  }
  return stimuli;
}

std::vector<Stimulus> LoadStimuliFile(const std::string& path) { return ParseStimuli(ReadFile(path), path); }

std::vector<EmotionSet> LoadEmotionSets(const std::string& sets_json_path) {
  const nlohmann::json root = ParseJsonFile(sets_json_path);
  if (!root.is_object()) Fail("{}: expected a JSON object at the top level", sets_json_path);
  const auto version = root.find("version");
  if (version == root.end() || !version->is_number_integer() || version->get<int>() != 1) {
    Fail("{}: field \"version\" must be 1", sets_json_path);
  }
  const auto sets = root.find("sets");
  if (sets == root.end() || !sets->is_object()) Fail("{}: field \"sets\" must be an object", sets_json_path);
  std::vector<EmotionSet> result;
  for (const auto& [name, list] : sets->items()) {
    result.push_back({name, ParseEmotionList(list, sets_json_path, "sets." + name)});
  }
  return result;
}

EmotionSet LoadEmotionSet(const std::string& name_or_path) {
  const bool is_path =
      name_or_path.find('/') != std::string::npos ||
      (name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".json") == 0);
  if (is_path) {
    const nlohmann::json root = ParseJsonFile(name_or_path);
    if (!root.is_object()) Fail("{}: expected a JSON object with \"name\" and \"emotions\"", name_or_path);
    const auto name = root.find("name");
    if (name == root.end() || !name->is_string() || IsBlank(name->get_ref<const std::string&>())) {
      Fail("{}: field \"name\" must be a non-empty string", name_or_path);
    }
    const auto emotions = root.find("emotions");
    if (emotions == root.end()) Fail("{}: missing field \"emotions\"", name_or_path);
    return {name->get<std::string>(), ParseEmotionList(*emotions, name_or_path, "emotions")};
  }
  const std::string sets_path = BuiltinStimuliFile(kSetsFile);
  std::string known;
  for (auto& set : LoadEmotionSets(sets_path)) {
    if (set.name == name_or_path) return set;
    known += (known.empty() ? "" : ", ") + set.name;
  }
  Fail("unknown emotion set \"{}\" (known in {}: {}; or give the path of a set file)", name_or_path,
       sets_path, known);
}

std::string BuiltinStimuliDir() {
  const char* from_env = std::getenv("EMOSCOPE_STIMULI_DIR");
  if (from_env != nullptr && *from_env != '\0') {
    if (!HasSetsFile(from_env)) Fail("EMOSCOPE_STIMULI_DIR={}: no {} in that folder", from_env, kSetsFile);
    return from_env;
  }
  std::vector<std::string> candidates;
  const std::string exe_dir = ExecutableDir();
  if (!exe_dir.empty()) {
    candidates.push_back(exe_dir + "/../share/emoscope/stimuli");
    candidates.push_back(exe_dir + "/../../stimuli");
    candidates.push_back(exe_dir + "/../stimuli");
  }
  candidates.emplace_back(EMOSCOPE_SOURCE_STIMULI_DIR);
  std::string tried;
  for (const auto& dir : candidates) {
    if (HasSetsFile(dir)) {
      std::error_code ignored;  // a path that cannot be normalized is still a valid path
      const auto normal = std::filesystem::weakly_canonical(dir, ignored);
      return normal.empty() ? dir : normal.string();
    }
    if (!dir.empty()) tried += (tried.empty() ? "" : ", ") + dir;
  }
  Fail("cannot find the built-in stimuli folder (a folder with {}); looked in: {}; set EMOSCOPE_STIMULI_DIR",
       kSetsFile, tried);
}

std::string BuiltinStimuliFile(const std::string& name) { return JoinPath(BuiltinStimuliDir(), name); }

std::vector<Stimulus> SelectEmotionSet(const std::vector<Stimulus>& stimuli, const EmotionSet& set) {
  const std::set<std::string> wanted(set.emotions.begin(), set.emotions.end());
  std::set<std::string> present;
  std::vector<Stimulus> selected;
  for (const auto& stimulus : stimuli) {
    if (wanted.count(stimulus.emotion) == 0) continue;
    present.insert(stimulus.emotion);
    selected.push_back(stimulus);
  }
  for (const auto& emotion : set.emotions) {
    if (present.count(emotion) == 0)
      Fail("emotion set \"{}\": no stimulus has emotion \"{}\"", set.name, emotion);
  }
  return selected;
}

std::vector<Stimulus> ShardStimuli(const std::vector<Stimulus>& stimuli, int shard_index, int num_shards) {
  if (num_shards < 1 || shard_index < 0 || shard_index >= num_shards) {
    Fail("shard {} of {}: need 0 <= shard < number of shards", shard_index, num_shards);
  }
  std::vector<Stimulus> shard;
  for (size_t position = static_cast<size_t>(shard_index); position < stimuli.size();
       position += static_cast<size_t>(num_shards)) {
    shard.push_back(stimuli[position]);
  }
  return shard;
}

}  // namespace emoscope
