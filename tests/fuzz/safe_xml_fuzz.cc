// libFuzzer target: LoadXml with small limits (depth, nodes) on arbitrary bytes: never crash or
// hang. Built only with -DGPOP_FUZZ=ON (see CMakeLists.txt here); seeds in corpus/safe_xml/.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "service/backends/sysvol/format/safe_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  gpop::sysvol::XmlLimits limits;
  limits.max_depth = 16;
  limits.max_nodes = 4096;
  auto doc = gpop::sysvol::LoadXml(bytes, "fuzz.xml", limits);
  if (doc.ok()) (void)gpop::sysvol::NodeText((*doc)->document_element());
  return 0;
}
