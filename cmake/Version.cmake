# Code version stamped into every result row: the project version plus the git commit (and
# "-dirty" when the work tree has uncommitted changes at configure time).
find_package(Git QUIET)
set(EMOSCOPE_GIT_DESCRIBE "unknown")
if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE EMOSCOPE_GIT_DESCRIBE OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
endif()
if(NOT EMOSCOPE_GIT_DESCRIBE)
  set(EMOSCOPE_GIT_DESCRIBE "unknown")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/version.h.in ${PROJECT_BINARY_DIR}/generated/emoscope_version.h @ONLY)
