// `emoscope report`: one self-contained HTML file with a campaign's analysis, charts and manifest
// (the chart library, scripts, styles and the data inlined; it opens without a network or server).
// Errors: an unknown campaign throws Error naming it and the database.
#pragma once

#include <string>

#include "dashboards/read_only_query.h"

namespace emoscope {

std::string BuildReport(ReadOnlyStore& store, const std::string& campaign);

}  // namespace emoscope
