// Export of one table or view of a campaign database as CSV (RFC 4180: comma-separated, CRLF line
// ends, fields with a comma, quote, CR or LF quoted, quotes doubled; a header row; NULL is an
// empty field) or JSON (an array of objects, one per row; NULL is null). REAL values are written
// in their shortest round-trip form, so reading them back gives the same double. BLOBs are base64
// (RFC 4648, with padding) or left out (BlobMode::kSkip: columns whose first row holds a BLOB are
// dropped, a BLOB in another column is written as NULL). Rows are ordered by every column in
// turn, so the same database gives the same bytes.
//
// Errors: a name that is no table (or no view) of the database is an Error naming it and listing
// those there are.
#pragma once

#include <ostream>
#include <string>

namespace emoscope {

class Database;

enum class RelationKind { kTable, kView };
enum class ExportFormat { kCsv, kJson };
enum class BlobMode { kBase64, kSkip };

struct ExportOptions {
  std::string name;
  RelationKind kind = RelationKind::kTable;
  ExportFormat format = ExportFormat::kCsv;
  BlobMode blobs = BlobMode::kBase64;
};

// Writes the relation to `out`; returns the number of rows written.
size_t ExportRelation(Database& db, const ExportOptions& options, std::ostream& out);

// One CSV field, quoted when it needs to be (RFC 4180).
std::string CsvField(const std::string& value);

// RFC 4648 base64 with padding.
std::string Base64(const std::string& bytes);

}  // namespace emoscope
