#include "protocol/message_schema.h"

#include <fmt/format.h>

namespace emoscope {
namespace {

// Reads fields of one JSON object, naming the message type and the field's path in errors.
class Reader {
 public:
  Reader(const Message& message, const nlohmann::json& object, std::string prefix)
      : type_(MessageTypeName(message.type)), object_(object), prefix_(std::move(prefix)) {}

  [[noreturn]] void Fail(const std::string& field, const std::string& what) const {
    throw ProtocolError(fmt::format("{} message: field '{}{}' {}", type_, prefix_, field, what));
  }

  const nlohmann::json* Find(const char* field) const {
    auto it = object_.find(field);
    return it == object_.end() ? nullptr : &*it;
  }

  const nlohmann::json& Need(const char* field) const {
    const nlohmann::json* value = Find(field);
    if (value == nullptr) Fail(field, "is missing");
    return *value;
  }

  int64_t Int(const char* field, int64_t min, int64_t max) const {
    return IntValue(field, Need(field), min, max);
  }

  std::optional<int64_t> OptionalInt(const char* field, int64_t min, int64_t max) const {
    const nlohmann::json* value = Find(field);
    if (value == nullptr) return std::nullopt;
    return IntValue(field, *value, min, max);
  }

  int64_t IntValue(const std::string& field, const nlohmann::json& value, int64_t min, int64_t max) const {
    if (!value.is_number_integer()) Fail(field, "must be an integer");
    // An unsigned value above int64's range is not an int64: refuse it instead of wrapping.
    if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      Fail(field, fmt::format("must be at most {}", max));
    const int64_t number = value.get<int64_t>();
    if (number < min || number > max)
      Fail(field, fmt::format("must be in [{}, {}], got {}", min, max, number));
    return number;
  }

  std::string String(const char* field, size_t max_bytes) const {
    return StringValue(field, Need(field), max_bytes);
  }

  std::string OptionalString(const char* field, size_t max_bytes) const {
    const nlohmann::json* value = Find(field);
    return value == nullptr ? std::string() : StringValue(field, *value, max_bytes);
  }

  std::string StringValue(const std::string& field, const nlohmann::json& value, size_t max_bytes) const {
    if (!value.is_string()) Fail(field, "must be a string");
    const std::string& text = value.get_ref<const std::string&>();
    if (text.size() > max_bytes)
      Fail(field, fmt::format("is {} bytes, more than the limit of {}", text.size(), max_bytes));
    return text;
  }

  std::vector<std::string> Strings(const char* field, size_t max_count, size_t max_bytes) const {
    const nlohmann::json& list = Need(field);
    if (!list.is_array()) Fail(field, "must be an array of strings");
    if (list.size() > max_count)
      Fail(field, fmt::format("has {} entries, more than the limit of {}", list.size(), max_count));
    std::vector<std::string> out;
    out.reserve(list.size());
    for (size_t index = 0; index < list.size(); ++index)
      out.push_back(StringValue(fmt::format("{}[{}]", field, index), list[index], max_bytes));
    return out;
  }

  std::optional<std::vector<std::string>> OptionalStrings(const char* field, size_t max_count,
                                                          size_t max_bytes) const {
    if (Find(field) == nullptr) return std::nullopt;
    return Strings(field, max_count, max_bytes);
  }

  std::vector<LeaseClaim> Claims(const char* field, size_t max_count) const {
    const nlohmann::json& list = Need(field);
    if (!list.is_array()) Fail(field, "must be an array of {task_id, epoch}");
    if (list.size() > max_count)
      Fail(field, fmt::format("has {} entries, more than the limit of {}", list.size(), max_count));
    std::vector<LeaseClaim> out;
    out.reserve(list.size());
    for (size_t index = 0; index < list.size(); ++index) {
      const nlohmann::json& entry = list[index];
      const std::string name = fmt::format("{}[{}]", field, index);
      if (!entry.is_object()) Fail(name, "must be an object {task_id, epoch}");
      const auto task_id = entry.find("task_id");
      const auto epoch = entry.find("epoch");
      if (task_id == entry.end() || epoch == entry.end()) Fail(name, "must have task_id and epoch");
      out.push_back({IntValue(name + ".task_id", *task_id, 1, INT64_MAX),
                     IntValue(name + ".epoch", *epoch, 1, INT64_MAX)});
    }
    return out;
  }

  std::string Session() const {
    std::string session = OptionalString("session", kSessionHexChars);
    if (!session.empty() && !IsSessionText(session)) Fail("session", "must be 32 lowercase hex characters");
    return session;
  }

