# FindGTest for the mingw-w64 cross build (cmake/mingw-w64.cmake puts this folder on
# CMAKE_MODULE_PATH). No Windows GoogleTest is installed, so this builds it from Debian's
# `googletest` sources for the target and provides the usual imported-style names:
# GTest::gtest, GTest::gtest_main, GTest::gmock, GTest::gmock_main.

set(GPOP_GOOGLETEST_SOURCE_DIR /usr/src/googletest CACHE PATH
    "GoogleTest sources to build for the cross target (Debian package googletest)")

if(NOT TARGET GTest::gtest)
  if(EXISTS ${GPOP_GOOGLETEST_SOURCE_DIR}/CMakeLists.txt)
    set(INSTALL_GTEST OFF)
    set(BUILD_GMOCK ON)
    add_subdirectory(${GPOP_GOOGLETEST_SOURCE_DIR} ${CMAKE_BINARY_DIR}/_deps/googletest
                     EXCLUDE_FROM_ALL SYSTEM)
    # GoogleTest 1.11+ defines these aliases itself; older sources do not.
    foreach(lib gtest gtest_main gmock gmock_main)
      if(NOT TARGET GTest::${lib})
        add_library(GTest::${lib} ALIAS ${lib})
      endif()
    endforeach()
  endif()
endif()

include(FindPackageHandleStandardArgs)
if(TARGET GTest::gtest)
  set(GTEST_SOURCE_DIR ${GPOP_GOOGLETEST_SOURCE_DIR})
endif()
find_package_handle_standard_args(GTest REQUIRED_VARS GTEST_SOURCE_DIR)
