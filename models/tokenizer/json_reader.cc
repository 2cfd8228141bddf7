#include "models/tokenizer/json_reader.h"

#include "common/error.h"
#include "models/tokenizer/unicode.h"

namespace emoscope {

void JsonReader::Fail(const std::string& field, const std::string& problem) const {
  emoscope::Fail("{}: {}: {}", path_, field.empty() ? "(top level)" : field, problem);
}

const nlohmann::json& JsonReader::Member(const nlohmann::json& object, const std::string& field,
                                         const std::string& key) const {
  if (!object.is_object()) Fail(field, "expected an object");
  const auto it = object.find(key);
  if (it == object.end()) Fail(Join(field, key), "missing");
  return *it;
}

const nlohmann::json* JsonReader::OptionalMember(const nlohmann::json& object, const std::string& field,
                                                 const std::string& key) const {
  if (!object.is_object()) Fail(field, "expected an object");
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string JsonReader::String(const nlohmann::json& object, const std::string& field, const std::string& key) const {
  const nlohmann::json& value = Member(object, field, key);
  if (!value.is_string()) Fail(Join(field, key), "expected a string");
  return value.get<std::string>();
}

std::string JsonReader::OptionalString(const nlohmann::json& object, const std::string& field,
                                       const std::string& key, const std::string& fallback) const {
  const nlohmann::json* value = OptionalMember(object, field, key);
  if (value == nullptr) return fallback;
  if (!value->is_string()) Fail(Join(field, key), "expected a string");
  return value->get<std::string>();
}

bool JsonReader::Bool(const nlohmann::json& object, const std::string& field, const std::string& key,
                      bool fallback) const {
  const nlohmann::json* value = OptionalMember(object, field, key);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) Fail(Join(field, key), "expected true or false");
  return value->get<bool>();
}

int64_t JsonReader::Int(const nlohmann::json& object, const std::string& field, const std::string& key) const {
  const nlohmann::json& value = Member(object, field, key);
  if (!value.is_number_integer()) Fail(Join(field, key), "expected an integer");
  return value.get<int64_t>();
}

int32_t JsonReader::Id(const nlohmann::json& value, const std::string& field) const {
  if (!value.is_number_integer()) Fail(field, "expected an integer token id");
  const int64_t id = value.get<int64_t>();
  if (id < 0 || id > INT32_MAX) Fail(field, "token id " + std::to_string(id) + " is out of range");
  return static_cast<int32_t>(id);
}

const nlohmann::json& JsonReader::Array(const nlohmann::json& object, const std::string& field,
                                        const std::string& key) const {
  const nlohmann::json& value = Member(object, field, key);
  if (!value.is_array()) Fail(Join(field, key), "expected an array");
  return value;
}

std::string JsonReader::Char(const nlohmann::json& object, const std::string& field, const std::string& key,
                             const std::string& fallback) const {
  const std::string value = OptionalString(object, field, key, fallback);
  size_t length = 0;
  if (value.empty() || unicode::DecodeAt(value, 0, &length) >= unicode::kInvalidByteBase || length != value.size()) {
    Fail(Join(field, key), "expected a single character, got '" + value + "'");
  }
  return value;
}

}  // namespace emoscope
