// libFuzzer target: ParseAuditCsv; a parsed file must parse again to the same model after writing.
// Built only with -DGPOP_FUZZ=ON (see CMakeLists.txt here); seeds in corpus/audit_csv/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/backends/sysvol/format/audit_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto csv = gpop::sysvol::ParseAuditCsv(bytes, "fuzz/audit.csv");
  if (!csv.ok()) return 0;
  auto again = gpop::sysvol::ParseAuditCsv(gpop::sysvol::WriteAuditCsv(*csv), "fuzz/audit.csv");
  if (!again.ok() || again->rows != csv->rows) std::abort();
  return 0;
}
