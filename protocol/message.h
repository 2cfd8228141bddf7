// The coordinator-worker wire protocol, version 1 (docs/protocol.md).
//
// A message is one ZeroMQ multipart message: frame 0 is a JSON object header
//   {"v": 1, "type": "<type>", ...fields}
// and frames 1..n are binary blobs the header refers to by index (result rows write
// {"$blob": i} for a BLOB column), so float arrays travel without any text encoding.
// On the coordinator's ROUTER socket the peer's routing id comes first, before frame 0.
//
// Sizes are bounded (kMaxHeaderBytes, kMaxBlobs, kMaxMessageBytes); decoding never throws on bad
// input, it returns the reason, so a server can log it, answer `error`, and keep serving.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

namespace emoscope {

constexpr int kProtocolVersion = 1;
constexpr size_t kMaxHeaderBytes = 1 << 20;        // 1 MiB of JSON
constexpr size_t kMaxBlobs = 1024;                 // blob frames per message
constexpr int64_t kMaxMessageBytes = 256LL << 20;  // any one frame (ZMQ_MAXMSGSIZE)
// Arrays and objects nested deeper than this are refused before the header is parsed: the
// parser and the destructor of a parsed value recurse once per level, so a 100,000-deep array
// (200 KB) would overflow the stack. The deepest message a peer legitimately sends is about 6.
constexpr int kMaxJsonDepth = 64;

enum class MessageType {
  kHello,         // worker -> coordinator: identity, capabilities, capacity, leases it holds
  kWelcome,       // coordinator -> worker: timings, leases it must drop
  kRequest,       // worker -> coordinator: new capacity (free slots; 0 while draining)
  kTask,          // coordinator -> worker: a lease: task id, epoch, kind, params, model
  kProgress,      // worker -> coordinator: fraction done of a task
  kResult,        // worker -> coordinator: a task's rows (and blobs); the lease ends
  kFailure,       // worker -> coordinator: a task failed; error text, retryable or not
  kReturn,        // worker -> coordinator: a lease handed back unrun (draining)
  kAck,           // coordinator -> worker: results/failures committed (or refused)
  kHeartbeat,     // both ways
  kReset,         // coordinator -> peer: "I do not know you": say hello again
  kBye,           // worker -> coordinator: leaving; its leases are returned
  kControl,       // client -> coordinator: submit, pause, resume, cancel, retry
  kControlReply,  // coordinator -> client
  kError,         // coordinator -> peer: your message was rejected, and why
};

const char* MessageTypeName(MessageType type);
std::optional<MessageType> ParseMessageType(const std::string& name);

struct Message {
  MessageType type = MessageType::kError;
  nlohmann::json body = nlohmann::json::object();  // header fields other than v and type
  std::vector<zmq::message_t> blobs;

  Message() = default;
  Message(MessageType message_type, nlohmann::json message_body)
      : type(message_type), body(std::move(message_body)) {}
};

// Frames for a socket send (header, then blobs). Consumes the blobs.
std::vector<zmq::message_t> EncodeMessage(Message& message);

struct DecodeResult {
  std::optional<Message> message;
  std::string error;  // why decoding failed, when message is empty
};
// Decodes frames[first..]; never throws. Refuses headers over kMaxHeaderBytes, nested deeper than
// kMaxJsonDepth, or followed by more than kMaxBlobs blobs.
DecodeResult DecodeMessage(std::vector<zmq::message_t>& frames, size_t first);

// The deepest nesting of arrays and objects in `text` read as JSON (brackets inside strings do
// not count), scanning no further than max_depth + 1. Linear, no recursion.
int JsonNestingDepth(const char* text, size_t size, int max_depth);

// Typed field access for handlers: throws ProtocolError naming the message type and field.
class ProtocolError : public std::runtime_error {
 public:
  explicit ProtocolError(const std::string& message) : std::runtime_error(message) {}
};
// zmq::poll that treats a signal's interruption (EINTR) as a timeout: the caller's loop checks
// its stop flag next.
void PollIgnoringSignals(std::vector<zmq::pollitem_t>& items, std::chrono::milliseconds timeout);

int64_t RequireInt(const Message& message, const char* field);
std::string RequireString(const Message& message, const char* field);
const nlohmann::json& RequireObject(const Message& message, const char* field);
const nlohmann::json& RequireArray(const Message& message, const char* field);

}  // namespace emoscope
