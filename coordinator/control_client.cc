#include "coordinator/control_client.h"

#include <zmq_addon.hpp>

#include "common/error.h"
#include "protocol/message.h"

namespace emoscope {

nlohmann::json SendControl(const std::string& endpoint, const nlohmann::json& request, int timeout_ms,
                           const CurveClientOptions& curve) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  ApplyCurveClient(socket, curve);
  socket.connect(endpoint);
  Message message(MessageType::kControl, request);
  std::vector<zmq::message_t> frames = EncodeMessage(message);
  zmq::send_multipart(socket, frames);
  std::vector<zmq::pollitem_t> items = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    zmq::poll(items, std::max(left, std::chrono::milliseconds(1)));
    std::vector<zmq::message_t> reply_frames;
    if (!zmq::recv_multipart(socket, std::back_inserter(reply_frames), zmq::recv_flags::dontwait)) continue;
    DecodeResult decoded = DecodeMessage(reply_frames, 0);
    if (!decoded.message) Fail("coordinator at {}: malformed reply: {}", endpoint, decoded.error);
    if (decoded.message->type == MessageType::kError) {
      Fail("coordinator at {} rejected the request: {}", endpoint,
           decoded.message->body.value("reason", "?"));
    }
    if (decoded.message->type != MessageType::kControlReply) continue;  // heartbeats and such
    const nlohmann::json& body = decoded.message->body;
    if (!body.value("ok", false)) Fail("{}", body.value("error", "the coordinator refused the request"));
    return body;
  }
  Fail("no answer from a coordinator at {} within {} ms", endpoint, timeout_ms);
}

}  // namespace emoscope
