#include "cli/dashboard_commands.h"

#include <cstdio>

#include "common/error.h"
#include "common/file_util.h"
#include "common/log.h"
#include "dashboards/report.h"

namespace emoscope {
namespace {

constexpr const char* kDefaultHttp = "127.0.0.1:8080";

int ReportCommand(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope report", "--db DB --campaign NAME --out report.html");
  parser.Option("db", "the campaign database (opened read-only)").Required();
  parser.Option("campaign", "the campaign to report on").Required();
  parser.Option("out", "the HTML file to write").Required();
  const ParsedArgs args = parser.Parse(argv);
  ReadOnlyStore store(args.Get("db"));
  const std::string html = BuildReport(store, args.Get("campaign"));
  WriteFileAtomic(args.Get("out"), html);
  std::printf("wrote %s (%zu KiB)\n", args.Get("out").c_str(), html.size() / 1024);
  return 0;
}

}  // namespace

void AddHttpOptions(ArgParser& parser) {
  parser.Option("http", "dashboard address ADDR:PORT (default 127.0.0.1:8080, else an ephemeral port)");
  parser.Option("http-token", "access token the dashboard requires (default: none)");
  parser.Flag("no-http", "do not serve the dashboard");
}

std::unique_ptr<HttpServer> StartDashboard(const ParsedArgs& args, const std::string& db_path) {
  if (args.Flag("no-http")) {
    if (args.Has("http")) throw UsageError("give --http or --no-http, not both");
    return nullptr;
  }
  HttpServerOptions options;
  options.db_path = db_path;
  options.token = args.GetOptional("http-token").value_or("");
  const std::optional<std::string> address = args.GetOptional("http");
  ParseHttpAddress(address.value_or(kDefaultHttp), &options);
  std::unique_ptr<HttpServer> server;
  try {
    server = std::make_unique<HttpServer>(options);
  } catch (const Error& error) {
    if (address) throw;
    // The default port is taken (another coordinator, another program): any free port will do.
    spdlog::info("{}; using an ephemeral port", error.what());
    options.port = 0;
    server = std::make_unique<HttpServer>(options);
  }
  std::printf("dashboard at %s\n", server->url().c_str());
  std::fflush(stdout);
  return server;
}

std::vector<Command> DashboardCommands() {
  return {{"report", "write a campaign's analysis, charts and manifest as one HTML file", ReportCommand}};
}

}  // namespace emoscope
