#include "schema/migrations.h"

#include "common/error.h"
#include "common/log.h"
#include "schema/database.h"

namespace emoscope {

int LatestSchemaVersion() { return Migrations().empty() ? 0 : Migrations().back().version; }

void Migrate(Database& db) {
  const int current = db.UserVersion();
  if (current > LatestSchemaVersion()) {
    Fail("{}: schema version {} is newer than this build knows ({}); use a newer emoscope", db.path(),
         current, LatestSchemaVersion());
  }
  for (const Migration& migration : Migrations()) {
    if (migration.version <= current) continue;
    Transaction transaction(db);
    // Re-read inside the write lock: another process may have migrated meanwhile.
    if (db.UserVersion() >= migration.version) continue;
    db.Exec(migration.sql);
    db.Exec("PRAGMA user_version = " + std::to_string(migration.version));
    transaction.Commit();
    spdlog::debug("{}: schema migrated to version {} ({})", db.path(), migration.version, migration.name);
  }
}

}  // namespace emoscope
