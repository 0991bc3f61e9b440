// libFuzzer target: ParseGptTmplInf + ReadSecurityTemplate; whatever parses must write back byte
// for byte. Built only with -DGPOP_FUZZ=ON (see CMakeLists.txt here); seeds in corpus/gpttmpl_inf/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/backends/sysvol/format/inf_file.h"
#include "service/backends/sysvol/format/security_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto inf = gpop::sysvol::ParseGptTmplInf(bytes, "fuzz/GptTmpl.inf");
  if (!inf.ok()) return 0;
  auto written = gpop::sysvol::WriteGptTmplInf(*inf);
  // Bare LF line ends are written back as CRLF, so compare the re-parsed model instead.
  if (!written.ok()) std::abort();
  auto again = gpop::sysvol::ParseGptTmplInf(*written, "fuzz/GptTmpl.inf");
  if (!again.ok() || !(*again == *inf)) std::abort();
  auto tmpl = gpop::sysvol::ReadSecurityTemplate(*inf, "fuzz/GptTmpl.inf");
  if (tmpl.ok()) (void)gpop::sysvol::MakeSecurityTemplateInf(*tmpl);
  return 0;
}
