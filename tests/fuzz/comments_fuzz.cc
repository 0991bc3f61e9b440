// libFuzzer target: ParsePolicyComments and ParseGpoComment on arbitrary bytes. Built only with
// -DGPOP_FUZZ=ON (see CMakeLists.txt here); seeds in corpus/comments/.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "service/backends/sysvol/format/comments.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto comments = gpop::sysvol::ParsePolicyComments(bytes, "fuzz/comment.cmtx");
  if (comments.ok()) {
    for (const auto& [key, text] : comments->by_policy) (void)comments->Find(key, text);
  }
  (void)gpop::sysvol::ParseGpoComment(bytes, "fuzz/GPO.cmt");
  return 0;
}
