# The SPDY/3.1 frame parser under libFuzzer (spdy_frame.cc needs only the C++ library and zlib).
crio_fuzz_target(spdy_frame_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/spdy_frame_fuzz.cc
          ${CMAKE_SOURCE_DIR}/src/streaming/spdy_frame.cc
  LIBS -lz
  SEEDS ${CMAKE_CURRENT_SOURCE_DIR}/seeds/spdy)
