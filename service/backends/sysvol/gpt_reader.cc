// Reading and walking GPT-shaped folders (see gpt_reader.h).

#include "service/backends/sysvol/gpt_reader.h"

#include <algorithm>
#include <utility>

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/gpp.h"
#include "service/backends/sysvol/format/inf_file.h"

namespace gpop::sysvol {
namespace {

constexpr int kMaxDepth = 64;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool LessNoCase(const std::string& a, const std::string& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    char x = Lower(a[i]);
    char y = Lower(b[i]);
    if (x != y) return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
  }
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

// Finds `name` in `dir` case-insensitively and reads it when it is there.
core::Result<std::optional<std::string>> ReadOptionalFile(const Dir& dir, std::string_view name,
                                                          size_t max_bytes) {
  core::Result<std::optional<DirEntry>> found = dir.FindNoCase(name);
  if (!found.ok()) return found.error();
  if (!*found) return std::optional<std::string>();
  core::Result<std::string> bytes = dir.ReadFile((*found)->name, max_bytes);
  if (!bytes.ok()) return bytes.error();
  return std::optional<std::string>(std::move(*bytes));
}

// Reads the file `name` of `dir` when present and hands its bytes and display path to `parse`.
// A CORRUPT_FILE error (from reading or parsing) becomes a problem in `problems`; any other
// error (a link, an I/O failure) is returned.
template <typename Parse>
core::Status ReadReportFile(const Dir& dir, std::string_view name, size_t max_bytes,
                            std::vector<std::string>* problems, Parse parse) {
  core::Result<std::optional<DirEntry>> e = dir.FindNoCase(name);
  if (!e.ok()) return e.error();
  if (!*e) return core::Status();
  std::string display = JoinDisplay(dir.display(), (*e)->name);
  core::Result<std::string> bytes = dir.ReadFile((*e)->name, max_bytes);
  core::Status parsed = bytes.ok() ? parse(*bytes, display) : core::Status(bytes.error());
  if (parsed.ok()) return parsed;
  if (parsed.error().reason != core::reason::kCorruptFile) return parsed;
  problems->push_back(parsed.error().message);
  return core::Status();
}

// Scripts, preferences and policy comments of one side: the report's own files.
core::Status ReadReportOnlyFiles(const Dir& side_dir, SideSettings* out) {
  core::Result<std::optional<Dir>> scripts = OpenPathNoCase(side_dir, {"Scripts"});
  if (!scripts.ok()) return scripts.error();
  if (*scripts) {
    for (auto [name, slot] :
         {std::pair{"scripts.ini", &out->scripts}, std::pair{"psscripts.ini", &out->psscripts}}) {
      core::Status s = ReadReportFile(
          **scripts, name, kMaxScriptsIniBytes, &out->problems,
          [slot = slot](const std::string& bytes, const std::string& display) -> core::Status {
            core::Result<ScriptsIni> ini = ParseScriptsIni(bytes, display);
            if (!ini.ok()) return ini.error();
            *slot = std::move(*ini);
            return core::Status();
          });
      if (!s.ok()) return s;
    }
  }
  core::Result<std::optional<Dir>> prefs = OpenPathNoCase(side_dir, {"Preferences"});
  if (!prefs.ok()) return prefs.error();
  if (*prefs) {
    core::Result<std::vector<DirEntry>> folders = (*prefs)->List();
    if (!folders.ok()) return folders.error();
    std::vector<DirEntry> sorted = std::move(*folders);
    std::stable_sort(sorted.begin(), sorted.end(), [](const DirEntry& a, const DirEntry& b) {
      return LessNoCase(a.name, b.name);
    });
    for (const DirEntry& folder : sorted) {
      if (folder.type != EntryType::kDirectory) continue;
      core::Result<Dir> dir = (*prefs)->OpenSubdir(folder.name);
      if (!dir.ok()) return dir.error();
      core::Status s = ReadReportFile(
          *dir, folder.name + ".xml", kMaxPreferenceXmlBytes, &out->problems,
          [&](const std::string& bytes, const std::string& display) -> core::Status {
            core::Result<ReportXmlElement> root = ParsePreferenceXml(bytes, display);
            if (!root.ok()) return root.error();
            out->preferences.push_back(PreferenceFromFile(folder.name, std::move(*root)));
            return core::Status();
          });
      if (!s.ok()) return s;
    }
  }
  return ReadReportFile(side_dir, "comment.cmtx", kMaxSmallXmlBytes, &out->problems,
                        [&](const std::string& bytes, const std::string& display) -> core::Status {
                          core::Result<PolicyComments> comments =
                              ParsePolicyComments(bytes, display);
                          if (!comments.ok()) return comments.error();
                          out->comments = std::move(*comments);
                          return core::Status();
                        });
}

core::Status ReadSide(const Dir& gpt, const char* side_name, bool is_machine, SideSettings* out,
                      std::vector<core::Error>* corrupt) {
  // With `corrupt`, a parse error of a settings file leaves that file out instead of failing.
  const auto tolerated = [corrupt](core::Error error, const std::string& display) {
    if (corrupt == nullptr || error.reason != core::reason::kCorruptFile) return false;
    error.metadata.emplace("file", display);
    corrupt->push_back(std::move(error));
    return true;
  };
  core::Result<std::optional<Dir>> side = OpenPathNoCase(gpt, {side_name});
  if (!side.ok()) return side.error();
  if (!*side) return core::Status();
  const Dir& side_dir = **side;

  core::Result<std::optional<std::string>> pol =
      ReadOptionalFile(side_dir, "Registry.pol", kMaxRegistryPolBytes);
  if (!pol.ok()) return pol.error();
  if (*pol && !(*pol)->empty()) {
    std::string display = JoinDisplay(side_dir.display(), "Registry.pol");
    if (core::Result<std::optional<DirEntry>> e = side_dir.FindNoCase("Registry.pol");
        e.ok() && *e) {
      display = JoinDisplay(side_dir.display(), (*e)->name);
    }
    core::Result<RegistryPol> parsed = ParseRegistryPol(**pol, display);
    if (parsed.ok()) {
      out->registry_pol = std::move(*parsed);
    } else if (!tolerated(parsed.error(), display)) {
      return parsed.error();
    }
  }
  if (core::Status s = ReadReportOnlyFiles(side_dir, out); !s.ok()) return s;
  if (!is_machine) return core::Status();

  core::Result<std::optional<Dir>> secedit =
      OpenPathNoCase(side_dir, {"Microsoft", "Windows NT", "SecEdit"});
  if (!secedit.ok()) return secedit.error();
  if (*secedit) {
    core::Result<std::optional<DirEntry>> e = (*secedit)->FindNoCase("GptTmpl.inf");
    if (!e.ok()) return e.error();
    if (*e) {
      std::string display = JoinDisplay((*secedit)->display(), (*e)->name);
      core::Result<std::string> bytes = (*secedit)->ReadFile((*e)->name, kMaxSettingsFileBytes);
      if (!bytes.ok()) return bytes.error();
      core::Result<InfFile> inf = ParseGptTmplInf(*bytes, display);
      core::Result<SecurityTemplate> tmpl = inf.ok() ? ReadSecurityTemplate(*inf, display)
                                                     : core::Result<SecurityTemplate>(inf.error());
      if (tmpl.ok()) {
        out->security = std::move(*tmpl);
      } else if (!tolerated(tmpl.error(), display)) {
        return tmpl.error();
      }
    }
  }
  core::Result<std::optional<Dir>> audit =
      OpenPathNoCase(side_dir, {"Microsoft", "Windows NT", "Audit"});
  if (!audit.ok()) return audit.error();
  if (*audit) {
    core::Result<std::optional<DirEntry>> e = (*audit)->FindNoCase("audit.csv");
    if (!e.ok()) return e.error();
    if (*e) {
      std::string display = JoinDisplay((*audit)->display(), (*e)->name);
      core::Result<std::string> bytes = (*audit)->ReadFile((*e)->name, kMaxSettingsFileBytes);
      if (!bytes.ok()) return bytes.error();
      core::Result<AuditCsv> csv = ParseAuditCsv(*bytes, display);
      if (csv.ok()) {
        out->audit = std::move(*csv);
      } else if (!tolerated(csv.error(), display)) {
        return csv.error();
      }
    }
  }
  return core::Status();
}

core::Status WalkDir(const Dir& dir, const std::string& side, std::vector<std::string>* path,
                     size_t max_entries, GptTree* tree) {
  if (path->size() > static_cast<size_t>(kMaxDepth)) {
    return PathEscape(dir.display(), "is nested more than 64 folders deep");
  }
  core::Result<std::vector<DirEntry>> entries = dir.List();
  if (!entries.ok()) return entries.error();
  std::vector<DirEntry> sorted = std::move(*entries);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const DirEntry& a, const DirEntry& b) { return LessNoCase(a.name, b.name); });
  for (const DirEntry& e : sorted) {
    std::string display = JoinDisplay(dir.display(), e.name);
    if (!IsSafeName(e.name)) return PathEscape(display, "has a name gpop cannot copy safely");
    if (e.type == EntryType::kSymlink) {
      return PathEscape(display, "is a symbolic link; gpop does not follow links out of a GPT");
    }
    if (e.type == EntryType::kOther) {
      return PathEscape(display, "is not a regular file or folder");
    }
    if (tree->entries.size() >= max_entries) {
      return PathEscape(dir.display(),
                        "holds more than " + std::to_string(max_entries) + " files and folders");
    }
    TreeEntry entry;
    entry.side = side;
    entry.components = *path;
    entry.components.push_back(e.name);
    entry.is_dir = e.type == EntryType::kDirectory;
    entry.size = e.size;
    tree->total_bytes += e.size;
    tree->entries.push_back(entry);
    if (entry.is_dir) {
      core::Result<Dir> sub = dir.OpenSubdir(e.name);
      if (!sub.ok()) return sub.error();
      path->push_back(e.name);
      core::Status s = WalkDir(*sub, side, path, max_entries, tree);
      path->pop_back();
      if (!s.ok()) return s;
    }
  }
  return core::Status();
}

}  // namespace

