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
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC 12 with sanitizers reports -Wmaybe-uninitialized inside libstdc++'s <regex> (its own
      # std::function temporaries), not in emoscope code; the plain build keeps the warning.
      target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
    endif()
  endif()
endfunction()

# emoscope_test(NAME SOURCES ... DEPS ...): a Catch2 test program whose test cases ctest lists one
# by one. The programs' and fixtures' folders are compiled into emoscope_test_main
# (tests/CMakeLists.txt); the environment (EMOSCOPE_BIN_DIR, EMOSCOPE_FIXTURES) overrides them.
function(emoscope_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE emoscope_test_main ${ARG_DEPS})
  emoscope_compile_options(${name})
  catch_discover_tests(${name} WORKING_DIRECTORY ${PROJECT_BINARY_DIR})
endfunction()
