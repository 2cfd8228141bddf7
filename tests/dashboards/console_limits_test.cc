// Finding 6 of the coordinator's hardening review (docs/hardening.md): the SQL console's limits
// that a time limit alone cannot give (one function call that allocates hundreds of MB), its own
// threads, and requests other sites' pages could make through a visitor's browser.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "dashboards/http_server.h"
#include "dashboards/read_only_query.h"
#include "schema/database.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

std::string EmptyStore(const testing::TempDir& dir) {
  const std::string path = dir.File("e.db");
  Database db(path, OpenMode::kReadWrite);  // created and migrated
  return path;
}

TEST_CASE("finding 6: console queries that make huge values fail at once and big results are cut off",
          "[dashboard]") {
  testing::TempDir dir;
  ReadOnlyStore store(EmptyStore(dir));
  const QueryLimits limits;
  CHECK_THROWS_WITH(store.Query("SELECT hex(zeroblob(400000000))", {}, limits),
                    Catch::Contains("larger than the limit"));
  // printf stops at the same bound: SQLite gives NULL instead of a 900 MB string.
  const QueryResult printed = store.Query("SELECT length(printf('%.*c', 900000000, 'x'))", {}, limits);
  CHECK(printed.rows[0][0].is_null());
  // 5,000 rows of 10 kB: 50 MB, more than the result cap of 32 MiB.
  const QueryResult result = store.Query(
      "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r LIMIT 5000) "
      "SELECT printf('%.*c', 10000, 'x') FROM r",
      {}, limits);
  CHECK(result.truncated);
  CHECK(result.rows.size() < 5000);
  CHECK(result.rows.size() > 3000);
  // The views still read values longer than a console query may make.
  CHECK(store.Query("SELECT length(printf('%.*c', 1000, 'x'))", {}, limits).rows[0][0] == 1000);
}

struct Reply {
  int status = 0;
  std::string body;
};

Reply Send(int port, boost::beast::http::verb verb, const std::string& target,
           const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body = "") {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  http::request<http::string_body> request(verb, target, 11);
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return {static_cast<int>(response.result_int()), response.body()};
}

TEST_CASE(
    "finding 6: only same-origin JSON POSTs reach the console, and slow queries leave the pages "
    "responsive",
    "[dashboard]") {
  namespace http = boost::beast::http;
  testing::TempDir dir;
  HttpServerOptions options;
  options.db_path = EmptyStore(dir);
  options.port = 0;
  HttpServer server(options);
  const int port = server.port();
  const std::string query = R"({"q": "SELECT 1"})";
  const std::string origin = "http://127.0.0.1:" + std::to_string(port);
  // What any web page can send without a preflight: a text/plain POST.
  CHECK(Send(port, http::verb::post, "/api/sql", {{"Content-Type", "text/plain"}}, "SELECT 1").status == 403);
  CHECK(Send(port, http::verb::post, "/api/sql",
             {{"Content-Type", "application/json"}, {"Origin", "http://evil.example"}}, query)
            .status == 403);
  CHECK(Send(port, http::verb::get, "/api/sql?q=SELECT%201", {{"Sec-Fetch-Site", "cross-site"}}).status ==
        403);
  CHECK(Send(port, http::verb::post, "/api/sql", {{"Content-Type", "application/json"}}, "SELECT 1").status ==
        400);
  const Reply ok = Send(
      port, http::verb::post, "/api/sql",
      {{"Content-Type", "application/json"}, {"Origin", origin}, {"Sec-Fetch-Site", "same-origin"}}, query);
  CHECK(ok.status == 200);
  CHECK(ok.body.find("\"rows\":[[1]]") != std::string::npos);

  // Four console queries that each run to the time limit are written first; a page request made
  // after them is answered while every one of them is still running.
  boost::asio::io_context io;
  std::vector<boost::asio::ip::tcp::socket> slow;
  for (int index = 0; index < 4; ++index) {
    slow.emplace_back(io);
    slow.back().connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    http::request<http::string_body> request(http::verb::post, "/api/sql", 11);
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::content_type, "application/json");
    request.body() =
        R"({"q": "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"})";
    request.prepare_payload();
    http::write(slow.back(), request);
  }
  const Reply page = Send(port, http::verb::get, "/api/campaigns", {});
  CHECK(page.status == 200);
  for (boost::asio::ip::tcp::socket& socket : slow) {
    // Not answered yet when the page was: the console queries are still running.
    CHECK(socket.available() == 0);
  }
  for (boost::asio::ip::tcp::socket& socket : slow) {
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    CHECK(response.body().find("time limit") != std::string::npos);
  }
}

}  // namespace
}  // namespace emoscope
