# Writes a .cc file holding every file under dashboards/assets/ as a byte array, so the programs
# serve the dashboard (and write reports) without any file beside them. Bytes, not raw strings:
# the vendored minified JavaScript may contain any character sequence.
# Run at build time with -DOUT=... -DDIR=...
file(GLOB_RECURSE asset_files RELATIVE "${DIR}" "${DIR}/*")
list(SORT asset_files)
set(body "// Generated from dashboards/assets/ by dashboards/embed_assets.cmake; do not edit.\n#include \"dashboards/assets.h\"\n\nnamespace emoscope {\nnamespace {\n")
set(table "")
set(index 0)
foreach(name ${asset_files})
  file(READ "${DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "const unsigned char kAsset${index}[] = {${bytes}0};\n")
  string(APPEND table "      {\"${name}\", std::string_view(reinterpret_cast<const char*>(kAsset${index}), ${size})},\n")
  math(EXPR index "${index} + 1")
endforeach()
string(APPEND body "}  // namespace\n\nconst std::vector<Asset>& Assets() {\n  static const std::vector<Asset> assets = {\n${table}  };\n  return assets;\n}\n\n}  // namespace emoscope\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
