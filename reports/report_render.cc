#include "reports/report_render.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "common/error.h"
#include "reports/export.h"

namespace emoscope {
namespace {

using Json = nlohmann::ordered_json;

// Section keys in report order, with their titles.
const std::vector<std::pair<std::string, std::string>>& Sections() {
  static const std::vector<std::pair<std::string, std::string>> sections = {
      {"localization", "Localization curve"},
      {"peak_depth", "Peak relative depth (bootstrap interval)"},
      {"u_fit", "U-fit of mean_cosine against relative depth"},
      {"architecture_invariance", "Architecture invariance"},
      {"family_peak_depth", "Peak depth per family"},
      {"representational_similarity", "Representational similarity"},
      {"method_comparison", "Method comparison"},
      {"method_comparison_pairs", "Method comparison pairs"},
      {"steering", "Steering by model, layer and coefficient"},
      {"steering_by_coefficient", "Steering by coefficient"},
      {"steering_dose_response",
       "Steering dose-response (in_calibrated_window: alpha within the calibrated window)"},
      {"steering_overall", "Steering overall"},
  };
  return sections;
}

// A cell for people: 4 significant digits, '-' for null.
std::string Cell(const Json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_number_float()) return fmt::format("{:.4g}", value.get<double>());
  return value.dump();
}

// A cell for machines: the exact value (JSON's shortest round-trip form), empty for null.
std::string ExactCell(const Json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::vector<std::string> Columns(const Json& rows) {
  std::vector<std::string> columns;
  for (const Json& row : rows) {
    for (const auto& item : row.items()) {
      if (std::find(columns.begin(), columns.end(), item.key()) == columns.end())
        columns.push_back(item.key());
    }
  }
  return columns;
}

std::string TextTable(const Json& rows) {
  if (rows.empty()) return "  (no rows)\n";
  const std::vector<std::string> columns = Columns(rows);
  std::vector<size_t> widths;
  for (const std::string& column : columns) widths.push_back(column.size());
  std::vector<std::vector<std::string>> cells;
  for (const Json& row : rows) {
    std::vector<std::string> line;
    for (size_t c = 0; c < columns.size(); ++c) {
      line.push_back(row.contains(columns[c]) ? Cell(row.at(columns[c])) : "");
      widths[c] = std::max(widths[c], line.back().size());
    }
    cells.push_back(std::move(line));
  }
  std::string out = " ";
  for (size_t c = 0; c < columns.size(); ++c) out += fmt::format(" {:<{}}", columns[c], widths[c]);
  out += "\n";
  for (const auto& line : cells) {
    out += " ";
    for (size_t c = 0; c < columns.size(); ++c) out += fmt::format(" {:<{}}", line[c], widths[c]);
    out += "\n";
  }
  return out;
}

// A horizontal bar of `width` characters for value in [low, high].
std::string Bar(const Json& value, double low, double high, int width) {
  if (!value.is_number()) return std::string(static_cast<size_t>(width), ' ');
  const double share = std::clamp((value.get<double>() - low) / (high - low), 0.0, 1.0);
  const auto filled = static_cast<int>(std::lround(share * width));
  return std::string(static_cast<size_t>(filled), '#') +
         std::string(static_cast<size_t>(width - filled), '.');
}

// One plot per (model, method): probe_accuracy on [0, 1] and mean_cosine on [-1, 1] per layer.
std::string CurvePlots(const Json& rows) {
  std::string out;
  std::string current;
  for (const Json& row : rows) {
    const std::string key = row.at("model").get<std::string>() + " / " + row.at("method").get<std::string>();
    if (key != current) {
      current = key;
      out += fmt::format("\n  {}\n  {:>5} {:>5}  {:<32} {:<24}\n", key, "layer", "r", "probe_accuracy [0, 1]",
                         "mean_cosine [-1, 1]");
    }
    out += fmt::format("  {:>5} {:>5.2f}  |{}| {:<6} |{}| {}\n", row.at("layer").get<int64_t>(),
                       row.at("relative_depth").is_number() ? row.at("relative_depth").get<double>() : 0.0,
                       Bar(row.at("probe_accuracy"), 0, 1, 24), Cell(row.at("probe_accuracy")),
                       Bar(row.at("mean_cosine"), -1, 1, 16), Cell(row.at("mean_cosine")));
  }
  return out;
}

void Flatten(const Json& value, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>* out) {
  if (value.is_object()) {
    for (const auto& item : value.items())
      Flatten(item.value(), prefix.empty() ? item.key() : prefix + "." + item.key(), out);
  } else if (value.is_array() && !value.empty() && (value.front().is_object() || value.front().is_array())) {
    for (size_t i = 0; i < value.size(); ++i) Flatten(value[i], fmt::format("{}[{}]", prefix, i), out);
  } else if (value.is_array()) {
    out->push_back({prefix, value.dump()});
  } else {
    out->push_back({prefix, ExactCell(value)});
  }
}

std::string RenderText(const Json& report) {
  const Json& manifest = report.at("manifest");
  std::string out = fmt::format("emoscope analyze: campaign {} (spec sha256 {})\n",
                                manifest.at("campaign").at("name").get<std::string>(),
                                manifest.at("campaign").at("spec_hash").get<std::string>());
  out += "\n== Manifest ==\n";
  std::vector<std::pair<std::string, std::string>> flat;
  Flatten(manifest, "", &flat);
  for (const auto& [key, value] : flat) out += fmt::format("  {}: {}\n", key, value);
  for (const auto& [key, title] : Sections()) {
    out += fmt::format("\n== {} ==\n", title);
    const Json& rows = report.at("sections").at(key);
    out += TextTable(rows);
    if (key == "localization" && !rows.empty()) out += CurvePlots(rows);
  }
  out += "\n== Notes ==\n";
  if (report.at("notes").empty()) out += "  (none)\n";
  for (const Json& note : report.at("notes")) out += "  - " + note.get<std::string>() + "\n";
  return out;
}

std::string MarkdownEscape(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string RenderMarkdown(const Json& report) {
  const Json& manifest = report.at("manifest");
  std::string out =
      fmt::format("# emoscope analyze: campaign {}\n\n## Manifest\n\n```json\n{}\n```\n",
                  MarkdownEscape(manifest.at("campaign").at("name").get<std::string>()), manifest.dump(2));
  for (const auto& [key, title] : Sections()) {
    out += fmt::format("\n## {}\n\n", title);
    const Json& rows = report.at("sections").at(key);
    if (rows.empty()) {
      out += "_no rows_\n";
      continue;
    }
    const std::vector<std::string> columns = Columns(rows);
    out += "|";
    for (const std::string& column : columns) out += " " + column + " |";
    out += "\n|";
    for (size_t c = 0; c < columns.size(); ++c) out += " --- |";
    out += "\n";
    for (const Json& row : rows) {
      out += "|";
      for (const std::string& column : columns) {
        out += " " + MarkdownEscape(row.contains(column) ? Cell(row.at(column)) : "") + " |";
      }
      out += "\n";
    }
  }
  out += "\n## Notes\n\n";
  if (report.at("notes").empty()) out += "_none_\n";
  for (const Json& note : report.at("notes")) out += "- " + MarkdownEscape(note.get<std::string>()) + "\n";
  return out;
}

std::string RenderCsv(const Json& report) {
  std::string out = "section,row,field,value\r\n";
  auto line = [&](const std::string& section, const std::string& row, const std::string& field,
                  const std::string& value) {
    out += CsvField(section) + "," + CsvField(row) + "," + CsvField(field) + "," + CsvField(value) + "\r\n";
  };
  std::vector<std::pair<std::string, std::string>> flat;
  Flatten(report.at("manifest"), "", &flat);
  for (const auto& [key, value] : flat) line("manifest", "", key, value);
  for (const auto& [key, title] : Sections()) {
    const Json& rows = report.at("sections").at(key);
    for (size_t i = 0; i < rows.size(); ++i) {
      for (const auto& item : rows[i].items())
        line(key, std::to_string(i), item.key(), ExactCell(item.value()));
    }
  }
  for (size_t i = 0; i < report.at("notes").size(); ++i)
    line("notes", std::to_string(i), "note", report.at("notes")[i].get<std::string>());
  return out;
}

}  // namespace

std::string RenderReport(const nlohmann::ordered_json& report, const std::string& format) {
  if (format == "json") return report.dump(2) + "\n";
  if (format == "text") return RenderText(report);
  if (format == "markdown") return RenderMarkdown(report);
  if (format == "csv") return RenderCsv(report);
  throw UsageError(fmt::format("option --format: '{}' is not text, json, csv or markdown", format));
}

}  // namespace emoscope
