#include "protocol/curve.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <zmq_addon.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "common/log.h"

namespace emoscope {
namespace {

constexpr size_t kZ85KeyChars = 40;
constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
// ZMQ_ZAP_ENFORCE_DOMAIN is a draft option in libzmq 4.3 headers; its number is stable.
constexpr int kZapEnforceDomainOption = 93;

bool IsZ85Key(const std::string& text) {
  if (text.size() != kZ85KeyChars) return false;
  uint8_t decoded[32];
  return zmq_z85_decode(decoded, text.c_str()) != nullptr;
}

// Non-comment, non-blank lines, trimmed, with their 1-based line numbers. A comment is a whole
// line starting with '#': '#' is itself a Z85 character, so it cannot start a trailing comment.
std::vector<std::pair<int, std::string>> KeyLines(const std::string& path) {
  std::istringstream in(ReadFile(path));
  std::vector<std::pair<int, std::string>> lines;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#') continue;
    const size_t end = line.find_last_not_of(" \t\r");
    lines.emplace_back(number, line.substr(begin, end - begin + 1));
  }
  return lines;
}

std::string SingleKey(const std::string& path, const char* what) {
  const auto lines = KeyLines(path);
  if (lines.size() != 1) Fail("{}: want exactly one {} (40 Z85 characters), found {} lines", path, what, lines.size());
  if (!IsZ85Key(lines[0].second)) Fail("{}:{}: not a Z85 {} (want 40 characters)", path, lines[0].first, what);
  return lines[0].second;
}

std::string Frame(const zmq::message_t& frame) { return frame.to_string(); }

}  // namespace

bool CurveAvailable() { return zmq_has("curve") != 0; }

CurveKeyPair GenerateCurveKeyPair() {
  if (!CurveAvailable()) Fail("this libzmq was built without CURVE");
  char public_key[kZ85KeyChars + 1];
  char secret_key[kZ85KeyChars + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0) Fail("cannot generate a CURVE key pair: {}", zmq_strerror(zmq_errno()));
  return {public_key, secret_key};
}

void WriteCurveKeyPair(const std::string& dir, const std::string& name, const CurveKeyPair& pair) {
  if (name.empty() || name.find('/') != std::string::npos) Fail("key name '{}': want a plain file name", name);
  std::filesystem::create_directories(dir);
  const std::string secret_path = JoinPath(dir, name + ".key");
  const std::string public_path = JoinPath(dir, name + ".pub");
  for (const std::string& path : {secret_path, public_path}) {
    if (std::filesystem::exists(path)) Fail("{}: exists already; keys are never overwritten", path);
  }
  // The secret is written 0600 from the start: never a moment when others may read it.
  const mode_t old_mask = ::umask(0077);
  try {
    WriteFileAtomic(secret_path, "# emoscope CURVE secret key: keep private\n" + pair.secret_key + "\n");
  } catch (...) {
    ::umask(old_mask);
    throw;
  }
  ::umask(old_mask);
  ::chmod(secret_path.c_str(), 0600);
  WriteFileAtomic(public_path, pair.public_key + "\n");
}

CurveKeyPair LoadCurveSecret(const std::string& path) {
  CurveKeyPair pair;
  pair.secret_key = SingleKey(path, "CURVE secret key");
  char public_key[kZ85KeyChars + 1];
  if (zmq_curve_public(public_key, pair.secret_key.c_str()) != 0) Fail("{}: cannot derive the public key", path);
  pair.public_key = public_key;
  return pair;
}

std::string LoadCurvePublic(const std::string& path) { return SingleKey(path, "CURVE public key"); }

std::set<std::string> LoadCurveAllowList(const std::string& path) {
  std::set<std::string> keys;
  if (std::filesystem::is_directory(path)) {
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.path().extension() == ".pub") keys.insert(LoadCurvePublic(entry.path().string()));
    }
  } else {
    for (const auto& [number, text] : KeyLines(path)) {
      if (!IsZ85Key(text)) Fail("{}:{}: not a Z85 CURVE public key (want 40 characters)", path, number);
      keys.insert(text);
    }
  }
  if (keys.empty()) Fail("{}: the allow-list holds no public key", path);
  return keys;
}

