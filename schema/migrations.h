// Versioned schema migrations. The .sql files under schema/migrations/ are embedded into the binary
// at build time; migration N brings the database from user_version N-1 to N.
#pragma once

#include <string>
#include <vector>

namespace emoscope {

class Database;

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// The embedded migrations in version order (generated at build time).
const std::vector<Migration>& Migrations();

// The schema version this build writes.
int LatestSchemaVersion();

// Applies every migration newer than the file's user_version, each in its own transaction.
// Throws Error naming the file when the file is newer than this build knows.
void Migrate(Database& db);

}  // namespace emoscope
