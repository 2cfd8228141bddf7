#include "stimuli/stimuli.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>

#include "common/error.h"
#include "common/file_util.h"
#include "stimuli/utf8.h"
#include "tests/support/test_support.h"

namespace {

using emoscope::Error;
using emoscope::Stimulus;
using emoscope::testing::TempDir;

std::string Line(const std::string& id, const std::string& emotion, const std::string& text) {
  return R"({"id": ")" + id + R"(", "emotion": ")" + emotion + R"(", "text": ")" + text + "\"}\n";
}

// Writes `contents` to a file in `dir` and expects loading it to fail with a message naming the
// file, the line, and `reason`.
void RequireLoadError(const TempDir& dir, const std::string& contents, int line, const std::string& reason) {
  const std::string path = dir.File("bad.jsonl");
  emoscope::WriteFileAtomic(path, contents);
  REQUIRE_THROWS_AS(emoscope::LoadStimuliFile(path), Error);
  REQUIRE_THROWS_WITH(emoscope::LoadStimuliFile(path),
                      Catch::Contains(path + ":" + std::to_string(line) + ":") && Catch::Contains(reason));
}

// Sets EMOSCOPE_STIMULI_DIR for the scope of one test and restores it after.
class ScopedStimuliDir {
 public:
  explicit ScopedStimuliDir(const std::string& dir) {
    const char* old = std::getenv("EMOSCOPE_STIMULI_DIR");
    had_old_ = old != nullptr;
    if (had_old_) old_ = old;
    ::setenv("EMOSCOPE_STIMULI_DIR", dir.c_str(), 1);
  }
  ~ScopedStimuliDir() {
    if (had_old_) {
      ::setenv("EMOSCOPE_STIMULI_DIR", old_.c_str(), 1);
    } else {
      ::unsetenv("EMOSCOPE_STIMULI_DIR");
    }
  }
  ScopedStimuliDir(const ScopedStimuliDir&) = delete;
  ScopedStimuliDir& operator=(const ScopedStimuliDir&) = delete;

 private:
  bool had_old_ = false;
  std::string old_;
};

}  // namespace

TEST_CASE("a well-formed file loads with ids, emotions, texts and line numbers", "[stimuli]") {
  TempDir dir;
  const std::string path = dir.File("ok.jsonl");
  emoscope::WriteFileAtomic(
      path, Line("a", "joy", "The sun came out.") + "\n   \n" +
                R"({"id": "b", "emotion": "fear", "text": "A door creaked.", "source": "x"})" + "\r\n");
  const auto stimuli = emoscope::LoadStimuliFile(path);
  REQUIRE(stimuli.size() == 2);
  CHECK(stimuli[0].id == "a");
  CHECK(stimuli[0].emotion == "joy");
  CHECK(stimuli[0].text == "The sun came out.");
  CHECK(stimuli[0].line == 1);
  CHECK(stimuli[1].id == "b");
  CHECK(stimuli[1].line == 4);
}

TEST_CASE("a leading byte-order mark is tolerated", "[stimuli]") {
  const auto stimuli = emoscope::ParseStimuli("\xEF\xBB\xBF" + Line("a", "joy", "Caf\xC3\xA9 time."), "mem");
  REQUIRE(stimuli.size() == 1);
  CHECK(stimuli[0].text == "Caf\xC3\xA9 time.");
}

TEST_CASE("malformed stimuli files give errors naming the file and the line", "[stimuli]") {
  TempDir dir;
  const std::string good = Line("a", "joy", "Fine.");
  SECTION("malformed JSON") {
    RequireLoadError(dir, good + "{\"id\": \"b\", \"emotion\": \n", 2, "malformed JSON");
  }
  SECTION("a line that is not an object") { RequireLoadError(dir, good + "[1, 2]\n", 2, "object"); }
  SECTION("missing id") {
    RequireLoadError(dir,
                     good + R"({"emotion": "joy", "text": "x"})"
                            "\n",
                     2, "\"id\"");
  }
  SECTION("missing text") {
    RequireLoadError(dir,
                     good + R"({"id": "b", "emotion": "joy"})"
                            "\n",
                     2, "\"text\"");
  }
  SECTION("non-string emotion") {
    RequireLoadError(dir,
                     good + R"({"id": "b", "emotion": 3, "text": "x"})"
                            "\n",
                     2, "must be a string");
  }
  SECTION("empty text") { RequireLoadError(dir, good + Line("b", "joy", "  "), 2, "empty"); }
  SECTION("duplicate id names both lines") {
    RequireLoadError(dir, good + Line("b", "joy", "x") + Line("a", "fear", "y"), 3, "first used on line 1");
  }
  SECTION("invalid UTF-8 names the byte") {
    RequireLoadError(dir, good + Line("b", "joy", "bad \xC3\x28 byte"), 2, "invalid UTF-8 at byte");
  }
  SECTION("a truncated last line") {
    RequireLoadError(dir, good + R"({"id": "b", "emo)", 2, "malformed JSON");
  }
}

TEST_CASE("a missing stimuli file is an error naming the file", "[stimuli]") {
  REQUIRE_THROWS_WITH(emoscope::LoadStimuliFile("/nonexistent/s.jsonl"),
                      Catch::Contains("/nonexistent/s.jsonl"));
}

