// The dry run's settings diff (see dry_run.h).

#include "service/backends/sysvol/ops/dry_run.h"

#include <map>
#include <string>
#include <utility>

#include "service/backends/sysvol/format/comments.h"
#include "service/backends/sysvol/format/report_xml.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/gpt_reader.h"

namespace gpop::sysvol {
namespace {

// The setting's value as text: "Child=text; Child/Grandchild=text; ..." (namespace prefixes
// dropped, since they are numbered per report).
void Flatten(pugi::xml_node node, const std::string& path, std::string* out) {
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      if (!out->empty()) *out += "; ";
      *out += (path.empty() ? std::string() : path + "=") + c.value();
    } else if (c.type() == pugi::node_element) {
      const std::string name(LocalName(c.name()));
      Flatten(c, path.empty() ? name : path + "/" + name, out);
    }
  }
}

std::string Text(pugi::xml_node node) {
  std::string out;
  Flatten(node, "", &out);
  return out;
}

// The setting's identity: its element name and naming child.
std::string SettingKey(pugi::xml_node setting) {
  std::string key(LocalName(setting.name()));
  for (const char* naming : {"Name", "KeyName", "SystemAccessPolicyName", "KeyPath", "Path",
                             "GroupName", "SubcategoryName"}) {
    pugi::xml_node n = ChildByLocalName(setting, naming);
    if (!n) continue;
    key += " " + Text(n);
    if (std::string(naming) == "KeyPath") {
      key += "\\" + ChildTextByLocalName(ChildByLocalName(setting, "Value"), "Name");
    }
    break;
  }
  return key;
}

struct Setting {
  std::string scope;
  std::string extension;
  std::string setting;
  std::string value;
};

// Every setting of a report, keyed by (scope, extension, setting) in report order.
std::vector<Setting> Settings(const Report& report) {
  std::vector<Setting> out;
  auto doc = LoadXml(WriteReportXml(report), "report");
  if (!doc.ok()) return out;
  pugi::xml_node gpo = (*doc)->document_element();
  std::map<std::string, int> seen;
  for (const char* scope : {"Computer", "User"}) {
    for (pugi::xml_node data : ChildByLocalName(gpo, scope).children()) {
      if (data.type() != pugi::node_element || LocalName(data.name()) != "ExtensionData") continue;
      const std::string extension = ChildTextByLocalName(data, "Name");
      for (pugi::xml_node s : ChildByLocalName(data, "Extension").children()) {
        if (s.type() != pugi::node_element) continue;
        std::string key = SettingKey(s);
        // Two settings with one identity (a list) are told apart by their order.
        int n = ++seen[std::string(scope) + "\n" + extension + "\n" + key];
        if (n > 1) key += " #" + std::to_string(n);
        out.push_back({scope, extension, key, Text(s)});
      }
    }
  }
  return out;
}

}  // namespace

std::vector<core::SettingChange> DiffReports(const Report& before, const Report& after) {
  std::vector<Setting> old_settings = Settings(before);
  std::vector<Setting> new_settings = Settings(after);
  auto id = [](const Setting& s) { return s.scope + "\n" + s.extension + "\n" + s.setting; };
  std::map<std::string, const Setting*> old_by_id;
  for (const Setting& s : old_settings) old_by_id[id(s)] = &s;
  std::map<std::string, const Setting*> new_by_id;
  for (const Setting& s : new_settings) new_by_id[id(s)] = &s;
  std::vector<core::SettingChange> out;
  // The GPO's own comment (GPO.cmt), shown in the report's General section.
  if (before.comment != after.comment) {
    out.push_back({"GPO", "General", "Comment", before.comment, after.comment});
  }
  for (const Setting& s : old_settings) {
    if (!new_by_id.count(id(s))) out.push_back({s.scope, s.extension, s.setting, s.value, ""});
  }
  for (const Setting& s : new_settings) {
    auto it = old_by_id.find(id(s));
    if (it == old_by_id.end()) {
      out.push_back({s.scope, s.extension, s.setting, "", s.value});
    } else if (it->second->value != s.value) {
      out.push_back({s.scope, s.extension, s.setting, it->second->value, s.value});
    }
  }
  return out;
}

