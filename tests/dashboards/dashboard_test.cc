#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "dashboards/dashboard_api.h"
#include "dashboards/http_server.h"
#include "dashboards/read_only_query.h"
#include "dashboards/report.h"
#include "schema/database.h"
#include "schema/migrations.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

using testing::TempDir;

// A migrated store with one campaign, one model, one metrics task with a localization point, one
// failed task.
std::string MakeStore(const TempDir& dir) {
  const std::string path = dir.File("c.db");
  Database db(path, OpenMode::kReadWrite);
  db.Exec(
      "INSERT INTO campaigns (name, spec_text, spec_hash, created_at, updated_at) VALUES "
      "('demo', 'campaign: demo\nmodels:\n  - {name: tiny, path: /m/tiny}\n', 'abc', 1, 1)");
  db.Exec(
      "INSERT INTO models (path, architecture, layers, parameters, checksum) VALUES ('/m/tiny', 'gpt2', 4, "
      "10, 'ff')");
  db.Exec(
      "INSERT INTO tasks (task_key, campaign_id, kind, model_id, params, state, max_attempts, created_at, "
      "started_at, "
      "finished_at, error) VALUES (x'01', 1, 'metrics', 1, '{}', 'done', 3, 1, 1000, 2000, NULL), "
      "(x'02', 1, 'extract', 1, '{}', 'failed', 3, 1, 1000, 3000, 'out of memory')");
  db.Exec("INSERT INTO campaign_tasks VALUES (1, 1), (1, 2)");
  db.Exec("INSERT INTO layer_metrics VALUES (1, 2, 'comprehension', 'probe_accuracy', '', 0.75)");
  return path;
}

TEST_CASE("the console refuses writes, ATTACH, PRAGMA changes and extension loading", "[dashboard]") {
  TempDir dir;
  ReadOnlyStore store(MakeStore(dir));
  const QueryLimits limits;
  CHECK_THROWS_WITH(store.Query("DELETE FROM tasks", {}, limits), Catch::Contains("not allowed"));
  CHECK_THROWS_WITH(store.Query("UPDATE tasks SET state = 'queued'", {}, limits),
                    Catch::Contains("not allowed"));
  CHECK_THROWS_WITH(store.Query("INSERT INTO meta VALUES ('a', 'b')", {}, limits),
                    Catch::Contains("not allowed"));
  CHECK_THROWS_WITH(store.Query("CREATE TABLE x (a)", {}, limits), Catch::Contains("not allowed"));
  CHECK_THROWS_WITH(store.Query("DROP TABLE tasks", {}, limits), Catch::Contains("not allowed"));
  CHECK_THROWS_WITH(store.Query("ATTACH '" + dir.File("other.db") + "' AS other", {}, limits),
                    Catch::Contains("ATTACH"));
  CHECK_THROWS_WITH(store.Query("PRAGMA user_version = 7", {}, limits),
                    Catch::Contains("PRAGMA user_version"));
  CHECK_THROWS_WITH(store.Query("PRAGMA query_only = OFF", {}, limits), Catch::Contains("not allowed"));
  CHECK_THROWS_WITH(store.Query("PRAGMA journal_mode = DELETE", {}, limits), Catch::Contains("not allowed"));
  CHECK_THROWS_WITH(store.Query("SELECT load_extension('/tmp/x.so')", {}, limits),
                    Catch::Contains("load_extension"));
  CHECK_THROWS_WITH(store.Query("SELECT 1; DELETE FROM tasks", {}, limits), Catch::Contains("one statement"));
  // Nothing changed, and reads still work.
  CHECK(store.Query("SELECT count(*) FROM tasks", {}, limits).rows[0][0] == 2);
  CHECK(store.Query("PRAGMA table_info(tasks)", {}, limits).rows.size() > 5);
  CHECK(store.Query("PRAGMA user_version", {}, limits).rows[0][0] == emoscope::LatestSchemaVersion());
  CHECK(!FileExists(dir.File("other.db")));
}

