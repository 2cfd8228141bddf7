// Typed reads from a parsed tokenizer.json. Every error is an emoscope::Error that names the file
// and the field, e.g. "tok/tokenizer.json: model.merges[3]: ...". Holds only the file name.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace emoscope {

class JsonReader {
 public:
  explicit JsonReader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void Fail(const std::string& field, const std::string& problem) const;

  // The member `key` of `object` (itself at `field`); Fail when `object` is not an object or
  // the member is missing.
  const nlohmann::json& Member(const nlohmann::json& object, const std::string& field, const std::string& key) const;
  // nullptr when absent or null.
  const nlohmann::json* OptionalMember(const nlohmann::json& object, const std::string& field,
                                       const std::string& key) const;
  std::string String(const nlohmann::json& object, const std::string& field, const std::string& key) const;
  // The string, or `fallback` when absent or null.
  std::string OptionalString(const nlohmann::json& object, const std::string& field, const std::string& key,
                             const std::string& fallback) const;
  bool Bool(const nlohmann::json& object, const std::string& field, const std::string& key, bool fallback) const;
  int64_t Int(const nlohmann::json& object, const std::string& field, const std::string& key) const;
  // A token id: an integer in [0, 2^31).
  int32_t Id(const nlohmann::json& value, const std::string& field) const;
  const nlohmann::json& Array(const nlohmann::json& object, const std::string& field, const std::string& key) const;
  // A single-character string (Metaspace replacement, Strip content); its UTF-8 bytes.
  std::string Char(const nlohmann::json& object, const std::string& field, const std::string& key,
                   const std::string& fallback) const;

  static std::string Join(const std::string& field, const std::string& key) {
    return field.empty() ? key : field + "." + key;
  }
  static std::string Index(const std::string& field, size_t index) {
    return field + "[" + std::to_string(index) + "]";
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace emoscope