bool IsLoopbackEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
  if (endpoint.rfind("tcp://", 0) != 0) return false;
  const std::string rest = endpoint.substr(6);
  return rest.rfind("127.", 0) == 0 || rest.rfind("localhost:", 0) == 0 || rest.rfind("[::1]:", 0) == 0;
}

void ApplyCurveClient(zmq::socket_t& socket, const CurveClientOptions& options) {
  if (!options.enabled()) return;
  if (options.server_key_file.empty() || options.secret_file.empty()) {
    Fail("CURVE needs both the coordinator's public key (--curve-server-key) and this peer's secret key (--curve-secret)");
  }
  const std::string server_key = LoadCurvePublic(options.server_key_file);
  const CurveKeyPair pair = LoadCurveSecret(options.secret_file);
  socket.set(zmq::sockopt::curve_serverkey, server_key);
  socket.set(zmq::sockopt::curve_publickey, pair.public_key);
  socket.set(zmq::sockopt::curve_secretkey, pair.secret_key);
}

void ApplyCurveServer(zmq::socket_t& socket, const CurveKeyPair& secret) {
  if (!CurveAvailable()) Fail("this libzmq was built without CURVE");
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, secret.secret_key);
  socket.set(zmq::sockopt::zap_domain, kZapDomain);
  const int enforce = 1;
  if (zmq_setsockopt(socket.handle(), kZapEnforceDomainOption, &enforce, sizeof(enforce)) != 0) {
    // Without the option libzmq 4.3 still asks the handler, which exists before the bind.
    spdlog::debug("ZMQ_ZAP_ENFORCE_DOMAIN not supported by this libzmq: {}", zmq_strerror(zmq_errno()));
  }
}

ZapHandler::ZapHandler(zmq::context_t& context, std::set<std::string> allowed_public_keys)
    : socket_(context, zmq::socket_type::rep), allowed_(std::move(allowed_public_keys)) {
  socket_.set(zmq::sockopt::linger, 0);
  try {
    socket_.bind(kZapEndpoint);
  } catch (const zmq::error_t& error) {
    Fail("cannot start the ZAP handler on {}: {}", kZapEndpoint, error.what());
  }
}

void ZapHandler::HandlePending() {
  while (true) {
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
    // RFC 27: version, request id, domain, address, identity, mechanism, credentials...
    std::string status = "400";
    std::string text = "malformed ZAP request";
    std::string user;
    const std::string request_id = frames.size() > 1 ? Frame(frames[1]) : "";
    if (frames.size() >= 6 && Frame(frames[0]) == "1.0") {
      const std::string domain = Frame(frames[2]);
      const std::string address = Frame(frames[3]);
      const std::string mechanism = Frame(frames[5]);
      if (domain != kZapDomain) {
        text = "unknown ZAP domain";
      } else if (mechanism != "CURVE" || frames.size() != 7 || frames[6].size() != 32) {
        text = "CURVE required";
      } else {
        char z85[kZ85KeyChars + 1];
        zmq_z85_encode(z85, static_cast<const uint8_t*>(frames[6].data()), 32);
        if (allowed_.count(z85) != 0) {
          status = "200";
          text = "OK";
          user = z85;
        } else {
          text = "public key not on the allow-list";
          spdlog::warn("refused a CURVE client from {}: its public key {} is not on the allow-list", address, z85);
        }
      }
      if (status != "200" && text != "public key not on the allow-list") {
        spdlog::warn("refused a client from {} ({}): {}", address, mechanism, text);
      }
    }
    status == "200" ? ++accepted_ : ++refused_;
    std::vector<zmq::const_buffer> reply = {zmq::str_buffer("1.0"), zmq::buffer(request_id), zmq::buffer(status),
                                            zmq::buffer(text), zmq::buffer(user), zmq::str_buffer("")};
    try {
      zmq::send_multipart(socket_, reply, zmq::send_flags::dontwait);
    } catch (const zmq::error_t& error) {
      spdlog::warn("ZAP reply not sent: {}", error.what());
    }
  }
}

}  // namespace emoscope
