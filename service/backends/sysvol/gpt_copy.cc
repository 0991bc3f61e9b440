// The GPT copy loop (see gpt_copy.h).

#include "service/backends/sysvol/gpt_copy.h"

#include "service/backends/sysvol/format/utf16.h"

namespace gpop::sysvol {
namespace {

bool HasControlCharacter(const std::string& name) {
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

}  // namespace

std::vector<core::StatusMessage> CheckTreeNames(const GptTree& tree,
                                                const std::string& gpt_display) {
  std::vector<core::StatusMessage> out;
  for (const TreeEntry& e : tree.entries) {
    const std::string& name = e.components.back();
    const bool bad_utf8 = !IsValidUtf8(name);
    if (!bad_utf8 && !HasControlCharacter(name)) continue;
    core::StatusMessage m;
    // The display path itself must stay printable: bad bytes are shown as \xNN.
    m.object_path = PrintableName(gpt_display + "/" + e.side + "/" + e.Joined('/'));
    m.message = bad_utf8 ? "the file name is not valid UTF-8; gpop refuses to copy it"
                         : "the file name holds a control character; gpop refuses to copy it";
    m.severity = core::Severity::kError;
    out.push_back(std::move(m));
  }
  return out;
}

core::Status CopyGptSides(const Dir& src, const GptTree& tree, const Dir& dst,
                          CopyProgress& progress, const std::function<bool(const TreeEntry&)>& skip,
                          FileSync sync) {
  const auto sync_folder = [sync](const Dir& d) {
    return sync == FileSync::kNow ? d.Sync() : core::Status();
  };
  auto cancelled = [] {
    return core::MakeError(core::Code::kCancelled, core::reason::kCancelled, "cancelled");
  };
  for (const char* side : {"Machine", "User"}) {
    const std::string& found =
        std::string(side) == "Machine" ? tree.machine_folder : tree.user_folder;
    if (found.empty()) continue;
    core::Result<Dir> dst_side = dst.MakeSubdir(side);
    if (!dst_side.ok()) return dst_side.error();
    core::Result<Dir> src_side = src.OpenSubdir(found);
    if (!src_side.ok()) return src_side.error();
    // Folders are listed before their content, so a stack of open folders by depth works.
    std::vector<Dir> src_stack;
    std::vector<Dir> dst_stack;
    src_stack.push_back(std::move(*src_side));
    dst_stack.push_back(std::move(*dst_side));
    size_t skipping_below = 0;  // depth of a skipped folder, 0: none
    for (const TreeEntry& e : tree.entries) {
      if (e.side != side) continue;
      if (progress.Cancelled()) return cancelled();
      if (skipping_below != 0) {
        if (e.components.size() > skipping_below) continue;
        skipping_below = 0;
      }
      if (skip && skip(e)) {
        if (e.is_dir) skipping_below = e.components.size();
        progress.Advance(static_cast<int64_t>(e.size) + 1);
        continue;
      }
      while (src_stack.size() > e.components.size()) {
        src_stack.pop_back();
        if (core::Status s = sync_folder(dst_stack.back()); !s.ok()) return s;
        dst_stack.pop_back();
      }
      const std::string& name = e.components.back();
      if (e.is_dir) {
        core::Result<Dir> s = src_stack.back().OpenSubdir(name);
        if (!s.ok()) return s.error();
        core::Result<Dir> d = dst_stack.back().MakeSubdir(name);
        if (!d.ok()) return d.error();
        src_stack.push_back(std::move(*s));
        dst_stack.push_back(std::move(*d));
      } else {
        core::Status s = src_stack.back().CopyFileTo(
            name, dst_stack.back(), name,
            [&](uint64_t bytes) {
              progress.Advance(static_cast<int64_t>(bytes));
              return !progress.Cancelled();
            },
            sync);
        if (!s.ok()) return s;
      }
      progress.Advance(1);
    }
    while (!dst_stack.empty()) {
      if (core::Status s = sync_folder(dst_stack.back()); !s.ok()) return s;
      dst_stack.pop_back();
    }
  }
  if (progress.Cancelled()) return cancelled();
  return core::Status();
}

}  // namespace gpop::sysvol
