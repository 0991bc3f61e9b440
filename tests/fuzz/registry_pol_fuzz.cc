// libFuzzer target: ParseRegistryPol on arbitrary bytes; whatever parses must write back byte for
// byte, and its report written from the entries (as a backup writes gpreport.xml) must be the
// decoded report's bytes. Built only with -DGPOP_FUZZ=ON (see CMakeLists.txt here); seeds in
// corpus/registry_pol/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report_builder.h"
#include "service/backends/sysvol/format/report_xml.h"

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
  gpop::sysvol::ReportSideFiles computer;
  computer.registry_pol = &*pol;
  const gpop::sysvol::ReportIdentity id;
  const auto decoded = gpop::sysvol::BuildReport(id, computer, {});
  const auto by_reference = gpop::sysvol::BuildReport(id, computer, {}, nullptr, true);
  if (gpop::sysvol::WriteReportXmlUtf16(by_reference) !=
          gpop::sysvol::WriteReportXmlUtf16(decoded) ||
      gpop::sysvol::WriteReportXml(by_reference) != gpop::sysvol::WriteReportXml(decoded)) {
    std::abort();
  }
  return 0;
}
