#include "dashboards/http_server.h"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "dashboards/assets.h"

namespace emoscope {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string_view View(beast::string_view text) { return {text.data(), text.size()}; }

constexpr uint64_t kMaxBodyBytes = 1 << 20;              // a console query, at most
constexpr auto kIdleTimeout = std::chrono::seconds(30);  // a connection silent this long is closed
constexpr const char* kTokenCookie = "emoscope_token";
// Threads that run SQL console queries, apart from the threads serving pages and the API, so a
// slow console query never holds up the dashboard.
constexpr int kConsoleThreads = 2;

bool IsConsolePath(std::string_view target) { return target.substr(0, target.find('?')) == "/api/sql"; }

// Why a request may not reach the API from where it comes, or "" when it may. A page on another
// origin can make a browser send requests here, and a `text/plain` or form POST needs no CORS
// preflight: so a POST must be `application/json` (which does), must not name a foreign Origin,
// and no request may come with Sec-Fetch-Site saying another site sent it.
std::string CrossOriginRefusal(const http::request<http::string_body>& request) {
  const std::string_view fetch_site = View(request["Sec-Fetch-Site"]);
  if (!fetch_site.empty() && fetch_site != "same-origin" && fetch_site != "none")
    return "requests from other sites are refused (Sec-Fetch-Site: " + std::string(fetch_site) + ")";
  if (request.method() != http::verb::post) return "";
  const std::string_view content_type = View(request[http::field::content_type]);
  if (content_type.substr(0, 16) != "application/json")
    return "a POST must be Content-Type: application/json with a body {\"q\": SQL}";
  const std::string_view origin = View(request["Origin"]);
  if (!origin.empty() && origin != "http://" + std::string(View(request[http::field::host])))
    return "a POST from another origin (" + std::string(origin) + ") is refused";
  return "";
}

// Compares in time that depends on the lengths only, not on where the first difference is.
bool SameSecret(std::string_view given, std::string_view expected) {
  if (given.size() != expected.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < given.size(); ++i) difference |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return difference == 0;
}

std::optional<std::string> CookieValue(std::string_view cookies, std::string_view name) {
  while (!cookies.empty()) {
    const size_t semicolon = cookies.find(';');
    std::string_view pair = cookies.substr(0, semicolon);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name)
      return std::string(pair.substr(equals + 1));
    if (semicolon == std::string_view::npos) break;
    cookies.remove_prefix(semicolon + 1);
  }
  return std::nullopt;
}

// The host part of a Host header: "127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "[::1]".
std::string_view HostName(std::string_view host) {
  if (!host.empty() && host.front() == '[') return host.substr(0, host.find(']') + 1);
  return host.substr(0, host.find(':'));
}

}  // namespace

void ParseHttpAddress(const std::string& text, HttpServerOptions* options) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw UsageError("option --http: want ADDR:PORT (e.g. 127.0.0.1:8080), got '" + text + "'");
  }
  std::string address = text.substr(0, colon);
  if (address.size() > 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  const std::string port = text.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    throw UsageError("option --http: '" + port + "' is not a port number (0-65535)");
  }
  options->address = address;
  options->port = std::stoi(port);
}

class HttpServer::Impl {
 public:
  explicit Impl(const HttpServerOptions& options) : options_(options), acceptor_(io_) {
    // Open the store once now, so a missing or unreadable database fails at start, not per request.
    stores_.push_back(std::make_unique<ReadOnlyStore>(options_.db_path));
    try {
      tcp::resolver resolver(io_);
      const auto results = resolver.resolve(options_.address, std::to_string(options_.port),
                                            tcp::resolver::passive | tcp::resolver::numeric_service);
      const tcp::endpoint endpoint = *results.begin();
      acceptor_.open(endpoint.protocol());
      acceptor_.set_option(asio::socket_base::reuse_address(true));
      acceptor_.bind(endpoint);
      acceptor_.listen(asio::socket_base::max_listen_connections);
      loopback_ = endpoint.address().is_loopback();
    } catch (const boost::system::system_error& error) {
      Fail("cannot serve HTTP on {}:{}: {}", options_.address, options_.port, error.code().message());
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int index = 0; index < std::max(1, options_.threads); ++index) {
      threads_.emplace_back([this] { io_.run(); });
    }
  }

  ~Impl() {
    console_pool_.stop();
    console_pool_.join();
    io_.stop();
    for (std::thread& thread : threads_) thread.join();
  }

  asio::thread_pool& console_pool() { return console_pool_; }

  int port() const { return port_; }
  const HttpServerOptions& options() const { return options_; }

  http::response<http::string_body> Handle(http::request<http::string_body>&& request);

 private:
  class Session;

  void Accept();

  // Borrows a connection from the pool (or opens one): each serving thread queries on its own.
  std::unique_ptr<ReadOnlyStore> TakeStore() {
    {
      std::lock_guard<std::mutex> lock(stores_mutex_);
      if (!stores_.empty()) {
        std::unique_ptr<ReadOnlyStore> store = std::move(stores_.back());
        stores_.pop_back();
        return store;
      }
    }
    return std::make_unique<ReadOnlyStore>(options_.db_path);
  }
  void ReturnStore(std::unique_ptr<ReadOnlyStore> store) {
    std::lock_guard<std::mutex> lock(stores_mutex_);
    stores_.push_back(std::move(store));
  }

  const HttpServerOptions options_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  bool loopback_ = true;
  std::mutex stores_mutex_;
  std::vector<std::unique_ptr<ReadOnlyStore>> stores_;  // GUARDED_BY(stores_mutex_)
  std::vector<std::thread> threads_;
  asio::thread_pool console_pool_{kConsoleThreads};
};

