#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "schema/database.h"
#include "schema/migrations.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

TEST_CASE("a new database is migrated to the latest schema version in WAL mode", "[store]") {
  testing::TempDir dir;
  Database db(dir.File("e.db"), OpenMode::kReadWrite);
  CHECK(db.UserVersion() == LatestSchemaVersion());
  CHECK(LatestSchemaVersion() >= 1);
  Statement mode = db.Prepare("PRAGMA journal_mode");
  REQUIRE(mode.Step());
  CHECK(mode.ColumnText(0) == "wal");
  Statement tables = db.Prepare("SELECT count(*) FROM result_tables WHERE name = 'test_results'");
  REQUIRE(tables.Step());
  CHECK(tables.ColumnInt(0) == 1);
}

TEST_CASE("reopening a migrated database applies nothing twice", "[store]") {
  testing::TempDir dir;
  { Database db(dir.File("e.db"), OpenMode::kReadWrite); }
  Database db(dir.File("e.db"), OpenMode::kReadWrite);
  CHECK(db.UserVersion() == LatestSchemaVersion());
}

TEST_CASE("a database newer than the build is an error naming the file", "[store]") {
  testing::TempDir dir;
  {
    Database db(dir.File("e.db"), OpenMode::kReadWrite);
    db.Exec("PRAGMA user_version = 999");
  }
  CHECK_THROWS_WITH(Database(dir.File("e.db"), OpenMode::kReadWrite),
                    Catch::Contains("e.db") && Catch::Contains("newer"));
}

TEST_CASE("opening a missing database read-only is an error naming the file", "[store]") {
  testing::TempDir dir;
  CHECK_THROWS_WITH(Database(dir.File("missing.db"), OpenMode::kReadOnly), Catch::Contains("missing.db"));
}

TEST_CASE("a file that is not an emoscope database is refused read-only", "[store]") {
  testing::TempDir dir;
  WriteFileAtomic(dir.File("junk.db"), std::string(4096, 'x'));
  CHECK_THROWS_WITH(Database(dir.File("junk.db"), OpenMode::kReadOnly), Catch::Contains("junk.db"));
}

TEST_CASE("an uncommitted transaction is rolled back", "[store]") {
  testing::TempDir dir;
  Database db(dir.File("e.db"), OpenMode::kReadWrite);
  {
    Transaction transaction(db);
    db.Exec("INSERT INTO meta (key, value) VALUES ('a', 'b')");
  }
  Statement count = db.Prepare("SELECT count(*) FROM meta WHERE key = 'a'");
  REQUIRE(count.Step());
  CHECK(count.ColumnInt(0) == 0);
}

TEST_CASE("foreign keys are enforced", "[store]") {
  testing::TempDir dir;
  Database db(dir.File("e.db"), OpenMode::kReadWrite);
  CHECK_THROWS_WITH(db.Exec("INSERT INTO test_results (task_id, worker, attempt) VALUES (42, 'w', 1)"),
                    Catch::Contains("FOREIGN KEY"));
}

TEST_CASE("a statement error names the database and the SQL", "[store]") {
  testing::TempDir dir;
  Database db(dir.File("e.db"), OpenMode::kReadWrite);
  CHECK_THROWS_WITH(db.Prepare("SELECT nope FROM tasks"), Catch::Contains("e.db") && Catch::Contains("nope"));
}

}  // namespace
}  // namespace emoscope
