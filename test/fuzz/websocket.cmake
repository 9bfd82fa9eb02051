# The WebSocket frame reader (Beast, server role) and our channel decoding, fed arbitrary
# client bytes after a valid upgrade request.
crio_fuzz_target(websocket_frame_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/websocket_frame_fuzz.cc
          ${CMAKE_SOURCE_DIR}/src/streaming/websocket_channel.cc
  LIBS -lpthread
  SEEDS ${CMAKE_CURRENT_SOURCE_DIR}/websocket_seeds)
