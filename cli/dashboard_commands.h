// The dashboard's command-line surface: --http/--http-token/--no-http for `coordinator` and `run`,
// and `emoscope report`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/args.h"
#include "dashboards/http_server.h"

namespace emoscope {

void AddHttpOptions(ArgParser& parser);

// Starts the dashboard on `db_path` as the options say (nullptr with --no-http) and prints its
// URL. Without --http it tries 127.0.0.1:8080 and takes an ephemeral port when that one is busy.
// Throws Error when an address given with --http cannot be bound.
std::unique_ptr<HttpServer> StartDashboard(const ParsedArgs& args, const std::string& db_path);

std::vector<Command> DashboardCommands();

}  // namespace emoscope
