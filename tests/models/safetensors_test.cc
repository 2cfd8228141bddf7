#include "models/checkpoint/safetensors.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "common/error.h"
#include "common/file_util.h"
#include "common/sha256.h"
#include "models/checkpoint/model_config.h"
#include "tests/support/test_support.h"

namespace {

using emoscope::DType;
using emoscope::Error;
using emoscope::TensorToWrite;
using emoscope::testing::TempDir;

// A safetensors file assembled by hand: u64 LE header length, header text, data bytes.
std::string RawFile(const std::string& header, const std::string& data) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(uint64_t{header.size()} >> (8 * i));
  return bytes + header + data;
}

// Plain write: the tests write hundreds of small files, and fsync would dominate their time.
void WriteRaw(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::vector<uint8_t> Pattern(size_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(seed + 31 * i);
  return bytes;
}

std::string Bytes(const emoscope::TensorView& view) {
  return std::string(reinterpret_cast<const char*>(view.data), view.nbytes);
}

std::string Bytes(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

// Two small tensors, each written as its own shard.
void WriteShardedFolder(const std::string& dir, bool first_shard_first) {
  const auto a = Pattern(24, 1), b = Pattern(6, 2);
  const auto write_a = [&] {
    emoscope::WriteSafetensors(dir + "/model-00001-of-00002.safetensors",
                               {{"a", DType::kF32, {2, 3}, a.data(), a.size()}});
  };
  const auto write_b = [&] {
    emoscope::WriteSafetensors(dir + "/model-00002-of-00002.safetensors",
                               {{"b", DType::kBF16, {3}, b.data(), b.size()}});
  };
  if (first_shard_first) {
    write_a();
    write_b();
  } else {
    write_b();
    write_a();
  }
  WriteRaw(dir + "/model.safetensors.index.json",
           R"({"metadata": {"total_size": 30}, "weight_map": {)"
           R"("a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}})");
}

}  // namespace

TEST_CASE("every dtype and the metadata survive a write and a read", "[safetensors]") {
  const std::vector<DType> dtypes = {DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kI64,
                                     DType::kI32, DType::kI16, DType::kI8,  DType::kU8,   DType::kBool};
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<TensorToWrite> tensors;
  for (size_t i = 0; i < dtypes.size(); ++i) {
    const std::vector<int64_t> shape = {static_cast<int64_t>(i % 3 + 1), 5};
    buffers.push_back(Pattern(static_cast<size_t>(shape[0] * shape[1]) * emoscope::DTypeSize(dtypes[i]),
                              static_cast<uint8_t>(i)));
    tensors.push_back({std::string("t.") + emoscope::DTypeName(dtypes[i]), dtypes[i], shape,
                       buffers[i].data(), buffers[i].size()});
  }
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "ünïcode \"quoted\""}};
  TempDir dir;
  const std::string path = dir.File("all.safetensors");
  emoscope::WriteSafetensors(path, tensors, metadata);

  const std::string raw = emoscope::ReadFile(path);
  uint64_t header_size = 0;
  std::memcpy(&header_size, raw.data(), 8);
  CHECK(header_size % 8 == 0);
  CHECK(raw[8 + header_size - 1] != '\0');

  const auto file = emoscope::SafetensorsFile::Open(path);
  CHECK(file.metadata() == metadata);
  CHECK(file.path() == path);
  REQUIRE(file.tensors().size() == tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const emoscope::TensorView& view = file.tensors()[i];  // file order is the order given
    CAPTURE(tensors[i].name);
    CHECK(view.name == tensors[i].name);
    CHECK(view.dtype == tensors[i].dtype);
    CHECK(view.shape == tensors[i].shape);
    CHECK(view.numel() == tensors[i].shape[0] * 5);
    CHECK(view.file == path);
    CHECK(Bytes(view) == Bytes(buffers[i]));
    CHECK(file.Find(tensors[i].name) == &view);
    CHECK(emoscope::ParseDType(emoscope::DTypeName(view.dtype)) == view.dtype);
  }
  CHECK(file.Find("absent") == nullptr);
  CHECK_FALSE(emoscope::ParseDType("F8_E4M3").has_value());
}

