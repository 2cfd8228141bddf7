// CURVE keys and the coordinator's ZAP handler (docs/security.md).
//
// Keys are Z85 text files of 40 characters (the ZeroMQ encoding of 32 bytes): NAME.key holds a
// secret key (written 0600), NAME.pub the matching public key. A secret key file is enough to
// know the public key (it is derived). An allow-list is a folder of *.pub files or one file with
// one public key per line (a line starting with '#' is a comment).
//
// Errors: every loader throws emoscope::Error naming the file (and the line for lists).
// Threading: the free functions are thread-safe; a ZapHandler belongs to the thread that polls
// its socket (the coordinator's).
#pragma once

#include <set>
#include <string>

#include <zmq.hpp>

namespace emoscope {

// The ZAP domain the coordinator's socket announces; the handler refuses any other.
constexpr const char* kZapDomain = "emoscope";

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters
};

// Whether the linked libzmq supports CURVE.
bool CurveAvailable();

// A fresh key pair; Error when libzmq has no CURVE.
CurveKeyPair GenerateCurveKeyPair();

// Writes DIR/NAME.key (0600, the secret) and DIR/NAME.pub; Error when either exists already.
void WriteCurveKeyPair(const std::string& dir, const std::string& name, const CurveKeyPair& pair);

// Reads a secret key file and derives its public key.
CurveKeyPair LoadCurveSecret(const std::string& path);

// Reads a public key file (one key; comments and blank lines allowed).
std::string LoadCurvePublic(const std::string& path);

// The allow-list at a folder (every *.pub in it) or a file (one key per line). Error on an empty
// list or a malformed key.
std::set<std::string> LoadCurveAllowList(const std::string& path);

// Whether a ZeroMQ endpoint only accepts connections from this machine (ipc://, inproc://,
// tcp:// on 127.0.0.0/8, ::1 or localhost).
bool IsLoopbackEndpoint(const std::string& endpoint);

// Client side of CURVE: sets the server's public key and this peer's pair on a socket (before
// connect). Empty options leave the socket plain-text.
struct CurveClientOptions {
  std::string server_key_file;  // the coordinator's NAME.pub
  std::string secret_file;      // this peer's NAME.key
  bool enabled() const { return !server_key_file.empty() || !secret_file.empty(); }
};
// Error when only one of the two files is given, or either is malformed.
void ApplyCurveClient(zmq::socket_t& socket, const CurveClientOptions& options);

// The ZAP handler (RFC 27) the coordinator runs on its own context: a REP socket bound to
// inproc://zeromq.zap.01 that accepts a CURVE client only when its public key is on the
// allow-list and the domain is kZapDomain. It must exist before the server socket binds, so that
// no handshake ever finds no handler; the server socket also sets ZMQ_ZAP_ENFORCE_DOMAIN where
// libzmq supports it, so a missing handler refuses rather than accepts.
class ZapHandler {
 public:
  // Error when the inproc endpoint cannot be bound (another handler on this context).
  ZapHandler(zmq::context_t& context, std::set<std::string> allowed_public_keys);

  zmq::socket_t& socket() { return socket_; }
  // Answers every request waiting on the socket; never blocks, never throws on bad requests.
  void HandlePending();

  int64_t accepted() const { return accepted_; }
  int64_t refused() const { return refused_; }

 private:
  zmq::socket_t socket_;
  std::set<std::string> allowed_;  // Z85 public keys
  int64_t accepted_ = 0;
  int64_t refused_ = 0;
};

// Server side: makes `socket` a CURVE server with `secret` and this handler's domain.
void ApplyCurveServer(zmq::socket_t& socket, const CurveKeyPair& secret);

}  // namespace emoscope
