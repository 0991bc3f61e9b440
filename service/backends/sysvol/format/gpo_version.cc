// GPO version bumps (see gpo_version.h).

#include "service/backends/sysvol/format/gpo_version.h"

namespace gpop::sysvol {

namespace {

uint16_t Next(uint16_t half) {
  uint16_t next = static_cast<uint16_t>(half + 1);
  return next == 0 ? 1 : next;
}

}  // namespace

uint32_t BumpUserVersion(uint32_t version) {
  return MakeGpoVersion(Next(UserVersion(version)), ComputerVersion(version));
}

uint32_t BumpComputerVersion(uint32_t version) {
  return MakeGpoVersion(UserVersion(version), Next(ComputerVersion(version)));
}

}  // namespace gpop::sysvol