TEST_CASE("the writer lays out bytes exactly as the reference implementation does", "[safetensors]") {
  // Expected files from huggingface/safetensors' own serialization tests (tensor.rs).
  const float values[] = {0, 1, 2, 3, 4, 5};
  const std::string data(reinterpret_cast<const char*>(values), sizeof(values));
  TempDir dir;
  emoscope::WriteSafetensors(dir.File("a.safetensors"), {{"attn.0", DType::kF32, {1, 2, 3}, values, 24}});
  CHECK(emoscope::ReadFile(dir.File("a.safetensors")) ==
        RawFile(R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})", data));
  emoscope::WriteSafetensors(dir.File("b.safetensors"), {{"attn0", DType::kF32, {1, 1, 2, 3}, values, 24}});
  CHECK(emoscope::ReadFile(dir.File("b.safetensors")) ==
        RawFile(R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       )", data));
  emoscope::WriteSafetensors(dir.File("c.safetensors"), {}, {{"framework", "pt"}});
  CHECK(emoscope::ReadFile(dir.File("c.safetensors")) ==
        RawFile(R"({"__metadata__":{"framework":"pt"}}     )", ""));
}

TEST_CASE("empty tensors, scalars and files without tensors are valid", "[safetensors]") {
  TempDir dir;
  const float scalar = 2.5f;
  emoscope::WriteSafetensors(dir.File("e.safetensors"), {{"empty", DType::kF32, {0, 3}, nullptr, 0},
                                                         {"scalar", DType::kF32, {}, &scalar, 4}});
  const auto file = emoscope::SafetensorsFile::Open(dir.File("e.safetensors"));
  REQUIRE(file.tensors().size() == 2);
  CHECK(file.Find("empty")->numel() == 0);
  CHECK(file.Find("empty")->nbytes == 0);
  CHECK(file.Find("empty")->shape == std::vector<int64_t>{0, 3});
  CHECK(file.Find("scalar")->numel() == 1);
  float read_back = 0;
  std::memcpy(&read_back, file.Find("scalar")->data, 4);
  CHECK(read_back == scalar);

  emoscope::WriteSafetensors(dir.File("none.safetensors"), {});
  CHECK(emoscope::ReadFile(dir.File("none.safetensors")) == RawFile("{}      ", ""));
  CHECK(emoscope::SafetensorsFile::Open(dir.File("none.safetensors")).tensors().empty());
}

TEST_CASE("the writer refuses wrong sizes and repeated names, naming the tensor", "[safetensors]") {
  TempDir dir;
  const std::string path = dir.File("w.safetensors");
  const auto data = Pattern(16, 0);
  REQUIRE_THROWS_WITH(emoscope::WriteSafetensors(path, {{"x", DType::kF32, {3}, data.data(), 16}}),
                      Catch::Contains(path) && Catch::Contains("'x'") && Catch::Contains("need 12"));
  REQUIRE_THROWS_WITH(emoscope::WriteSafetensors(path, {{"x", DType::kF32, {-1}, data.data(), 16}}),
                      Catch::Contains("'x'"));
  REQUIRE_THROWS_WITH(emoscope::WriteSafetensors(path, {{"x", DType::kU8, {1LL << 62, 8}, data.data(), 16}}),
                      Catch::Contains("impossible"));
  REQUIRE_THROWS_WITH(emoscope::WriteSafetensors(path, {{"x", DType::kU8, {4}, data.data(), 4},
                                                        {"x", DType::kU8, {4}, data.data(), 4}}),
                      Catch::Contains("'x' is given twice"));
  CHECK_FALSE(emoscope::FileExists(path));
}

TEST_CASE("each malformed header is an error naming the file and the tensor", "[safetensors]") {
  struct Case {
    const char* what;
    std::string bytes;
    std::vector<std::string> expected;  // substrings of the message besides the path
  };
  const std::string f32x2 = R"("dtype": "F32", "shape": [2])";
  const std::vector<Case> cases = {
      {"shorter than 8 bytes", "abc", {"too short"}},
      {"header length past the end", RawFile("{}", "").substr(0, 9), {"past the end"}},
      {"absurd header length", std::string("\xff\xff\xff\xff\xff\x00\x00\x00{}", 10), {"limit"}},
      {"not JSON", RawFile("{\"a\": ", ""), {"not valid JSON"}},
      {"invalid UTF-8", RawFile("{\"\xff\": 1}", ""), {"not valid JSON"}},
      {"not an object", RawFile("[1, 2]", ""), {"not a JSON object"}},
      {"entry not an object", RawFile(R"({"w": [1]})", ""), {"'w'", "not a JSON object"}},
      {"no dtype",
       RawFile(R"({"w": {"shape": [2], "data_offsets": [0, 8]}})", std::string(8, 'x')),
       {"'w'", "dtype"}},
      {"no shape",
       RawFile(R"({"w": {"dtype": "F32", "data_offsets": [0, 8]}})", std::string(8, 'x')),
       {"'w'", "shape"}},
      {"no data_offsets", RawFile("{\"w\": {" + f32x2 + "}}", std::string(8, 'x')), {"'w'", "data_offsets"}},
      {"dtype not a string",
       RawFile(R"({"w": {"dtype": 4, "shape": [2], "data_offsets": [0, 8]}})", std::string(8, 'x')),
       {"'w'", "dtype"}},
      {"unknown dtype",
       RawFile(R"({"w": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}})", std::string(8, 'x')),
       {"'w'", "unknown dtype 'Q4'"}},
      {"shape not an array",
       RawFile(R"({"w": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}})", std::string(8, 'x')),
       {"'w'", "shape"}},
      {"negative dimension",
       RawFile(R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", std::string(8, 'x')),
       {"'w'", "negative"}},
      {"fractional dimension",
       RawFile(R"({"w": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}})", std::string(8, 'x')),
       {"'w'", "not an integer"}},
      {"size overflow",
       RawFile(R"({"w": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})", ""),
       {"'w'", "overflows"}},
      {"offsets not a pair",
       RawFile("{\"w\": {" + f32x2 + R"(, "data_offsets": [8]}})", std::string(8, 'x')),
       {"'w'", "data_offsets"}},
      {"offsets negative",
       RawFile("{\"w\": {" + f32x2 + R"(, "data_offsets": [-8, 0]}})", std::string(8, 'x')),
       {"'w'", "data_offsets"}},
      {"begin after end",
       RawFile("{\"w\": {" + f32x2 + R"(, "data_offsets": [8, 0]}})", std::string(8, 'x')),
       {"'w'", "begin 8 > end 0"}},
      {"end past the data",
       RawFile("{\"w\": {" + f32x2 + R"(, "data_offsets": [0, 8]}})", std::string(4, 'x')),
       {"'w'", "beyond"}},
      {"wrong byte length",
       RawFile("{\"w\": {" + f32x2 + R"(, "data_offsets": [0, 4]}})", std::string(4, 'x')),
       {"'w'", "need 8"}},
      {"overlap",
       RawFile("{\"a\": {" + f32x2 + R"(, "data_offsets": [0, 8]}, "b": {)" + f32x2 +
                   R"(, "data_offsets": [4, 12]}})",
               std::string(12, 'x')),
       {"'b' overlaps tensor 'a'"}},
      {"hole",
       RawFile("{\"w\": {" + f32x2 + R"(, "data_offsets": [4, 12]}})", std::string(12, 'x')),
       {"'w'", "4 unused bytes"}},
      {"trailing bytes",
       RawFile("{\"w\": {" + f32x2 + R"(, "data_offsets": [0, 8]}})", std::string(12, 'x')),
       {"cover 8 of the 12"}},
      {"metadata not an object", RawFile(R"({"__metadata__": "pt"})", ""), {"__metadata__"}},
      {"metadata value not a string",
       RawFile(R"({"__metadata__": {"step": 3}})", ""),
       {"__metadata__", "'step'"}},
  };
  TempDir dir;
  const std::string path = dir.File("bad.safetensors");
  for (const Case& c : cases) {
    CAPTURE(c.what);
    WriteRaw(path, c.bytes);
    try {
      emoscope::SafetensorsFile::Open(path);
      FAIL("no error");
    } catch (const Error& error) {
      const std::string message = error.what();
      CAPTURE(message);
      CHECK(message.find(path) != std::string::npos);
      for (const std::string& part : c.expected) CHECK(message.find(part) != std::string::npos);
    }
  }
}

TEST_CASE("every truncation and single-byte corruption of a file is an error, never a crash",
          "[safetensors]") {
  TempDir dir;
  const auto a = Pattern(12, 3), b = Pattern(4, 4);
  emoscope::WriteSafetensors(
      dir.File("full.safetensors"),
      {{"a", DType::kF16, {2, 3}, a.data(), a.size()}, {"b", DType::kI8, {4}, b.data(), b.size()}},
      {{"k", "v"}});
  const std::string full = emoscope::ReadFile(dir.File("full.safetensors"));
  const std::string path = dir.File("cut.safetensors");
  for (size_t length = 0; length < full.size(); ++length) {
    CAPTURE(length);
    WriteRaw(path, full.substr(0, length));
    REQUIRE_THROWS_AS(emoscope::SafetensorsFile::Open(path), Error);
  }
  // Header bytes replaced by characters that keep or break the JSON: either it still reads, with
  // every tensor inside the file, or it is an Error.
  for (size_t position = 0; position < full.size() - a.size() - b.size(); ++position) {
    for (const char replacement : {'\0', '\xff', '0', '9', '-', '"', '[', '}', ' '}) {
      std::string bytes = full;
      bytes[position] = replacement;
      WriteRaw(path, bytes);
      try {
        const auto file = emoscope::SafetensorsFile::Open(path);
        for (const auto& view : file.tensors()) {
          CHECK(view.data + view.nbytes <= file.mapping().data() + file.mapping().size());
        }
      } catch (const Error&) {
      }
    }
  }
  CHECK(emoscope::SafetensorsFile::Open(dir.File("full.safetensors")).tensors().size() == 2);
}

TEST_CASE("a folder of two shards reads every tensor from its shard", "[safetensors][weights]") {
  TempDir dir;
  WriteShardedFolder(dir.path(), true);
  const auto weights = emoscope::WeightSet::OpenFolder(dir.path());
  CHECK(weights.Names() == std::vector<std::string>{"a", "b"});
  CHECK(weights.files() == std::vector<std::string>{dir.File("model-00001-of-00002.safetensors"),
                                                    dir.File("model-00002-of-00002.safetensors")});
  REQUIRE(weights.Find("a") != nullptr);
  REQUIRE(weights.Find("b") != nullptr);
  CHECK(Bytes(*weights.Find("a")) == Bytes(Pattern(24, 1)));
  CHECK(weights.Find("a")->file == weights.files()[0]);
  CHECK(Bytes(*weights.Find("b")) == Bytes(Pattern(6, 2)));
  CHECK(weights.Find("b")->dtype == DType::kBF16);
  CHECK(weights.Find("c") == nullptr);

  // model.safetensors, when present, is the whole set.
  const auto c = Pattern(4, 9);
  emoscope::WriteSafetensors(dir.File("model.safetensors"), {{"c", DType::kU8, {4}, c.data(), 4}});
  const auto single = emoscope::WeightSet::OpenFolder(dir.path());
  CHECK(single.Names() == std::vector<std::string>{"c"});
  CHECK(single.files() == std::vector<std::string>{dir.File("model.safetensors")});
}

TEST_CASE("a broken index or shard is an error naming the file and the tensor", "[safetensors][weights]") {
  TempDir dir;
  WriteShardedFolder(dir.path(), true);
  const std::string index = dir.File("model.safetensors.index.json");
  const std::string shard1 = "model-00001-of-00002.safetensors";
  const auto expect_error = [&](const std::string& index_text, std::vector<std::string> parts) {
    CAPTURE(index_text);
    WriteRaw(index, index_text);
    try {
      emoscope::WeightSet::OpenFolder(dir.path());
      FAIL("no error");
    } catch (const Error& error) {
      const std::string message = error.what();
      CAPTURE(message);
      for (const std::string& part : parts) CHECK(message.find(part) != std::string::npos);
    }
  };
  expect_error(R"({"metadata": {}})", {index, "weight_map"});
  expect_error(R"({"weight_map": )", {index, "JSON"});
  expect_error(R"({"weight_map": {"a": "missing.safetensors"}})",
               {index, dir.File("missing.safetensors"), "missing"});
  expect_error(R"({"weight_map": {"a": "../elsewhere.safetensors"}})", {index, "'a'", "not a file name"});
  expect_error(R"({"weight_map": {"a": ")" + shard1 + R"(", "z": ")" + shard1 + R"("}})",
               {index, "'z'", shard1});
  expect_error(R"({"weight_map": {"a": "model-00002-of-00002.safetensors", "b": ")" + shard1 + R"("}})",
               {index, "'a'", "model-00002-of-00002.safetensors"});

  // The same tensor in two shards.
  const auto a = Pattern(24, 1);
  emoscope::WriteSafetensors(dir.File("model-00002-of-00002.safetensors"),
                             {{"a", DType::kF32, {6}, a.data(), a.size()}});
  expect_error(
      R"({"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}})",
      {dir.path(), "'a'", "two shards"});

  TempDir empty;
  REQUIRE_THROWS_WITH(emoscope::WeightSet::OpenFolder(empty.path()), Catch::Contains(empty.path()));
  REQUIRE_THROWS_WITH(emoscope::WeightSet::OpenFolder(empty.File("nope")),
                      Catch::Contains("not a directory"));
}

