// Samba domain controller detection (see dc_detection.h).

#include "service/backends/sysvol/dc_detection.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <vector>

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

std::optional<pid_t> ReadPidFile(const fs::path& file) {
  std::ifstream in(file);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

// Scans /proc for a process whose program is "samba" and whose command line contains `needle`
// (any samba when `needle` is empty).
std::optional<std::string> FindSambaProcess(const std::string& needle) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return std::nullopt;
  std::optional<std::string> found;
  while (struct dirent* e = ::readdir(proc)) {
    std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in("/proc/" + name + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.empty()) continue;
    std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
    std::string base = fs::path(argv0).filename().string();
    if (base != "samba") continue;
    if (needle.empty() || cmdline.find(needle) != std::string::npos) {
      found = "a running samba process (pid " + name + ") serves it";
      break;
    }
  }
  ::closedir(proc);
  return found;
}

}  // namespace

std::optional<std::string> DetectRunningDc(const fs::path& sysvol_dir) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(sysvol_dir, ec);
  if (ec) p = sysvol_dir;
  std::optional<fs::path> root;
  for (int i = 0; i < 5 && !p.empty(); ++i) {
    if (fs::exists(p / "private" / "sam.ldb", ec)) {
      root = p;
      break;
    }
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  if (!root) return std::nullopt;
  std::vector<fs::path> pid_files = {*root / "run" / "samba.pid",
                                     *root / "var" / "run" / "samba.pid"};
  bool system_install = *root == fs::path("/var/lib/samba");
  if (system_install) {
    pid_files.push_back("/run/samba/samba.pid");
    pid_files.push_back("/var/run/samba/samba.pid");
  }
  for (const fs::path& f : pid_files) {
    if (std::optional<pid_t> pid = ReadPidFile(f); pid && ProcessAlive(*pid)) {
      return "a running samba (pid " + std::to_string(*pid) + ", " + f.string() +
             ") serves this tree";
    }
  }
  return FindSambaProcess(system_install ? std::string() : root->string());
}

std::string DomainControllerName(const std::string& configured, const std::string& domain) {
  if (!configured.empty()) return configured;
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    return std::string("localhost.") + domain;
  }
  std::string h = host;
  if (h.find('.') == std::string::npos && !domain.empty()) h += "." + domain;
  return h;
}

}  // namespace gpop::sysvol
