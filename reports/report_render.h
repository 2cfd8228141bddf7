// Printing a study report (study.h) as json, text (tables and an ASCII plot of each localization
// curve), markdown, or csv (long format: section,row,field,value). Pure functions of the report:
// the same report gives the same bytes. Unknown format: UsageError naming it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace emoscope {

std::string RenderReport(const nlohmann::ordered_json& report, const std::string& format);

}  // namespace emoscope
