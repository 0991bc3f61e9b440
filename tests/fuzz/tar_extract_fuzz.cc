// service/transfer: an uploaded tar stream -> ExtractTar -> CheckLayout, as a publish runs them.
// Whatever the bytes, nothing may appear outside the destination folder, and inside it only
// regular files and folders.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "service/transfer/tar_extract.h"
#include "service/transfer/upload_layout.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path work = [] {
    fs::path dir = fs::temp_directory_path() / ("gpop-tar-fuzz-" + std::to_string(getpid()));
    fs::create_directories(dir);
    return dir;
  }();
  const fs::path tar = work / "in.tar";
  const fs::path dest = work / "dest";
  std::error_code ec;
  fs::remove_all(dest, ec);
  fs::create_directories(dest);
  {
    std::ofstream out(tar, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  gpop::transfer::ExtractLimits limits;
  limits.max_file_bytes = 1 << 20;
  limits.max_total_bytes = 4 << 20;
  limits.max_entries = 500;
  auto files = gpop::transfer::ExtractTar(tar, dest, limits);
  if (files.ok()) (void)gpop::transfer::CheckLayout(dest, *files);
  for (const fs::directory_entry& e : fs::directory_iterator(work)) {
    const std::string name = e.path().filename().string();
    if (name != "in.tar" && name != "dest") std::abort();  // something escaped
  }
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dest)) {
    if (e.is_symlink() || !(e.is_regular_file() || e.is_directory())) std::abort();
  }
  return 0;
}
