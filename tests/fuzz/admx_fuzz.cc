// libFuzzer target: AdmxCatalog::AddFile on arbitrary ADMX bytes (the input split at the first NUL
// into ADMX and ADML), then lookups. Built only with -DGPOP_FUZZ=ON (see CMakeLists.txt here);
// seeds in corpus/admx/.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "service/backends/sysvol/format/admx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  size_t nul = bytes.find(static_cast<char>(0));
  std::string_view admx = bytes.substr(0, nul);
  std::string_view adml =
      nul == std::string_view::npos ? std::string_view() : bytes.substr(nul + 1);
  gpop::sysvol::AdmxCatalog catalog;
  if (!catalog.AddFile(admx, adml, "fuzz.admx").ok()) return 0;
  catalog.Finish();
  for (const auto& p : catalog.policies()) {
    (void)catalog.Find(true, p.key, p.value_name);
    (void)catalog.Find(false, p.key, "**del." + p.value_name);
  }
  return 0;
}