// One connection: read a request, answer it, repeat while keep-alive (the Beast async pattern).
class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Impl& server) : stream_(std::move(socket)), server_(server) {}
  void Start() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code error, size_t) {
    if (error) {  // end of stream, timeout, or a malformed request: close the connection.
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    http::request<http::string_body> request = parser_->release();
    if (!IsConsolePath(View(request.target()))) {
      Write(server_.Handle(std::move(request)));
      return;
    }
    // Console queries run on their own threads; the answer is written back on this connection's
    // strand.
    asio::post(server_.console_pool(), [self = shared_from_this(), request = std::move(request)]() mutable {
      http::response<http::string_body> response = self->server_.Handle(std::move(request));
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable { self->Write(std::move(response)); });
    });
  }

  void Write(http::response<http::string_body> response) {
    response_ = std::move(response);
    http::async_write(stream_, response_, beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code error, size_t) {
    if (error) return;
    if (!response_.keep_alive()) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    Read();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  Impl& server_;
};

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code error, tcp::socket socket) {
    if (!error) std::make_shared<Session>(std::move(socket), *this)->Start();
    if (acceptor_.is_open()) Accept();
  });
}

http::response<http::string_body> HttpServer::Impl::Handle(http::request<http::string_body>&& request) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.keep_alive(request.keep_alive());
  response.set(http::field::server, "emoscope");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set(http::field::cache_control, "no-store");
  const auto reply = [&](http::status status, std::string content_type, std::string body) {
    response.result(status);
    response.set(http::field::content_type, content_type);
    response.body() = std::move(body);
    response.prepare_payload();
    if (request.method() == http::verb::head) response.body().clear();
    return response;
  };
  const auto json_error = [&](http::status status, const std::string& message) {
    return reply(status, "application/json", nlohmann::json({{"error", message}}).dump());
  };

  const std::string target(View(request.target()));
  const std::string_view path = std::string_view(target).substr(0, target.find('?'));
  if (request.method() != http::verb::get && request.method() != http::verb::head &&
      request.method() != http::verb::post) {
    return json_error(http::status::method_not_allowed, "only GET, HEAD and POST are served");
  }
  // A page on another origin could make the browser send requests here under a name that
  // resolves to 127.0.0.1 (DNS rebinding); its Host header gives it away.
  if (loopback_) {
    const std::string_view host = HostName(View(request[http::field::host]));
    if (host != "127.0.0.1" && host != "localhost" && host != "[::1]") {
      return json_error(http::status::forbidden, "Host must be 127.0.0.1 or localhost");
    }
  }
  bool set_cookie = false;
  if (!options_.token.empty()) {
    std::optional<std::string> given;
    const std::string_view authorization = View(request[http::field::authorization]);
    if (authorization.substr(0, 7) == "Bearer ") given = std::string(authorization.substr(7));
    if (!given) {
      given = QueryParameter(target, "token");
      set_cookie = given.has_value();
    }
    if (!given) given = CookieValue(View(request[http::field::cookie]), kTokenCookie);
    if (!given || !SameSecret(*given, options_.token)) {
      return json_error(http::status::unauthorized,
                        "this dashboard needs its access token (?token=... or Authorization: Bearer ...)");
    }
  }
  if (set_cookie) {
    response.set(http::field::set_cookie,
                 fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict", kTokenCookie, options_.token));
  }

  if (path.substr(0, 5) == "/api/" || path == "/api") {
    if (const std::string refusal = CrossOriginRefusal(request); !refusal.empty())
      return json_error(http::status::forbidden, refusal);
    std::string sql;
    if (request.method() == http::verb::post) {
      const nlohmann::json body = nlohmann::json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
      if (!body.is_object() || !body.contains("q") || !body["q"].is_string())
        return json_error(http::status::bad_request, "a POST body must be JSON {\"q\": SQL}");
      sql = body["q"].get<std::string>();
    }
    std::unique_ptr<ReadOnlyStore> store = TakeStore();
    ApiResponse api = HandleApi(*store, request.method() == http::verb::post ? "POST" : "GET", target, sql,
                                options_.console);
    ReturnStore(std::move(store));
    if (!api.filename.empty()) {
      response.set(http::field::content_disposition,
                   fmt::format("attachment; filename=\"{}\"", api.filename));
    }
    return reply(static_cast<http::status>(api.status), api.content_type, std::move(api.body));
  }
  if (request.method() == http::verb::post)
    return json_error(http::status::method_not_allowed, "POST is for /api/sql only");
  // Assets are looked up by exact name in the embedded table: no path reaches the file system.
  const std::string name = path == "/" ? "index.html" : std::string(path.substr(1));
  const std::optional<std::string_view> asset = FindAsset(name);
  if (!asset) return json_error(http::status::not_found, "no such page: " + std::string(path));
  response.set(
      "Content-Security-Policy",
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
      "frame-ancestors 'none'");
  return reply(http::status::ok, std::string(ContentType(name)), std::string(*asset));
}

HttpServer::HttpServer(const HttpServerOptions& options) : impl_(std::make_unique<Impl>(options)) {}
HttpServer::~HttpServer() = default;

int HttpServer::port() const { return impl_->port(); }

std::string HttpServer::url() const {
  const HttpServerOptions& options = impl_->options();
  std::string host = options.address;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  if (host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  std::string url = fmt::format("http://{}:{}/", host, impl_->port());
  if (!options.token.empty()) url += "?token=" + options.token;
  return url;
}

}  // namespace emoscope