 private:
  const char* type_;
  const nlohmann::json& object_;
  std::string prefix_;
};

WorkerInfo ParseInfo(const Message& message) {
  WorkerInfo info;
  auto found = message.body.find("info");
  if (found == message.body.end()) return info;
  if (!found->is_object()) Reader(message, message.body, "").Fail("info", "must be an object");
  const Reader reader(message, *found, "info.");
  info.host = reader.OptionalString("host", kMaxInfoStringBytes);
  info.pid = reader.OptionalInt("pid", 0, INT64_MAX).value_or(0);
  info.device = reader.OptionalString("device", kMaxInfoStringBytes);
  info.memory_bytes = reader.OptionalInt("memory_bytes", 0, INT64_MAX).value_or(0);
  if (const nlohmann::json* versions = reader.Find("versions")) {
    if (!versions->is_object()) reader.Fail("versions", "must be an object");
    info.versions_json = versions->dump();
    if (info.versions_json.size() > kMaxVersionsBytes)
      reader.Fail("versions", fmt::format("is more than {} bytes", kMaxVersionsBytes));
  }
  if (reader.Find("kinds") != nullptr) info.kinds = reader.Strings("kinds", kMaxKinds, kMaxInfoStringBytes);
  return info;
}

}  // namespace

bool IsSessionText(const std::string& text) {
  if (text.size() != kSessionHexChars) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

HelloMessage ParseHello(const Message& message) {
  const Reader reader(message, message.body, "");
  HelloMessage hello;
  hello.capacity = reader.Int("capacity", 0, kMaxWorkerCapacity);
  hello.leases = reader.Claims("leases", kMaxLeaseClaims);
  hello.loaded_models = reader.OptionalStrings("loaded_models", kMaxLoadedModels, kMaxChecksumBytes);
  hello.info = ParseInfo(message);
  hello.session = reader.Session();
  return hello;
}

WorkerUpdate ParseWorkerUpdate(const Message& message) {
  const Reader reader(message, message.body, "");
  WorkerUpdate update;
  update.session = reader.Session();
  update.loaded_models = reader.OptionalStrings("loaded_models", kMaxLoadedModels, kMaxChecksumBytes);
  if (message.type == MessageType::kRequest) update.capacity = reader.Int("capacity", 0, kMaxWorkerCapacity);
  if (message.type == MessageType::kProgress) {
    reader.Int("task_id", 1, INT64_MAX);
    reader.Int("epoch", 1, INT64_MAX);
    if (const nlohmann::json* fraction = reader.Find("fraction");
        fraction != nullptr && !fraction->is_number())
      reader.Fail("fraction", "must be a number");
  }
  return update;
}

OutcomeMessage ParseOutcome(const Message& message) {
  const Reader reader(message, message.body, "");
  OutcomeMessage outcome;
  outcome.type = message.type;
  outcome.task_id = reader.Int("task_id", 1, INT64_MAX);
  outcome.epoch = reader.Int("epoch", 1, INT64_MAX);
  outcome.session = reader.Session();
  if (message.type == MessageType::kResult) {
    if (const nlohmann::json* rows = reader.Find("rows")) {
      if (!rows->is_object()) reader.Fail("rows", "must be an object {table: [row]}");
      for (const auto& [table, list] : rows->items()) {
        if (!list.is_array()) reader.Fail("rows." + table, "must be an array of rows");
        for (const nlohmann::json& row : list) {
          if (!row.is_object()) reader.Fail("rows." + table, "must hold objects {column: value}");
        }
      }
      outcome.rows = *rows;
    }
  } else if (message.type == MessageType::kFailure) {
    const nlohmann::json& error = reader.Need("error");
    if (!error.is_string()) reader.Fail("error", "must be a string");
    outcome.error = error.get_ref<const std::string&>().substr(0, kMaxErrorBytes);
    if (const nlohmann::json* retryable = reader.Find("retryable")) {
      if (!retryable->is_boolean()) reader.Fail("retryable", "must be true or false");
      outcome.retryable = retryable->get<bool>();
    }
  }
  return outcome;
}

ControlMessage ParseControl(const Message& message) {
  const Reader reader(message, message.body, "");
  ControlMessage control;
  control.op = reader.String("op", 64);
  if (control.op == "submit") {
    // Campaign files are parsed by the client; a coordinator never parses YAML or reads weights.
    if (reader.Find("resolved") == nullptr)
      reader.Fail("resolved",
                  "is missing: submit sends the parsed, resolved campaign (emoscope submit does)");
    control.resolved = reader.Need("resolved");
    if (!control.resolved.is_object()) reader.Fail("resolved", "must be an object");
  } else {
    control.campaign = reader.String("campaign", 4096);
  }
  return control;
}

WelcomeMessage ParseWelcome(const Message& message) {
  const Reader reader(message, message.body, "");
  WelcomeMessage welcome;
  welcome.heartbeat_ms = reader.Int("heartbeat_ms", 1, kMaxTimingMs);
  welcome.lease_ms = reader.Int("lease_ms", 1, kMaxTimingMs);
  welcome.coordinator_run = reader.OptionalInt("coordinator_run", 0, INT64_MAX).value_or(0);
  welcome.session = reader.Session();
  welcome.revoked = reader.Claims("revoked", kMaxLeaseClaims);
  return welcome;
}

}  // namespace emoscope
