// Typed, bounded views of the protocol's messages (docs/protocol.md): every decoded message is
// parsed into one of these structs before any handler uses it, so a handler never meets a
// missing field, a wrong type, an out-of-range number or an unbounded list.
//
// Each Parse* function checks types, ranges and counts and throws ProtocolError naming the
// message type and the field ("hello message: field 'info.pid' must be an integer"); it never
// changes anything, so a refused message leaves no trace but the refusal. Nesting depth is
// bounded earlier, by DecodeMessage (kMaxJsonDepth), before the header is parsed at all.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/message.h"

namespace emoscope {

// Capacity one worker may ask for (slots + prefetch). A peer asking for more is refused: with no
// bound, one hello could lease a whole campaign.
constexpr int64_t kMaxWorkerCapacity = 4096;
// Lease claims in one hello: a worker holds at most its capacity plus the reports not yet
// acknowledged, so twice the capacity cap is generous.
constexpr size_t kMaxLeaseClaims = 2 * kMaxWorkerCapacity;
// Loaded-model checksums one worker may list, and the longest checksum accepted.
constexpr size_t kMaxLoadedModels = 256;
constexpr size_t kMaxChecksumBytes = 128;
// Free-text fields announced by a worker (host, device, a kind's name) and their lists.
constexpr size_t kMaxInfoStringBytes = 256;
constexpr size_t kMaxKinds = 256;
constexpr size_t kMaxVersionsBytes = 4096;
// A failure's error text is kept up to this many bytes (longer text is cut, not refused).
constexpr size_t kMaxErrorBytes = 4000;
// Timings a worker accepts from a welcome: positive and at most a day.
constexpr int64_t kMaxTimingMs = 24LL * 3600 * 1000;
// A session credential: 32 lowercase hex characters (128 random bits).
constexpr size_t kSessionHexChars = 32;

struct LeaseClaim {
  int64_t task_id = 0;
  int64_t epoch = 0;
};

struct WorkerInfo {
  std::string host;
  int64_t pid = 0;
  std::string device;
  int64_t memory_bytes = 0;
  std::string versions_json = "{}";  // the `versions` object as compact JSON
  std::vector<std::string> kinds;
};

struct HelloMessage {
  int64_t capacity = 0;                                   // 0..kMaxWorkerCapacity
  std::vector<LeaseClaim> leases;                         // at most kMaxLeaseClaims
  std::optional<std::vector<std::string>> loaded_models;  // absent: not announced
  WorkerInfo info;                                        // defaults when `info` is absent
  std::string session;                                    // "" or the session a welcome issued
};

// request, heartbeat and progress: what changes the worker's state besides being alive.
struct WorkerUpdate {
  std::string session;
  std::optional<int64_t> capacity;                        // request only
  std::optional<std::vector<std::string>> loaded_models;  // heartbeat (optional)
};

// result, failure and return.
struct OutcomeMessage {
  MessageType type = MessageType::kResult;
  int64_t task_id = 0;
  int64_t epoch = 0;
  std::string session;
  nlohmann::json rows = nlohmann::json::object();  // result: {table: [row]} (checked on insert)
  std::string error;                               // failure, at most kMaxErrorBytes
  bool retryable = true;                           // failure
};

struct ControlMessage {
  std::string op;                                      // submit, pause, resume, cancel, retry
  nlohmann::json resolved = nlohmann::json::object();  // submit: the parsed, resolved campaign
                                                       // (jobs/campaign_wire.h, checked there)
  std::string campaign;                                // the others: the campaign's name
};

struct WelcomeMessage {
  int64_t heartbeat_ms = 0;  // 1..kMaxTimingMs
  int64_t lease_ms = 0;      // 1..kMaxTimingMs
  int64_t coordinator_run = 0;
  std::string session;
  std::vector<LeaseClaim> revoked;
};

HelloMessage ParseHello(const Message& message);
WorkerUpdate ParseWorkerUpdate(const Message& message);  // request, heartbeat, progress, bye
OutcomeMessage ParseOutcome(const Message& message);
ControlMessage ParseControl(const Message& message);
WelcomeMessage ParseWelcome(const Message& message);

// Whether `text` has the form of a session credential (not whether it is a valid one).
bool IsSessionText(const std::string& text);

}  // namespace emoscope