namespace {

struct TreeFile {
  std::string path;  // "Machine/..." as found below the side
  const TreeEntry* entry;
};

// The files of `tree`, by lower-case path.
std::map<std::string, TreeFile> FilesOf(const GptTree& tree) {
  std::map<std::string, TreeFile> out;
  for (const TreeEntry& e : tree.entries) {
    if (e.is_dir) continue;
    const std::string path = e.side + "/" + e.Joined('/');
    out[internal::AsciiLower(path)] = {path, &e};
  }
  return out;
}

core::Result<std::string> ReadTreeFile(const Dir& gpt, const GptTree& tree, const TreeEntry& e) {
  std::vector<std::string> path = {e.side == "Machine" ? tree.machine_folder : tree.user_folder};
  path.insert(path.end(), e.components.begin(), e.components.end() - 1);
  core::Result<std::optional<Dir>> dir = OpenPathNoCase(gpt, path);
  if (!dir.ok()) return dir.error();
  if (!*dir) return std::string();
  return (*dir)->ReadFile(e.components.back(), static_cast<size_t>(e.size) + 1);
}


// The bytes of the GPT's GPO.cmt (any case); nullopt: none.
core::Result<std::optional<std::string>> GpoCommentBytes(const Dir& gpt) {
  core::Result<std::optional<DirEntry>> found = gpt.FindNoCase(kGpoCommentFile);
  if (!found.ok()) return found.error();
  if (!*found || (*found)->type != EntryType::kFile) return std::optional<std::string>();
  core::Result<std::string> bytes = gpt.ReadFile((*found)->name, kMaxSettingsFileBytes);
  if (!bytes.ok()) return bytes.error();
  return std::optional<std::string>(std::move(*bytes));
}

}  // namespace

core::Result<std::vector<DryRunFileChange>> DiffGptFiles(const Dir* before, const Dir& after) {
  GptTree old_tree;
  if (before != nullptr) {
    core::Result<GptTree> t = WalkGptTree(*before);
    if (!t.ok()) return t.error();
    old_tree = std::move(*t);
  }
  core::Result<GptTree> new_tree = WalkGptTree(after);
  if (!new_tree.ok()) return new_tree.error();
  const std::map<std::string, TreeFile> old_files = FilesOf(old_tree);
  const std::map<std::string, TreeFile> new_files = FilesOf(*new_tree);
  std::map<std::string, DryRunFileChange> changes;  // by lower-case path: path order
  for (const auto& [key, f] : old_files) {
    if (new_files.count(key) == 0) {
      changes[key] = {DryRunFileChange::Kind::kRemoved, f.path, f.entry->size, 0};
    }
  }
  for (const auto& [key, f] : new_files) {
    auto it = old_files.find(key);
    if (it == old_files.end()) {
      changes[key] = {DryRunFileChange::Kind::kAdded, f.path, 0, f.entry->size};
      continue;
    }
    bool differ = it->second.entry->size != f.entry->size;
    if (!differ) {
      core::Result<std::string> a = ReadTreeFile(*before, old_tree, *it->second.entry);
      if (!a.ok()) return a.error();
      core::Result<std::string> b = ReadTreeFile(after, *new_tree, *f.entry);
      if (!b.ok()) return b.error();
      differ = *a != *b;
    }
    if (differ) {
      changes[key] = {DryRunFileChange::Kind::kChanged, f.path, it->second.entry->size,
                      f.entry->size};
    }
  }
  std::vector<DryRunFileChange> out;
  core::Result<std::optional<std::string>> old_comment =
      before != nullptr ? GpoCommentBytes(*before) : std::optional<std::string>();
  if (!old_comment.ok()) return old_comment.error();
  core::Result<std::optional<std::string>> new_comment = GpoCommentBytes(after);
  if (!new_comment.ok()) return new_comment.error();
  if (*old_comment != *new_comment) {
    const uint64_t old_size = *old_comment ? (*old_comment)->size() : 0;
    const uint64_t new_size = *new_comment ? (*new_comment)->size() : 0;
    const DryRunFileChange::Kind kind = !*old_comment   ? DryRunFileChange::Kind::kAdded
                                        : !*new_comment ? DryRunFileChange::Kind::kRemoved
                                                        : DryRunFileChange::Kind::kChanged;
    out.push_back({kind, kGpoCommentFile, old_size, new_size});
  }
  for (auto& [key, c] : changes) out.push_back(std::move(c));
  return out;
}

}  // namespace gpop::sysvol