std::string TreeEntry::Joined(char sep) const {
  std::string out;
  for (const std::string& c : components) {
    if (!out.empty()) out += sep;
    out += c;
  }
  return out;
}

core::Result<std::optional<Dir>> OpenPathNoCase(const Dir& dir,
                                                const std::vector<std::string>& components) {
  std::optional<Dir> current;
  const Dir* at = &dir;
  for (const std::string& c : components) {
    core::Result<std::optional<DirEntry>> e = at->FindNoCase(c);
    if (!e.ok()) return e.error();
    if (!*e) return std::optional<Dir>();
    core::Result<Dir> sub = at->OpenSubdir((*e)->name);
    if (!sub.ok()) return sub.error();
    current = std::move(*sub);
    at = &*current;
  }
  if (!current) {
    return core::MakeError(core::Code::kInternal, core::reason::kInternal,
                           "OpenPathNoCase needs at least one component");
  }
  return current;
}

core::Result<GptSettings> ReadGptSettings(const Dir& gpt, std::vector<core::Error>* corrupt) {
  GptSettings out;
  if (core::Status s = ReadSide(gpt, "Machine", true, &out.machine, corrupt); !s.ok()) {
    return s.error();
  }
  if (core::Status s = ReadSide(gpt, "User", false, &out.user, corrupt); !s.ok()) {
    return s.error();
  }
  core::Status comment =
      ReadReportFile(gpt, kGpoCommentFile, kMaxCommentBytes, &out.machine.problems,
                     [&](const std::string& bytes, const std::string& display) -> core::Status {
                       core::Result<std::string> text = ParseGpoComment(bytes, display);
                       if (!text.ok()) return text.error();
                       out.gpo_comment = std::move(*text);
                       return core::Status();
                     });
  if (!comment.ok()) return comment.error();
  for (const auto& [side, name] :
       {std::pair{&out.machine, "Machine"}, std::pair{&out.user, "User"}}) {
    for (const std::string& problem : side->problems) {
      core::StatusMessage m;
      m.object_path = problem.substr(0, problem.find(": "));
      m.extension_name = name;
      m.message = problem + "; the report goes on without it";
      m.severity = core::Severity::kWarning;
      out.warnings.push_back(std::move(m));
    }
  }
  return out;
}

