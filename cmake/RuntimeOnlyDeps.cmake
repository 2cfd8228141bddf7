# fmt and spdlog for EMOSCOPE_RUNTIME_ONLY (top-level CMakeLists.txt), header-only: imported
# interface targets under the names the folders link (fmt::fmt, spdlog::spdlog), made from the
# headers alone. A libtorch built with another C++ string ABI (older PyTorch wheels) then never
# meets a compiled libfmt or libspdlog, and only -dev packages' headers are needed (as
# scripts/gpu-check.sh unpacks them).
find_path(EMOSCOPE_FMT_INCLUDE fmt/format.h REQUIRED)
find_path(EMOSCOPE_SPDLOG_INCLUDE spdlog/spdlog.h REQUIRED)
add_library(fmt::fmt INTERFACE IMPORTED)
set_target_properties(fmt::fmt PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${EMOSCOPE_FMT_INCLUDE}"
  INTERFACE_COMPILE_DEFINITIONS "FMT_HEADER_ONLY=1")
add_library(spdlog::spdlog INTERFACE IMPORTED)
set_target_properties(spdlog::spdlog PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${EMOSCOPE_SPDLOG_INCLUDE}"
  INTERFACE_COMPILE_DEFINITIONS "SPDLOG_FMT_EXTERNAL"
  INTERFACE_LINK_LIBRARIES "fmt::fmt;Threads::Threads")
message(STATUS "emoscope: runtime only; fmt headers in ${EMOSCOPE_FMT_INCLUDE}, spdlog in ${EMOSCOPE_SPDLOG_INCLUDE}")
