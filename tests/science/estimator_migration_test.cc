// Migration 6 keys emotion_vectors by estimator: rows stored before it become mean_difference,
// one (task, layer, emotion) may hold a vector per estimator, and unknown estimators are refused.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <string>

#include "schema/migrations.h"

namespace {

// Runs sql; returns "" or sqlite's error message.
std::string Exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return "";
  std::string out = message ? message : "error";
  sqlite3_free(message);
  return out;
}

std::string Text(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  INFO(sql);
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  const auto* text = sqlite3_column_text(stmt, 0);
  std::string out = text ? reinterpret_cast<const char*>(text) : "NULL";
  sqlite3_finalize(stmt);
  return out;
}

}  // namespace

TEST_CASE("migration 6 makes stored vectors mean_difference and keys vectors by estimator",
          "[estimators][schema]") {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
  const emoscope::Migration* six = nullptr;
  for (const emoscope::Migration& migration : emoscope::Migrations()) {
    if (migration.version == 6) six = &migration;
    if (migration.version < 6) REQUIRE(Exec(db, migration.sql).empty());
  }
  REQUIRE(six != nullptr);
  REQUIRE(
      Exec(db,
           "INSERT INTO emotion_vectors (task_id, layer, emotion, method, dim, norm, removed_components, "
           "removed_share, data) VALUES (1, 2, 'joy', 'generation', 1, 0.5, 1, 0.25, x'0000803f');"
           "INSERT INTO steering_scenarios (task_id, layer, emotion, alpha, mode, generations, successes, "
           "hit_rate, success) VALUES (1, 2, 'joy', 0.1, 'relative', 4, 1, 0.5, 0)")
          .empty());
  REQUIRE(Exec(db, six->sql).empty());
  CHECK(Text(db, "SELECT estimator || ' ' || norm || ' ' || hex(data) FROM emotion_vectors") ==
        "mean_difference 0.5 0000803F");
  CHECK(Text(db, "SELECT estimator FROM steering_scenarios") == "mean_difference");
  CHECK(
      Exec(db,
           "INSERT INTO emotion_vectors (task_id, layer, emotion, method, estimator, dim, norm, "
           "removed_components, removed_share, data) VALUES (1, 2, 'joy', 'generation', 'logistic', 1, 1, 0, "
           "0, x'0000803f')")
          .empty());
  CHECK(
      Text(db, "SELECT COUNT(*) FROM emotion_vectors WHERE task_id = 1 AND layer = 2 AND emotion = 'joy'") ==
      "2");
  CHECK_THAT(
      Exec(db,
           "INSERT INTO emotion_vectors (task_id, layer, emotion, method, estimator, dim, norm, "
           "removed_components, removed_share, data) VALUES (1, 2, 'joy', 'generation', 'svm', 1, 1, 0, 0, "
           "x'00')"),
      Catch::Contains("CHECK"));
  sqlite3_close(db);
}
