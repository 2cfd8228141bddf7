// The dashboard's HTTP server (Boost.Beast on Boost.Asio): the pages and scripts compiled into
// the binary (dashboards/assets.h) and the JSON API (dashboards/dashboard_api.h), read from the
// store through its own read-only connections; the coordinator stays the only writer.
//
// Security: binds 127.0.0.1 unless told otherwise. With a token, every request must carry it
// (`Authorization: Bearer TOKEN`, `?token=TOKEN`, or the cookie a `?token=` page load sets);
// the comparison takes the same time whatever the token. On a loopback address the Host header must
// name a loopback host (no DNS rebinding). Only GET, HEAD and POST (the console) are served; the
// console is read-only (dashboards/read_only_query.h). Other sites' pages cannot use the API
// through a visitor's browser: a request whose Sec-Fetch-Site names another site is refused, and
// a POST must be `Content-Type: application/json` ({"q": SQL}, which a foreign page cannot send
// without a CORS preflight this server never grants) with no foreign Origin.
//
// Threading: one thread accepts; `threads` threads serve connections, each with its own
// ReadOnlyStore; SQL console queries run on two more threads of their own, so slow ones never
// hold up the pages. The destructor stops everything and joins (within about a second).
// Errors: the constructor throws Error naming the address when it cannot bind, or the database
// when it cannot be opened read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dashboards/dashboard_api.h"

namespace emoscope {

struct HttpServerOptions {
  std::string db_path;  // the campaign store (opened read-only)
  std::string address = "127.0.0.1";
  int port = 8080;        // 0: an ephemeral port (see port())
  std::string token;      // empty: no token required
  int threads = 4;        // connection threads (each holds one database connection)
  ConsoleLimits console;  // the SQL console's row and time limits
};

// "ADDR:PORT" (IPv4, a host name, or [IPv6]) into address and port; throws UsageError naming
// the option when malformed.
void ParseHttpAddress(const std::string& text, HttpServerOptions* options);

class HttpServer {
 public:
  explicit HttpServer(const HttpServerOptions& options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // "http://ADDR:PORT/" to open in a browser (with ?token=... when a token is set).
  std::string url() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emoscope