TEST_CASE("a long console query is cut off at the time limit", "[dashboard]") {
  TempDir dir;
  ReadOnlyStore store(MakeStore(dir));
  const auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(
      store.Query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
                  {}, QueryLimits{/*max_rows=*/10, /*time_limit_ms=*/100}),
      Catch::Contains("cut off after 100 ms"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
  // The connection is usable afterwards.
  CHECK(store.Query("SELECT 1", {}, QueryLimits{}).rows[0][0] == 1);
}

TEST_CASE("a large console result is cut off at the row limit", "[dashboard]") {
  TempDir dir;
  ReadOnlyStore store(MakeStore(dir));
  const QueryResult result =
      store.Query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100) SELECT x FROM c",
                  {}, QueryLimits{25, 1000});
  CHECK(result.rows.size() == 25);
  CHECK(result.truncated);
  CHECK(ToCsv(result).substr(0, 5) == "x\r\n1\r");
}

TEST_CASE("a missing database is an error naming the file", "[dashboard]") {
  TempDir dir;
  CHECK_THROWS_WITH(ReadOnlyStore(dir.File("missing.db")), Catch::Contains("missing.db"));
}

TEST_CASE("the API serves campaigns, failures and results and answers errors as JSON", "[dashboard]") {
  TempDir dir;
  ReadOnlyStore store(MakeStore(dir));
  const ConsoleLimits limits;
  const ApiResponse campaigns = HandleApi(store, "GET", "/api/campaigns", "", limits);
  REQUIRE(campaigns.status == 200);
  const nlohmann::json list = nlohmann::json::parse(campaigns.body);
  CHECK(list[0]["name"] == "demo");
  CHECK(list[0]["done"] == 1);
  CHECK(list[0]["failed"] == 1);
  const nlohmann::json failures =
      nlohmann::json::parse(HandleApi(store, "GET", "/api/campaigns/demo/failures", "", limits).body);
  CHECK(failures["tasks"][0]["error"] == "out of memory");
  const nlohmann::json results =
      nlohmann::json::parse(HandleApi(store, "GET", "/api/campaigns/demo/results", "", limits).body);
  CHECK(results["models"][0]["name"] == "tiny");
  CHECK(results["localization"][0]["depth"] == 0.5);
  CHECK(results["peaks"][0]["layer"] == 2);
  CHECK(HandleApi(store, "GET", "/api/campaigns/nope/results", "", limits).status == 404);
  CHECK(HandleApi(store, "GET", "/api/campaigns/demo/failures?limit=x", "", limits).status == 400);
  CHECK(HandleApi(store, "GET", "/api/nothing", "", limits).status == 404);
  CHECK(HandleApi(store, "DELETE", "/api/campaigns", "", limits).status == 405);
  const ApiResponse refused = HandleApi(store, "POST", "/api/sql", "DELETE FROM tasks", limits);
  CHECK(refused.status == 400);
  CHECK(nlohmann::json::parse(refused.body)["error"].get<std::string>().find("not allowed") !=
        std::string::npos);
  const ApiResponse csv = HandleApi(
      store, "GET", "/api/sql?format=csv&q=SELECT%20kind%20FROM%20tasks%20ORDER%20BY%20id", "", limits);
  CHECK(csv.body == "kind\r\nmetrics\r\nextract\r\n");
}

