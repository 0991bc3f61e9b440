// libFuzzer target: ParseGptIni; a parsed file must parse again to the same model after writing.
// Built only with -DGPOP_FUZZ=ON (see CMakeLists.txt here); seeds in corpus/gpt_ini/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/backends/sysvol/format/gpt_ini.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto ini = gpop::sysvol::ParseGptIni(bytes, "fuzz/GPT.INI");
  if (!ini.ok()) return 0;
  auto again = gpop::sysvol::ParseGptIni(gpop::sysvol::WriteGptIni(*ini), "fuzz/GPT.INI");
  if (!again.ok() || again->version != ini->version || again->display_name != ini->display_name) {
    std::abort();
  }
  return 0;
}