TEST_CASE("the weights checksum follows its definition and tracks every byte, not write order",
          "[safetensors][weights]") {
  TempDir one, two;
  WriteShardedFolder(one.path(), true);
  WriteShardedFolder(two.path(), false);
  const std::string checksum = emoscope::WeightsChecksum(one.path());
  CHECK(checksum == emoscope::WeightsChecksum(two.path()));

  // The definition: base name, NUL, bytes, for each weight file in sorted order; no index file.
  emoscope::Sha256 sha;
  for (const char* name : {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}) {
    sha.Update(name, std::strlen(name) + 1);
    sha.Update(emoscope::ReadFile(one.File(name)));
  }
  CHECK(checksum == sha.HexDigest());

  // One byte of one weight changed: still a valid file, another checksum.
  const std::string shard = two.File("model-00002-of-00002.safetensors");
  std::string bytes = emoscope::ReadFile(shard);
  bytes.back() = static_cast<char>(bytes.back() ^ 1);
  WriteRaw(shard, bytes);
  CHECK(emoscope::WeightsChecksum(two.path()) != checksum);
}

TEST_CASE("half and bfloat16 conversions are exact, round to even and keep NaN and infinity", "[float16]") {
  using emoscope::BFloat16ToFloat;
  using emoscope::FloatToBFloat16;
  using emoscope::FloatToHalf;
  using emoscope::HalfToFloat;
  // Every representable value converts back to itself (NaNs stay NaNs of the same sign).
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto h = static_cast<uint16_t>(bits);
    if (std::isnan(HalfToFloat(h))) {
      CHECK(std::isnan(HalfToFloat(FloatToHalf(HalfToFloat(h)))));
      CHECK((FloatToHalf(HalfToFloat(h)) & 0x8000) == (h & 0x8000));
    } else if (FloatToHalf(HalfToFloat(h)) != h) {
      FAIL("half " << bits << " does not survive a round trip");
    }
    if (std::isnan(BFloat16ToFloat(h))) {
      CHECK(std::isnan(BFloat16ToFloat(FloatToBFloat16(BFloat16ToFloat(h)))));
    } else if (FloatToBFloat16(BFloat16ToFloat(h)) != h) {
      FAIL("bfloat16 " << bits << " does not survive a round trip");
    }
  }
  CHECK(HalfToFloat(0x3c00) == 1.0f);
  CHECK(HalfToFloat(0x7bff) == 65504.0f);
  CHECK(HalfToFloat(0x0001) == std::ldexp(1.0f, -24));
  CHECK(HalfToFloat(0xc000) == -2.0f);
  CHECK(BFloat16ToFloat(0x3f80) == 1.0f);
  CHECK(BFloat16ToFloat(0xc049) == -3.140625f);
  // Ties go to the even neighbour, anything past the tie away from it.
  CHECK(FloatToHalf(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
  CHECK(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
  CHECK(FloatToHalf(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)) == 0x3c01);
  CHECK(FloatToHalf(std::ldexp(1.0f, -25)) == 0x0000);   // half the smallest subnormal
  CHECK(FloatToHalf(std::ldexp(3.0f, -25)) == 0x0002);   // 1.5 subnormal units -> 2
  CHECK(FloatToHalf(-std::ldexp(1.0f, -26)) == 0x8000);  // underflow keeps the sign
  CHECK(FloatToHalf(65519.0f) == 0x7bff);
  CHECK(FloatToHalf(65520.0f) == 0x7c00);  // the tie above 65504 overflows
  CHECK(FloatToBFloat16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);
  CHECK(FloatToBFloat16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3f82);
  CHECK(FloatToBFloat16(std::numeric_limits<float>::max()) == 0x7f80);
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(FloatToHalf(inf) == 0x7c00);
  CHECK(FloatToHalf(-inf) == 0xfc00);
  CHECK(FloatToBFloat16(-inf) == 0xff80);
  CHECK(std::isinf(HalfToFloat(0x7c00)));
  CHECK(std::isnan(HalfToFloat(FloatToHalf(nan))));
  CHECK(std::isnan(HalfToFloat(FloatToHalf(-nan))));
  CHECK(std::isnan(BFloat16ToFloat(FloatToBFloat16(nan))));
  uint32_t low_payload_nan_bits = 0x7f800001;  // a NaN whose payload truncation would lose
  float low_payload_nan;
  std::memcpy(&low_payload_nan, &low_payload_nan_bits, 4);
  CHECK(std::isnan(HalfToFloat(FloatToHalf(low_payload_nan))));
  CHECK(std::isnan(BFloat16ToFloat(FloatToBFloat16(low_payload_nan))));
}

TEST_CASE("float to half agrees with a brute-force nearest-even search", "[float16]") {
  // The positive finite halves in increasing order are the bit patterns 0..0x7bff.
  std::mt19937 random(7);
  std::uniform_real_distribution<float> exponent(-27.0f, 16.5f);
  for (int trial = 0; trial < 20000; ++trial) {
    const float value = std::exp2(exponent(random));
    uint16_t best = 0;
    for (uint16_t step = 0x4000; step > 0; step >>= 1) {  // largest half <= value
      if (best + step <= 0x7bff && emoscope::HalfToFloat(static_cast<uint16_t>(best + step)) <= value)
        best += step;
    }
    uint16_t expected = best;
    if (best == 0x7bff) {
      expected = value >= 65520.0f ? 0x7c00 : 0x7bff;
    } else {
      const double below = emoscope::HalfToFloat(best), above = emoscope::HalfToFloat(best + 1);
      const double gap_below = value - below, gap_above = above - value;
      if (gap_above < gap_below || (gap_above == gap_below && (best & 1))) expected = best + 1;
    }
    CAPTURE(value);
    REQUIRE(emoscope::FloatToHalf(value) == expected);
    REQUIRE(emoscope::FloatToHalf(-value) == (expected | 0x8000));
  }
}

TEST_CASE("the reference model fixtures, written by the Python library, read and validate",
          "[safetensors][fixtures]") {
  const auto gpt2 = emoscope::testing::RequireFixtures("models/gpt2-tiny");
  if (!gpt2) return;
  const auto weights = emoscope::WeightSet::OpenFolder(*gpt2);
  const emoscope::TensorView* wte = weights.Find("transformer.wte.weight");
  REQUIRE(wte != nullptr);
  CHECK(wte->dtype == DType::kF32);
  CHECK(wte->shape == std::vector<int64_t>{96, 64});
  CHECK(emoscope::WeightsChecksum(*gpt2) == [&] {
    emoscope::Sha256 sha;
    sha.Update(std::string("model.safetensors") + '\0');
    sha.Update(emoscope::ReadFile(*gpt2 + "/model.safetensors"));
    return sha.HexDigest();
  }());
  for (const char* model :
       {"gpt2-tiny", "llama-tiny-gqa", "gemma-tiny", "gemma2-tiny", "gemma3-tiny", "qwen2-tiny"}) {
    CAPTURE(model);
    const std::string dir = *emoscope::testing::FixturesDir() + "/models/" + model;
    CHECK(emoscope::WeightSet::OpenFolder(dir).Names().size() > 5);
    const auto expected = emoscope::SafetensorsFile::Open(dir + "/expected.safetensors");
    REQUIRE(expected.Find("logits") != nullptr);
    CHECK(expected.Find("logits")->dtype == DType::kF32);
    CHECK(expected.Find("input_ids")->dtype == DType::kI64);
  }
}

// Found by fuzz/model_config_fuzz.cc (fuzz/regressions/model_config_fuzz/number-overflow): the
// JSON parser's out_of_range for a number beyond double escaped as an uncaught exception.
TEST_CASE("a config.json number too large for a double is an error naming the file, not a crash", "[config][fuzz]") {
  CHECK_THROWS_AS(emoscope::ParseModelConfig("{\"vocab_size\": 96, \"hidden_size\": 1e888888}", "/m/config.json"),
                  emoscope::Error);
  CHECK_THROWS_WITH(emoscope::ParseModelConfig("{\"hidden_size\": -1e999}", "/m/config.json"),
                    Catch::Contains("/m/config.json") && Catch::Contains("not valid JSON"));
}

// Found by fuzz/model_config_fuzz.cc (fuzz/regressions/model_config_fuzz/model-type-not-a-string):
// json::value("model_type", "") threw type_error for a numeric model_type.
TEST_CASE("a config.json whose model_type is not a string is an error naming the file, not a crash", "[config][fuzz]") {
  CHECK_THROWS_WITH(emoscope::ParseModelConfig("{\"model_type\": 3, \"hidden_size\": 64}", "/m/config.json"),
                    Catch::Contains("/m/config.json") && Catch::Contains("model_type"));
}
