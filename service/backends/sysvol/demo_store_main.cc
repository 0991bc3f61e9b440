// gpop-demo-store: writes a GPO store made by gpop's own writers.
//
//   gpop-demo-store DIR                          the demo GPOs (README's first command)
//   gpop-demo-store --gpos N --megabytes M DIR   N generated GPOs of about M MB in total
//
// DIR is the folder that will hold Policies/ (pass it to gpopd as --sysvol DIR).

#include <cstdio>
#include <cstdlib>
#include <string>

#include "service/backends/sysvol/demo_store.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: gpop-demo-store [--gpos N --megabytes M] DIR\n"
               "Writes DIR/Policies/{GUID}/ GPTs: the demo GPOs, or N generated ones of about M "
               "MB in total.\n");
  return 2;
}

bool ParseInt(const char* text, int* out) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < 0 || v > 1000000) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int gpos = -1;
  int megabytes = -1;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--gpos" || arg == "--megabytes") && i + 1 < argc) {
      if (!ParseInt(argv[++i], arg == "--gpos" ? &gpos : &megabytes)) return Usage();
    } else if (arg == "-h" || arg == "--help") {
      Usage();
      return 0;
    } else if (!arg.empty() && arg[0] != '-' && dir.empty()) {
      dir = arg;
    } else {
      return Usage();
    }
  }
  if (dir.empty() || ((gpos < 0) != (megabytes < 0))) return Usage();
  gpop::core::Result<std::vector<gpop::sysvol::DemoGpo>> written =
      gpos < 0 ? gpop::sysvol::WriteDemoStore(dir)
               : gpop::sysvol::WriteLargeStore(dir, gpos, megabytes);
  if (!written.ok()) {
    std::fprintf(stderr, "gpop-demo-store: %s\n", written.error().message.c_str());
    return 1;
  }
  for (const gpop::sysvol::DemoGpo& g : *written) {
    if (written->size() <= 20) std::printf("%s  %s\n", g.guid.c_str(), g.display_name.c_str());
  }
  std::printf("wrote %zu GPOs under %s/Policies\n", written->size(), dir.c_str());
  return 0;
}