TEST_CASE("UTF-8 validation rejects overlong forms, surrogates and truncated sequences", "[stimuli][utf8]") {
  const auto npos = std::string_view::npos;
  CHECK(emoscope::FindInvalidUtf8("plain ascii") == npos);
  CHECK(emoscope::FindInvalidUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") == npos);  // é € 😀
  CHECK(emoscope::FindInvalidUtf8("ab\xC0\x80") == 2);                               // overlong NUL
  CHECK(emoscope::FindInvalidUtf8("\xED\xA0\x80") == 0);                             // surrogate
  CHECK(emoscope::FindInvalidUtf8("\xF4\x90\x80\x80") == 0);                         // > U+10FFFF
  CHECK(emoscope::FindInvalidUtf8("x\xE2\x82") == 1);                                // truncated
  CHECK(emoscope::FindInvalidUtf8("\x80") == 0);                                     // lone continuation
}

TEST_CASE("an emotion set loads by name from sets.json or from a user file", "[stimuli][sets]") {
  TempDir dir;
  emoscope::WriteFileAtomic(dir.File("sets.json"), R"({"version": 1, "sets": {"two": ["joy", "fear"]}})");
  ScopedStimuliDir scoped(dir.path());
  CHECK(emoscope::BuiltinStimuliDir() == dir.path());
  const auto two = emoscope::LoadEmotionSet("two");
  CHECK(two.name == "two");
  CHECK(two.emotions == std::vector<std::string>{"joy", "fear"});
  REQUIRE_THROWS_WITH(emoscope::LoadEmotionSet("three"),
                      Catch::Contains("unknown emotion set \"three\"") && Catch::Contains("two"));

  emoscope::WriteFileAtomic(dir.File("mine.json"), R"({"name": "mine", "emotions": ["awe"]})");
  CHECK(emoscope::LoadEmotionSet(dir.File("mine.json")).emotions == std::vector<std::string>{"awe"});
}

TEST_CASE("a malformed emotion set file is an error naming the file and field", "[stimuli][sets]") {
  TempDir dir;
  const std::string path = dir.File("set.json");
  emoscope::WriteFileAtomic(path, R"({"name": "x", "emotions": ["joy", "joy"]})");
  REQUIRE_THROWS_WITH(emoscope::LoadEmotionSet(path),
                      Catch::Contains(path) && Catch::Contains("emotions[1]"));
  emoscope::WriteFileAtomic(path, R"({"name": "x", "emotions": []})");
  REQUIRE_THROWS_WITH(emoscope::LoadEmotionSet(path), Catch::Contains(path) && Catch::Contains("empty set"));
  emoscope::WriteFileAtomic(path, R"({"name": "x", "emotions": ["joy", 4]})");
  REQUIRE_THROWS_WITH(emoscope::LoadEmotionSet(path), Catch::Contains("emotions[1]"));
  emoscope::WriteFileAtomic(path, R"({"name": "x", "emotions": )");
  REQUIRE_THROWS_WITH(emoscope::LoadEmotionSet(path),
                      Catch::Contains(path) && Catch::Contains("malformed JSON"));
  emoscope::WriteFileAtomic(path, R"({"version": 2, "sets": {}})");
  REQUIRE_THROWS_WITH(emoscope::LoadEmotionSets(path), Catch::Contains(path) && Catch::Contains("version"));
}

TEST_CASE("an EMOSCOPE_STIMULI_DIR without sets.json is an error, not silently ignored", "[stimuli][sets]") {
  TempDir dir;
  ScopedStimuliDir scoped(dir.path());
  REQUIRE_THROWS_WITH(emoscope::BuiltinStimuliDir(),
                      Catch::Contains("EMOSCOPE_STIMULI_DIR") && Catch::Contains(dir.path()));
}

TEST_CASE("selecting a set keeps its emotions in order and requires each of them", "[stimuli][sets]") {
  const std::vector<Stimulus> stimuli = {{"1", "joy", "a", 1, ""},
                                         {"2", "neutral", "b", 2, ""},
                                         {"3", "fear", "c", 3, ""},
                                         {"4", "joy", "d", 4, ""}};
  const auto selected = emoscope::SelectEmotionSet(stimuli, {"s", {"joy", "fear"}});
  REQUIRE(selected.size() == 3);
  CHECK(selected[0].id == "1");
  CHECK(selected[1].id == "3");
  CHECK(selected[2].id == "4");
  REQUIRE_THROWS_WITH(emoscope::SelectEmotionSet(stimuli, {"s", {"joy", "awe"}}), Catch::Contains("\"awe\""));
}

TEST_CASE("shards are disjoint, cover every stimulus and differ in size by at most one", "[stimuli][shard]") {
  std::vector<Stimulus> stimuli;
  for (int index = 0; index < 23; ++index)
    stimuli.push_back({std::to_string(index), "joy", "t", index + 1, ""});
  std::set<std::string> seen;
  size_t smallest = stimuli.size();
  size_t largest = 0;
  for (int shard = 0; shard < 5; ++shard) {
    const auto part = emoscope::ShardStimuli(stimuli, shard, 5);
    smallest = std::min(smallest, part.size());
    largest = std::max(largest, part.size());
    for (const auto& stimulus : part) CHECK(seen.insert(stimulus.id).second);
    const auto again = emoscope::ShardStimuli(stimuli, shard, 5);
    REQUIRE(again.size() == part.size());
    for (size_t k = 0; k < part.size(); ++k) CHECK(again[k].id == part[k].id);
  }
  CHECK(seen.size() == stimuli.size());
  CHECK(largest - smallest <= 1);
  CHECK(emoscope::ShardStimuli(stimuli, 0, 1).size() == stimuli.size());
  REQUIRE_THROWS_AS(emoscope::ShardStimuli(stimuli, 5, 5), Error);
  REQUIRE_THROWS_AS(emoscope::ShardStimuli(stimuli, 0, 0), Error);
}
