# Sample configuration goes to /etc/crio only when the admin has none there yet.
set(sample_dir "${CMAKE_CURRENT_LIST_DIR}/../contrib/config")
foreach(file crio.conf)
  if(EXISTS "$ENV{DESTDIR}/etc/crio/${file}")
    message(STATUS "Keeping existing /etc/crio/${file}")
  else()
    # file(INSTALL) adds DESTDIR to an absolute destination itself.
    file(INSTALL "${sample_dir}/${file}" DESTINATION "/etc/crio")
  endif()
endforeach()
file(MAKE_DIRECTORY "$ENV{DESTDIR}/etc/crio/crio.conf.d")
