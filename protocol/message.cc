#include "protocol/message.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

namespace emoscope {
namespace {

struct TypeName {
  MessageType type;
  const char* name;
};
constexpr TypeName kTypeNames[] = {
    {MessageType::kHello, "hello"},       {MessageType::kWelcome, "welcome"},
    {MessageType::kRequest, "request"},   {MessageType::kTask, "task"},
    {MessageType::kProgress, "progress"}, {MessageType::kResult, "result"},
    {MessageType::kFailure, "failure"},   {MessageType::kReturn, "return"},
    {MessageType::kAck, "ack"},           {MessageType::kHeartbeat, "heartbeat"},
    {MessageType::kReset, "reset"},       {MessageType::kBye, "bye"},
    {MessageType::kControl, "control"},   {MessageType::kControlReply, "control_reply"},
    {MessageType::kError, "error"},
};

const nlohmann::json& Field(const Message& message, const char* field) {
  auto it = message.body.find(field);
  if (it == message.body.end()) {
    throw ProtocolError(
        fmt::format("{} message: field '{}' is missing", MessageTypeName(message.type), field));
  }
  return *it;
}

[[noreturn]] void WrongType(const Message& message, const char* field, const char* want) {
  throw ProtocolError(
      fmt::format("{} message: field '{}' must be {}", MessageTypeName(message.type), field, want));
}

}  // namespace

const char* MessageTypeName(MessageType type) {
  for (const TypeName& entry : kTypeNames) {
    if (entry.type == type) return entry.name;
  }
  return "?";
}

std::optional<MessageType> ParseMessageType(const std::string& name) {
  for (const TypeName& entry : kTypeNames) {
    if (name == entry.name) return entry.type;
  }
  return std::nullopt;
}

std::vector<zmq::message_t> EncodeMessage(Message& message) {
  nlohmann::json header = message.body;
  header["v"] = kProtocolVersion;
  header["type"] = MessageTypeName(message.type);
  std::vector<zmq::message_t> frames;
  frames.reserve(1 + message.blobs.size());
  const std::string text = header.dump();
  frames.emplace_back(text.data(), text.size());
  for (zmq::message_t& blob : message.blobs) frames.push_back(std::move(blob));
  message.blobs.clear();
  return frames;
}

DecodeResult DecodeMessage(std::vector<zmq::message_t>& frames, size_t first) {
  DecodeResult result;
  if (frames.size() <= first) {
    result.error = "empty message (no header frame)";
    return result;
  }
  const zmq::message_t& header_frame = frames[first];
  if (header_frame.size() > kMaxHeaderBytes) {
    result.error =
        fmt::format("header of {} bytes exceeds the limit of {}", header_frame.size(), kMaxHeaderBytes);
    return result;
  }
  if (frames.size() - first - 1 > kMaxBlobs) {
    result.error = fmt::format("{} blob frames exceed the limit of {}", frames.size() - first - 1, kMaxBlobs);
    return result;
  }
  const int depth = JsonNestingDepth(header_frame.data<char>(), header_frame.size(), kMaxJsonDepth);
  if (depth > kMaxJsonDepth) {
    result.error = fmt::format("header nests arrays or objects deeper than the limit of {}", kMaxJsonDepth);
    return result;
  }
  nlohmann::json header =
      nlohmann::json::parse(header_frame.data<char>(), header_frame.data<char>() + header_frame.size(),
                            /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) {
    result.error = "header is not valid JSON";
    return result;
  }
  if (!header.is_object()) {
    result.error = "header is not a JSON object";
    return result;
  }
  auto version = header.find("v");
  if (version == header.end() || !version->is_number_integer()) {
    result.error = "header has no integer field 'v' (protocol version)";
    return result;
  }
  if (version->get<int64_t>() != kProtocolVersion) {
    result.error = fmt::format("protocol version {} is not supported (this side speaks {})", version->dump(),
                               kProtocolVersion);
    return result;
  }
  auto type = header.find("type");
  if (type == header.end() || !type->is_string()) {
    result.error = "header has no string field 'type'";
    return result;
  }
  const std::optional<MessageType> parsed_type = ParseMessageType(type->get<std::string>());
  if (!parsed_type) {
    result.error = fmt::format("unknown message type '{}'", type->get<std::string>().substr(0, 64));
    return result;
  }
  header.erase("v");
  header.erase("type");
  Message message(*parsed_type, std::move(header));
  for (size_t index = first + 1; index < frames.size(); ++index)
    message.blobs.push_back(std::move(frames[index]));
  result.message = std::move(message);
  return result;
}

int JsonNestingDepth(const char* text, size_t size, int max_depth) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t index = 0; index < size; ++index) {
    const char c = text[index];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > max_depth) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

void PollIgnoringSignals(std::vector<zmq::pollitem_t>& items, std::chrono::milliseconds timeout) {
  try {
    zmq::poll(items, timeout);
  } catch (const zmq::error_t& error) {
    if (error.num() != EINTR) throw;
  }
}

int64_t RequireInt(const Message& message, const char* field) {
  const nlohmann::json& value = Field(message, field);
  if (!value.is_number_integer()) WrongType(message, field, "an integer");
  return value.get<int64_t>();
}

std::string RequireString(const Message& message, const char* field) {
  const nlohmann::json& value = Field(message, field);
  if (!value.is_string()) WrongType(message, field, "a string");
  return value.get<std::string>();
}

const nlohmann::json& RequireObject(const Message& message, const char* field) {
  const nlohmann::json& value = Field(message, field);
  if (!value.is_object()) WrongType(message, field, "an object");
  return value;
}

const nlohmann::json& RequireArray(const Message& message, const char* field) {
  const nlohmann::json& value = Field(message, field);
  if (!value.is_array()) WrongType(message, field, "an array");
  return value;
}

}  // namespace emoscope
