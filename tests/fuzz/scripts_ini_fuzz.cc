// libFuzzer target: ParseScriptsIni on arbitrary bytes, then the report's scripts of a
// successful parse. Built only with -DGPOP_FUZZ=ON (see CMakeLists.txt here); seeds in
// corpus/scripts_ini/.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "service/backends/sysvol/format/report_builder.h"
#include "service/backends/sysvol/format/scripts_ini.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto ini = gpop::sysvol::ParseScriptsIni(bytes, "fuzz/scripts.ini");
  if (!ini.ok()) return 0;
  (void)gpop::sysvol::ScriptsFromIni(*ini, size % 2 == 0);
  return 0;
}
