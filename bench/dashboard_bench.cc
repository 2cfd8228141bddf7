// Dashboard API latency: serves FILE with the dashboard's HTTP server and times every endpoint
// through a keep-alive HTTP client (the whole path: parse, query, JSON, write).
// Usage: dashboard_bench FILE [CAMPAIGN] [REQUESTS]   (bench/BENCHMARKS.md; fill FILE with
// bin/dashboard_seed first)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "dashboards/http_server.h"

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: dashboard_bench FILE [CAMPAIGN] [REQUESTS]\n");
    return 2;
  }
  try {
    emoscope::HttpServerOptions options;
    options.db_path = argv[1];
    options.port = 0;
    emoscope::HttpServer server(options);
    const std::string campaign = argc > 2 ? argv[2] : "science-00";
    const int requests = argc > 3 ? std::stoi(argv[3]) : 50;
    const std::vector<std::string> targets = {
        "/api/campaigns", "/api/workers", "/api/campaigns/" + campaign + "/timeline",
        "/api/campaigns/" + campaign + "/failures", "/api/campaigns/" + campaign + "/results",
        "/api/campaigns/" + campaign + "/manifest",
        "/api/sql?q=SELECT%20count(*)%20FROM%20steering_generations",
        "/api/sql?q=SELECT%20*%20FROM%20layer_metrics%20LIMIT%201000"};
    boost::asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server.port())));
    boost::beast::flat_buffer buffer;
    std::printf("| endpoint | p50 ms | p95 ms | max ms | response bytes |\n|---|---|---|---|---|\n");
    for (const std::string& target : targets) {
      std::vector<double> times;
      size_t bytes = 0;
      for (int index = 0; index < requests + 3; ++index) {
        http::request<http::empty_body> request(http::verb::get, target, 11);
        request.set(http::field::host, "127.0.0.1");
        const auto started = std::chrono::steady_clock::now();
        http::write(socket, request);
        http::response<http::string_body> response;
        http::read(socket, buffer, response);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        if (response.result() != http::status::ok) {
          std::fprintf(stderr, "%s: HTTP %d: %s\n", target.c_str(), response.result_int(), response.body().c_str());
          return 1;
        }
        bytes = response.body().size();
        if (index >= 3) times.push_back(ms);  // the first requests warm the page cache
      }
      std::sort(times.begin(), times.end());
      const auto at = [&](double q) { return times[std::min(times.size() - 1, static_cast<size_t>(q * times.size()))]; };
      std::printf("| `%s` | %.1f | %.1f | %.1f | %zu |\n", target.c_str(), at(0.5), at(0.95), times.back(), bytes);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "dashboard_bench: %s\n", error.what());
    return 1;
  }
  return 0;
}
