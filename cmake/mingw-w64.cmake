# CMake toolchain: cross-build gpop's Windows parts (service/core, the GPMC adapter and its
# tests) with Debian's mingw-w64 (package g++-mingw-w64-x86-64-posix: the posix thread model,
# so std::thread and std::mutex work), linked statically, and run the tests under Wine.
#
#   cmake -G Ninja -S . -B build/mingw -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
#
# tests/gpmc/run-wine-tests.sh does that, builds, creates the Wine prefix and runs ctest.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(GPOP_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${GPOP_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${GPOP_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${GPOP_MINGW_TRIPLE}-windres)

# Headers and libraries come from the mingw-w64 sysroot only; programs from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${GPOP_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Self-contained .exe files: no libgcc_s, libstdc++ or libwinpthread DLLs to put on Wine's path.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# Test executables run under Wine, quietly.
find_program(GPOP_WINE_PROGRAM wine NO_CMAKE_FIND_ROOT_PATH)
if(GPOP_WINE_PROGRAM)
  set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/env WINEDEBUG=-all ${GPOP_WINE_PROGRAM})
endif()

# GoogleTest is not in the mingw sysroot: cmake/mingw/FindGTest.cmake builds it from Debian's
# sources (/usr/src/googletest) for this target when the project asks for find_package(GTest).
list(APPEND CMAKE_MODULE_PATH ${CMAKE_CURRENT_LIST_DIR}/mingw)
