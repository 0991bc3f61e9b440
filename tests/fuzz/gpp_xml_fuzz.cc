// libFuzzer target: ParsePreferenceXml on arbitrary bytes; a parsed tree is written into a
// report's XML and HTML and the XML read back. Built only with -DGPOP_FUZZ=ON (see
// CMakeLists.txt here); seeds in corpus/gpp_xml/.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "service/backends/sysvol/format/gpp.h"
#include "service/backends/sysvol/format/report_builder.h"
#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/format/report_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto root = gpop::sysvol::ParsePreferenceXml(bytes, "fuzz/Groups.xml");
  if (!root.ok()) return 0;
  std::vector<gpop::sysvol::ReportPreference> prefs = {
      gpop::sysvol::PreferenceFromFile(size % 2 == 0 ? "Groups" : "Registry", *root)};
  gpop::sysvol::ReportSideFiles machine;
  machine.preferences = &prefs;
  gpop::sysvol::Report report = gpop::sysvol::BuildReport({}, machine, {});
  (void)gpop::sysvol::RenderReportHtml(report);
  const std::string written = gpop::sysvol::WriteReportXml(report);
  auto back = gpop::sysvol::ParseReportXml(written, "fuzz.xml");
  // What gpop writes, gpop reads: a report of a parsed file must read back.
  if (!back.ok()) {
    std::fprintf(stderr, "the report does not read back: %s\n%s\n",
                 back.status().error().message.c_str(), written.c_str());
    std::abort();
  }
  return 0;
}