Report MakeReport(const ReportIdentity& identity, const GptSettings& settings,
                  const AdmxCatalog* admx, bool registry_by_reference) {
  const auto files = [](const SideSettings& side) {
    ReportSideFiles f;
    if (side.registry_pol) f.registry_pol = &*side.registry_pol;
    if (side.security) f.security = &*side.security;
    if (side.audit) f.audit = &*side.audit;
    if (side.scripts) f.scripts = &*side.scripts;
    if (side.psscripts) f.psscripts = &*side.psscripts;
    if (!side.preferences.empty()) f.preferences = &side.preferences;
    if (side.comments) f.comments = &*side.comments;
    f.problems = side.problems;
    return f;
  };
  ReportIdentity id = identity;
  if (id.comment.empty() && settings.gpo_comment) id.comment = *settings.gpo_comment;
  return BuildReport(id, files(settings.machine), files(settings.user), admx,
                     registry_by_reference);
}

core::Result<GptTree> WalkGptTree(const Dir& gpt, size_t max_entries) {
  GptTree tree;
  for (const char* side : {"Machine", "User"}) {
    core::Result<std::optional<DirEntry>> e = gpt.FindNoCase(side);
    if (!e.ok()) return e.error();
    if (!*e) continue;
    std::string display = JoinDisplay(gpt.display(), (*e)->name);
    if ((*e)->type == EntryType::kSymlink) {
      return PathEscape(display, "is a symbolic link; gpop does not follow links out of a GPT");
    }
    if ((*e)->type != EntryType::kDirectory) {
      return PathEscape(display, "is not a folder");
    }
    core::Result<Dir> dir = gpt.OpenSubdir((*e)->name);
    if (!dir.ok()) return dir.error();
    (std::string(side) == "Machine" ? tree.machine_folder : tree.user_folder) = (*e)->name;
    std::vector<std::string> path;
    if (core::Status s = WalkDir(*dir, side, &path, max_entries, &tree); !s.ok()) {
      return s.error();
    }
  }
  return tree;
}

}  // namespace gpop::sysvol