// Finding 10 of the coordinator's hardening review (docs/hardening.md): the results API re-parsed
// a campaign's stored YAML on every request (37 s for a 50 MB spec). A campaign submitted since
// migration 7 has its names in campaign_models; for an older one the stored spec is parsed once,
// and only within the campaign parser's bounds.
TEST_CASE(
    "finding 10: an old campaign's stored spec is read within the parser's bounds, and a spec past them "
    "falls back to file names",
    "[dashboard]") {
  TempDir dir;
  const std::string path = MakeStore(dir);
  {
    Database db(path, OpenMode::kReadWrite);
    // A billion-laughs spec: 556 bytes that expand to about 10^9 nodes when walked.
    std::string laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
    for (char name = 'b'; name <= 'i'; ++name) {
      const char previous = static_cast<char>(name - 1);
      laughs += std::string(1, name) + ": &" + name + " [*" + previous;
      for (int copy = 1; copy < 9; ++copy) laughs += std::string(", *") + previous;
      laughs += "]\n";
    }
    laughs += "models:\n  - {name: laughing, path: /m/tiny}\n";
    Statement insert = db.Prepare(
        "INSERT INTO campaigns (name, spec_text, spec_hash, created_at, updated_at) VALUES ('laughs', ?1, "
        "'laughs-hash', 1, 1)");
    insert.Bind(1, laughs).Run();
    db.Exec("INSERT INTO campaign_tasks VALUES (2, 1)");
    // A spec over the 16 MiB bound is not even parsed.
    Statement big = db.Prepare(
        "INSERT INTO campaigns (name, spec_text, spec_hash, created_at, updated_at) VALUES ('big', ?1, "
        "'big-hash', 1, 1)");
    big.Bind(1, "models:\n  - {name: big, path: /m/tiny}\n# " + std::string(17u << 20, 'x') + "\n").Run();
    db.Exec("INSERT INTO campaign_tasks VALUES (3, 1)");
    db.Exec(
        "INSERT INTO campaigns (name, spec_text, spec_hash, created_at, updated_at) VALUES ('named', "
        "'models:\n  - {name: small, path: /m/tiny}\n', 'named-hash', 1, 1)");
    db.Exec("INSERT INTO campaign_tasks VALUES (4, 1)");
  }
  ReadOnlyStore store(path);
  const ConsoleLimits limits;
  for (const char* campaign : {"laughs", "big"}) {
    const ApiResponse response =
        HandleApi(store, "GET", std::string("/api/campaigns/") + campaign + "/results", "", limits);
    INFO(response.body.substr(0, 300));
    REQUIRE(response.status == 200);
    CHECK(nlohmann::json::parse(response.body)["models"][0]["name"] == "tiny");  // the folder's name
  }
  // A well-formed old spec within the bounds still names its model (not the folder's name).
  CHECK(nlohmann::json::parse(
            HandleApi(store, "GET", "/api/campaigns/named/results", "", limits).body)["models"][0]["name"] ==
        "small");
}

TEST_CASE("the report is one HTML file with the data and no external references", "[dashboard]") {
  TempDir dir;
  ReadOnlyStore store(MakeStore(dir));
  const std::string html = BuildReport(store, "demo");
  CHECK(html.find("Chart.js v4") != std::string::npos);
  CHECK(html.find("\"spec_hash\":\"abc\"") != std::string::npos);
  CHECK(html.find("src=\"") == std::string::npos);
  CHECK(html.find("/*@") == std::string::npos);
  CHECK_THROWS_WITH(BuildReport(store, "nope"), Catch::Contains("no campaign named 'nope'"));
}

// One GET through a real connection; returns status and body.
std::pair<int, std::string> Get(int port, const std::string& target, const std::string& host = "127.0.0.1",
                                const std::string& authorization = "") {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::host, host);
  if (!authorization.empty()) request.set(http::field::authorization, authorization);
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return {response.result_int(), response.body()};
}

TEST_CASE("the server asks for its token and refuses foreign Host headers", "[dashboard]") {
  TempDir dir;
  HttpServerOptions options;
  options.db_path = MakeStore(dir);
  options.port = 0;
  options.token = "s3cret";
  HttpServer server(options);
  CHECK(Get(server.port(), "/api/campaigns").first == 401);
  CHECK(Get(server.port(), "/api/campaigns?token=wrong").first == 401);
  CHECK(Get(server.port(), "/api/campaigns?token=s3cret").first == 200);
  CHECK(Get(server.port(), "/api/campaigns", "127.0.0.1", "Bearer s3cret").first == 200);
  CHECK(Get(server.port(), "/api/campaigns?token=s3cret", "attacker.example:80").first == 403);
  CHECK(Get(server.port(), "/?token=s3cret").second.find("<!doctype html>") == 0);
  CHECK(Get(server.port(), "/../etc/passwd?token=s3cret").first == 404);
  CHECK(server.url().find("?token=s3cret") != std::string::npos);
}

TEST_CASE("a busy --http address is an error naming it", "[dashboard]") {
  TempDir dir;
  HttpServerOptions options;
  options.db_path = MakeStore(dir);
  options.port = 0;
  HttpServer first(options);
  options.port = first.port();
  CHECK_THROWS_WITH(HttpServer(options), Catch::Contains("127.0.0.1:" + std::to_string(first.port())));
  HttpServerOptions parsed;
  CHECK_THROWS_WITH(ParseHttpAddress("localhost", &parsed), Catch::Contains("ADDR:PORT"));
  CHECK_THROWS_WITH(ParseHttpAddress("127.0.0.1:99999", &parsed), Catch::Contains("port"));
  ParseHttpAddress("[::1]:8081", &parsed);
  CHECK(parsed.address == "::1");
  CHECK(parsed.port == 8081);
}

}  // namespace
}  // namespace emoscope
