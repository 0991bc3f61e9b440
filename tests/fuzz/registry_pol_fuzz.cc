// libFuzzer target: ParseRegistryPol on arbitrary bytes; whatever parses must write back byte for
// byte. Built only with -DGPOP_FUZZ=ON (see CMakeLists.txt here); seeds in corpus/registry_pol/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/backends/sysvol/format/registry_pol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto pol = gpop::sysvol::ParseRegistryPol(bytes, "fuzz/Registry.pol");
  if (!pol.ok()) return 0;
  auto written = gpop::sysvol::WriteRegistryPol(*pol);
  if (!written.ok() || *written != bytes) std::abort();
  for (const auto& e : pol->entries) {
    (void)e.Special();
    (void)e.AsString();
    (void)e.AsMultiString();
    (void)e.AsDword();
    (void)e.AsQword();
  }
  return 0;
}
