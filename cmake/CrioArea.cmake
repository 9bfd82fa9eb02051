# crio_area(NAME DEPS ...): one static library per area, built from src/NAME/*.cc, exposing include/.
function(crio_area name)
  cmake_parse_arguments(AREA "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  add_library(crio_${name} STATIC ${sources})
  target_include_directories(crio_${name} PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_BINARY_DIR}/generated)
  target_compile_options(crio_${name} PRIVATE -Wall -Wextra -Werror=return-type)
  target_link_libraries(crio_${name} PUBLIC ${AREA_DEPS})
endfunction()
