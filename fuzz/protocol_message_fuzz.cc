// Fuzzes the wire protocol decoder with arbitrary multipart messages. Decoding must never throw;
// a decoded message must survive re-encoding, and the typed field accessors and the typed
// message parsers (protocol/message_schema.h) may throw only ProtocolError: anything else (a JSON
// type_error, a crash) is what once stopped the coordinator.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

#include "protocol/message.h"
#include "protocol/message_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider provider(data, size);
  std::vector<zmq::message_t> frames;
  const int count = provider.ConsumeIntegralInRange<int>(0, 6);
  for (int index = 0; index < count; ++index) {
    const std::string frame = index + 1 == count ? provider.ConsumeRemainingBytesAsString()
                                                 : provider.ConsumeRandomLengthString(4096);
    frames.emplace_back(frame.data(), frame.size());
  }
  emoscope::DecodeResult decoded = emoscope::DecodeMessage(frames, 0);
  if (!decoded.message) {
    if (decoded.error.empty()) std::abort();  // a failure must say why
    return 0;
  }
  emoscope::Message& message = *decoded.message;
  for (const char* field : {"task_id", "epoch", "capacity", "kind", "leases", "rows", "info"}) {
    try {
      emoscope::RequireInt(message, field);
    } catch (const emoscope::ProtocolError&) {
    }
    try {
      emoscope::RequireString(message, field);
    } catch (const emoscope::ProtocolError&) {
    }
    try {
      emoscope::RequireArray(message, field);
    } catch (const emoscope::ProtocolError&) {
    }
    try {
      emoscope::RequireObject(message, field);
    } catch (const emoscope::ProtocolError&) {
    }
  }
  try {
    switch (message.type) {
      case emoscope::MessageType::kHello:
        emoscope::ParseHello(message);
        break;
      case emoscope::MessageType::kRequest:
      case emoscope::MessageType::kHeartbeat:
      case emoscope::MessageType::kProgress:
      case emoscope::MessageType::kBye:
        emoscope::ParseWorkerUpdate(message);
        break;
      case emoscope::MessageType::kResult:
      case emoscope::MessageType::kFailure:
      case emoscope::MessageType::kReturn:
        emoscope::ParseOutcome(message);
        break;
      case emoscope::MessageType::kControl:
        emoscope::ParseControl(message);
        break;
      case emoscope::MessageType::kWelcome:
        emoscope::ParseWelcome(message);
        break;
      default:
        break;
    }
  } catch (const emoscope::ProtocolError&) {
  }
  const emoscope::MessageType type = message.type;
  const nlohmann::json body = message.body;
  const size_t blobs = message.blobs.size();
  std::vector<zmq::message_t> encoded = emoscope::EncodeMessage(message);
  emoscope::DecodeResult again = emoscope::DecodeMessage(encoded, 0);
  if (!again.message || again.message->type != type || again.message->body != body ||
      again.message->blobs.size() != blobs) {
    std::abort();  // what was accepted once must round-trip
  }
  return 0;
}
