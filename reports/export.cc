#include "reports/export.h"

#include <sqlite3.h>

#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "schema/database.h"

namespace emoscope {

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Base64(const std::string& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

size_t ExportRelation(Database& db, const ExportOptions& options, std::ostream& out) {
  const std::string type = options.kind == RelationKind::kTable ? "table" : "view";
  Statement names = db.Prepare("SELECT name FROM sqlite_master WHERE type = ?1 AND name NOT LIKE 'sqlite_%' ORDER BY name");
  names.Bind(1, type);
  bool found = false;
  std::string known;
  while (names.Step()) {
    const std::string name = names.ColumnText(0);
    found = found || name == options.name;
    known += (known.empty() ? "" : ", ") + name;
  }
  if (!found) Fail("{}: no {} named '{}' ({}s: {})", db.path(), type, options.name, type, known);

  // The name was checked against the schema, so quoting it is enough.
  Statement probe = db.Prepare(fmt::format("SELECT * FROM \"{}\" LIMIT 0", options.name));
  const int count = probe.ColumnCount();
  std::string order;
  for (int column = 1; column <= count; ++column) order += (column > 1 ? ", " : "") + std::to_string(column);
  Statement rows = db.Prepare(fmt::format("SELECT * FROM \"{}\"{}", options.name, count > 0 ? " ORDER BY " + order : ""));
  std::vector<std::string> columns;
  for (int column = 0; column < count; ++column) columns.push_back(rows.ColumnName(column));

  size_t written = 0;
  const bool csv = options.format == ExportFormat::kCsv;
  bool header_done = false;
  std::vector<bool> keep(columns.size(), true);
  auto write_header = [&]() {
    std::string line;
    bool first = true;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (!keep[c]) continue;
      line += (first ? "" : ",") + CsvField(columns[c]);
      first = false;
    }
    out << line << "\r\n";
    header_done = true;
  };
  if (!csv) out << "[";
  while (rows.Step()) {
    // A BLOB column is known from its first row's value; skipped columns leave the header too.
    if (!header_done && options.blobs == BlobMode::kSkip) {
      for (int c = 0; c < count; ++c) keep[static_cast<size_t>(c)] = rows.ColumnType(c) != SQLITE_BLOB;
    }
    if (csv && !header_done) write_header();
    header_done = true;
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    std::string line;
    bool first = true;
    for (int c = 0; c < count; ++c) {
      const auto column = static_cast<size_t>(c);
      if (!keep[column]) continue;
      std::string text;
      nlohmann::ordered_json value;
      switch (rows.ColumnType(c)) {
        case SQLITE_INTEGER:
          value = rows.ColumnInt(c);
          text = value.dump();
          break;
        case SQLITE_FLOAT:
          value = rows.ColumnDouble(c);
          text = value.dump();
          break;
        case SQLITE_TEXT:
          value = rows.ColumnText(c);
          text = value.get<std::string>();
          break;
        case SQLITE_BLOB:
          // Skipping: a BLOB in a column whose first row held none is written as NULL.
          if (options.blobs == BlobMode::kSkip) break;
          value = Base64(rows.ColumnBlob(c));
          text = value.get<std::string>();
          break;
        default:
          value = nullptr;
      }
      if (csv) {
        line += (first ? "" : ",") + CsvField(text);
      } else {
        object[columns[column]] = std::move(value);
      }
      first = false;
    }
    if (csv) {
      out << line << "\r\n";
    } else {
      out << (written == 0 ? "\n" : ",\n") << object.dump();
    }
    ++written;
  }
  if (csv && !header_done) write_header();
  if (!csv) out << (written == 0 ? "]\n" : "\n]\n");
  return written;
}

}  // namespace emoscope
