# SPDY/3.1 transport tests: the codec, the connection over socketpairs, and the remote command
# and port-forward sessions end to end over loopback TCP with real processes.
crio_unit_test(spdy_unit_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/spdy_frame_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/spdy_connection_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/spdy_session_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/spdy_test_util.cc
  DEPS crio_streaming)
target_include_directories(spdy_unit_tests PRIVATE ${CMAKE_SOURCE_DIR}/src)

# Interop with moby/spdystream (the kubelet's and kubectl's SPDY library) through a small Go
# program built from Debian's golang-github-docker-spdystream-dev, offline (GOPATH mode).
find_program(GO_EXECUTABLE go)
set(SPDYSTREAM_DIR /usr/share/gocode/src/github.com/moby/spdystream)
if(GO_EXECUTABLE AND EXISTS ${SPDYSTREAM_DIR}/connection.go)
  set(interop_dir ${CMAKE_SOURCE_DIR}/test/interop/spdy)
  set(interop_bin ${CMAKE_CURRENT_BINARY_DIR}/spdy_interop)
  add_custom_command(
    OUTPUT ${interop_bin}
    COMMAND ${CMAKE_COMMAND} -E env GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS=
            GOCACHE=${CMAKE_CURRENT_BINARY_DIR}/go-cache
            ${GO_EXECUTABLE} build -o ${interop_bin} .
    WORKING_DIRECTORY ${interop_dir}
    DEPENDS ${interop_dir}/main.go
    COMMENT "Building the spdystream interop program"
    VERBATIM)
  add_custom_target(spdy_interop_build ALL DEPENDS ${interop_bin})
  crio_unit_test(spdy_interop_tests
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/spdy_interop_test.cc
            ${CMAKE_CURRENT_LIST_DIR}/spdy_test_util.cc
    DEPS crio_streaming)
  target_include_directories(spdy_interop_tests PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_definitions(spdy_interop_tests PRIVATE SPDY_INTEROP_BINARY="${interop_bin}")
  add_dependencies(spdy_interop_tests spdy_interop_build)
else()
  message(STATUS "go or spdystream sources missing: the SPDY interop tests are not built")
endif()
