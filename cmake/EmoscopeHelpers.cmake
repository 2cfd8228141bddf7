# Shared compile settings and the helpers every folder uses.

# emoscope_library(NAME SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
# One library per folder; headers are included as "folder/file.h" from the repository root.
function(emoscope_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  emoscope_compile_options(${name})
endfunction()

function(emoscope_compile_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(EMOSCOPE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${EMOSCOPE_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${EMOSCOPE_SANITIZE})
  endif()
endfunction()

# emoscope_test(NAME SOURCES ... DEPS ...): a Catch2 test program whose test cases ctest lists one
# by one. The reference fixtures folder reaches the tests through EMOSCOPE_FIXTURES.
function(emoscope_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE emoscope_test_main ${ARG_DEPS})
  emoscope_compile_options(${name})
  # Tests run in the build folder, so that ProgramPath()'s fallback bin/ finds the programs:
  # catch_discover_tests splits the ENVIRONMENT list below, and ctest then sees only its first
  # entry (EMOSCOPE_FIXTURES), not EMOSCOPE_BIN_DIR.
  catch_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    PROPERTIES ENVIRONMENT "EMOSCOPE_FIXTURES=${EMOSCOPE_FIXTURES};EMOSCOPE_BIN_DIR=${PROJECT_BINARY_DIR}/bin;EMOSCOPE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
