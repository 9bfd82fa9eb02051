# Build facts that `crio version` prints; computed at configure time so ccache stays effective.
execute_process(COMMAND git rev-parse HEAD WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                OUTPUT_VARIABLE CRIO_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                OUTPUT_VARIABLE CRIO_GIT_DIRTY OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT CRIO_GIT_COMMIT)
  set(CRIO_GIT_COMMIT "unknown")
endif()
if(CRIO_GIT_DIRTY)
  set(CRIO_GIT_TREE_STATE "dirty")
else()
  set(CRIO_GIT_TREE_STATE "clean")
endif()
# The commit's date rather than the wall clock: a rebuild of the same commit is identical and
# ccache keeps its hits.
execute_process(COMMAND git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ
                WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} OUTPUT_VARIABLE CRIO_BUILD_DATE
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT CRIO_BUILD_DATE)
  string(TIMESTAMP CRIO_BUILD_DATE "%Y-%m-%dT%H:%M:%SZ" UTC)
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/build_info.h.in ${CMAKE_BINARY_DIR}/generated/crio/build_info.h @ONLY)
