# Unit tests of the streaming server, its WebSocket transport and TLS (server helper's files).
crio_unit_test(streaming_server_unit_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/token_cache_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/websocket_channel_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/server_http_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/server_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/server_tls_test.cc
  DEPS crio_streaming)
# The tests reach the area's internal headers (src/streaming/*.h) as "streaming/...".
target_include_directories(streaming_server_unit_tests PRIVATE ${CMAKE_SOURCE_DIR}/src)
