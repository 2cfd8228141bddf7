#include "coordinator/coordinator.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>
#include <zmq_addon.hpp>

#include "common/error.h"
#include "common/log.h"
#include "coordinator/coordinator_core.h"
#include "protocol/curve.h"
#include "protocol/message.h"

namespace emoscope {
namespace {

// Messages handled per poll wake-up before dispatching and flushing again.
constexpr int kMaxMessagesPerTurn = 2000;
// Outbound queue bound per peer; a peer that falls this far behind is treated as gone.
constexpr int kSendHighWaterMark = 200000;

// The public key a CURVE peer authenticated with (the ZAP handler's User-Id), "" when none.
std::string PeerKey(zmq::message_t& frame) {
  const char* user = zmq_msg_gets(frame.handle(), "User-Id");
  return user == nullptr ? std::string() : std::string(user);
}

// A tcp:// endpoint's port must be a number up to 65535 or '*' (libzmq would take 70000 as
// 4464, its value modulo 65536); "" when it is, the reason otherwise.
std::string BadTcpPort(const std::string& endpoint) {
  if (endpoint.rfind("tcp://", 0) != 0) return "";
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon < 6) return "has no port";
  const std::string port = endpoint.substr(colon + 1);
  if (port == "*") return "";
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    return "has port '" + port + "', not a number from 0 to 65535";
  return "";
}

}  // namespace

// The transport: the ROUTER socket (and, under CURVE, the ZAP handler) feeding the core.
class Coordinator::Impl : public Outbox {
 public:
  Impl(const CoordinatorOptions& options, std::atomic<bool>& stop)
      : options_(options), stop_(stop), socket_(context_, zmq::socket_type::router) {
    if (const std::string bad = BadTcpPort(options.bind); !bad.empty())
      Fail("cannot bind {}: the endpoint {}", options.bind, bad);
    const bool curve = !options.curve_secret_file.empty() || !options.curve_allow.empty();
    if (curve && (options.curve_secret_file.empty() || options.curve_allow.empty())) {
      Fail(
          "CURVE needs both the coordinator's secret key (--curve-secret) and the allow-list "
          "(--curve-allow)");
    }
    if (!curve && !options.insecure && !IsLoopbackEndpoint(options.bind)) {
      Fail(
          "refusing to bind {} without CURVE: peers on the network could join and read results; give "
          "--curve-secret and --curve-allow, or --insecure on a trusted network (docs/security.md)",
          options.bind);
    }
    // The store opens (and migrates) before the socket binds, so a bad database is reported
    // before any peer can connect.
    store_ = std::make_unique<TaskStore>(StoreOptions(options));
    core_ = std::make_unique<CoordinatorCore>(options, *store_, *this);
    if (!curve && !IsLoopbackEndpoint(options.bind)) {
      spdlog::warn(
          "serving {} without CURVE (--insecure): anyone who can connect can take tasks and send results",
          options.bind);
    }
    if (curve) {
      // The handler exists before the bind, so no handshake can find the domain unhandled.
      zap_ = std::make_unique<ZapHandler>(context_, LoadCurveAllowList(options.curve_allow));
      ApplyCurveServer(socket_, LoadCurveSecret(options.curve_secret_file));
    }
    socket_.set(zmq::sockopt::router_mandatory, 1);
    socket_.set(zmq::sockopt::router_handover, 1);
    socket_.set(zmq::sockopt::maxmsgsize, options.max_message_bytes);
    socket_.set(zmq::sockopt::sndhwm, kSendHighWaterMark);
    socket_.set(zmq::sockopt::rcvhwm, kSendHighWaterMark);
    socket_.set(zmq::sockopt::linger, 0);
    try {
      socket_.bind(options.bind);
    } catch (const zmq::error_t& error) {
      Fail("cannot bind {}: {}", options.bind, error.what());
    }
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    core_->Start();
  }

  std::string endpoint() const { return endpoint_; }
  CoordinatorStats stats() const {
    CoordinatorStats stats = core_->stats();
    if (zap_) {
      stats.zap_accepted = zap_->accepted();
      stats.zap_refused = zap_->refused();
    }
    return stats;
  }

  void Run() {
    spdlog::info("coordinator serving {} on {} (run {})", core_->store().path(), endpoint_, core_->run());
    while (!stop_.load()) {
      std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
      if (zap_) items.push_back({zap_->socket().handle(), 0, ZMQ_POLLIN, 0});
      PollIgnoringSignals(items, std::chrono::milliseconds(core_->WaitMs()));
      if (zap_) zap_->HandlePending();
      for (int count = 0; count < kMaxMessagesPerTurn; ++count) {
        std::vector<zmq::message_t> frames;
        const auto received =
            zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait);
        if (!received) break;
        if (frames.empty()) continue;
        const std::string peer = frames[0].to_string();
        const std::string key = zap_ && frames.size() > 1 ? PeerKey(frames[1]) : std::string();
        core_->HandleFrames(peer, key, frames, 1);
      }
      core_->Service();
    }
    core_->Flush();
    const CoordinatorStats stats = core_->stats();
    spdlog::info("coordinator stopped: {} dispatched, {} results, {} refused, {} malformed", stats.dispatched,
                 stats.results, stats.refused, stats.malformed);
  }

  // Outbox: false when the peer is unreachable (gone, or its queue is full).
  bool Send(const std::string& peer, Message& message) override {
    std::vector<zmq::message_t> frames = EncodeMessage(message);
    try {
      socket_.send(zmq::buffer(peer), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      for (size_t index = 0; index < frames.size(); ++index) {
        const auto flags = index + 1 < frames.size() ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                                     : zmq::send_flags::dontwait;
        socket_.send(frames[index], flags);
      }
      return true;
    } catch (const zmq::error_t& error) {
      spdlog::debug("cannot send {} to {}: {}", MessageTypeName(message.type), PrintableRoutingId(peer),
                    error.what());
      return false;
    }
  }

 private:
  CoordinatorOptions options_;
  std::atomic<bool>& stop_;
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::unique_ptr<ZapHandler> zap_;  // only with CURVE
  std::unique_ptr<TaskStore> store_;
  std::unique_ptr<CoordinatorCore> core_;
  std::string endpoint_;
};

Coordinator::Coordinator(const CoordinatorOptions& options) : impl_(std::make_unique<Impl>(options, stop_)) {}
Coordinator::~Coordinator() = default;
std::string Coordinator::endpoint() const { return impl_->endpoint(); }
void Coordinator::Run() { impl_->Run(); }
CoordinatorStats Coordinator::stats() const { return impl_->stats(); }

}  // namespace emoscope
