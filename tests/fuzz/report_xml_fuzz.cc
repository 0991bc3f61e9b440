// libFuzzer target: ParseReportXml on arbitrary bytes, then the XML and HTML writers on what it
// read. Built only with -DGPOP_FUZZ=ON (see CMakeLists.txt here); seeds in corpus/report_xml/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/format/report_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto report = gpop::sysvol::ParseReportXml(bytes, "gpreport.xml");
  if (!report.ok()) return 0;
  std::string xml = gpop::sysvol::WriteReportXml(*report);
  if (!gpop::sysvol::ParseReportXml(xml, "ours.xml").ok()) std::abort();
  (void)gpop::sysvol::RenderReportHtml(*report);
  return 0;
}
