// Group Policy Preferences files as report data (see gpp.h).

#include "service/backends/sysvol/format/gpp.h"

#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/text_util.h"

namespace gpop::sysvol {

namespace {

constexpr char kSettingsBase[] = "http://www.microsoft.com/GroupPolicy/Settings/";
constexpr int kMaxPreferenceDepth = 64;

std::string TrimSpace(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

const std::vector<GppExtension>& GppExtensions() {
  static const auto* kTable = new std::vector<GppExtension>{
      {"Applications", "Applications", "Applications", "ApplicationsSettings", ""},
      {"DataSources", "Data Sources", "DataSources", "DataSourcesSettings", ""},
      {"Devices", "Devices", "Devices", "DevicesSettings", ""},
      {"Drives", "Drive Maps", "DriveMaps", "DriveMapSettings", ""},
      {"EnvironmentVariables", "Environment", "Environment", "EnvironmentVariables", ""},
      {"Files", "Files", "Files", "FilesSettings", ""},
      {"FolderOptions", "Folder Options", "FolderOptions", "FolderOptions", ""},
      {"Folders", "Folders", "Folders", "FoldersSettings", ""},
      {"Groups", "Local Users and Groups", "Lugs", "LugsSettings", "LocalUsersAndGroups"},
      {"IniFiles", "Ini Files", "Ini", "IniFiles", ""},
      {"InternetSettings", "Internet Settings", "InternetOptions", "InternetOptions", ""},
      {"NetworkOptions", "Network Options", "NetworkOptions", "NetworkOptions", ""},
      {"NetworkShares", "Network Shares", "NetworkShares", "NetworkShareSettings", ""},
      {"PowerOptions", "Power Options", "PowerOptions", "PowerOptions", ""},
      {"Printers", "Printers", "Printers", "Printers", ""},
      {"RegionalOptions", "Regional Options", "RegionalOptions", "RegionalOptions", ""},
      {"Registry", "Windows Registry", "Windows/Registry", "RegistrySettings", ""},
      {"ScheduledTasks", "Scheduled Tasks", "ScheduledTasks", "ScheduledTasksSettings", ""},
      {"Services", "Services", "Services", "NTServices", ""},
      {"Shortcuts", "Shortcuts", "Shortcuts", "ShortcutSettings", ""},
      {"StartMenuTaskbar", "Start Menu", "StartMenu", "StartMenuSettings", ""},
  };
  return *kTable;
}

const GppExtension* FindGppExtensionByFolder(std::string_view folder) {
  for (const GppExtension& e : GppExtensions()) {
    if (internal::EqualsNoCase(e.folder, folder)) return &e;
  }
  return nullptr;
}

const GppExtension* FindGppExtensionByNamespace(std::string_view xml_namespace) {
  for (const GppExtension& e : GppExtensions()) {
    if (PreferenceNamespace(e.namespace_suffix) == xml_namespace) return &e;
  }
  return nullptr;
}

std::string PreferenceNamespace(std::string_view namespace_suffix) {
  return kSettingsBase + std::string(namespace_suffix);
}

namespace {

void CollectItems(const ReportXmlElement& parent, const std::string& path,
                  std::vector<PreferenceItem>* out) {
  for (const ReportXmlElement& c : parent.children) {
    if (c.Attribute("clsid").empty()) continue;
    if (c.name == "Collection") {
      const std::string& name = c.Attribute("name");
      CollectItems(c, path.empty() ? name : path + "\\" + name, out);
    } else {
      out->push_back(PreferenceItem{path, &c});
    }
  }
}

}  // namespace

std::vector<PreferenceItem> PreferenceItems(const ReportXmlElement& root) {
  std::vector<PreferenceItem> out;
  CollectItems(root, "", &out);
  return out;
}

ReportXmlElement ElementFromXml(pugi::xml_node node, bool strip_prefixes) {
  ReportXmlElement out;
  out.name = strip_prefixes ? std::string(LocalName(node.name())) : node.name();
  for (pugi::xml_attribute a : node.attributes()) {
    if (!strip_prefixes) {
      out.attributes.emplace_back(a.name(), a.value());
    } else if (!IsNamespaceDeclaration(a.name())) {
      // Without its prefix a declaration would be an attribute named after the prefix.
      out.attributes.emplace_back(std::string(LocalName(a.name())), a.value());
    }
  }
  bool has_children = false;
  for (pugi::xml_node c : node.children()) {
    if (c.type() != pugi::node_element) continue;
    has_children = true;
    out.children.push_back(ElementFromXml(c, strip_prefixes));
  }
  out.text = NodeText(node);
  // Mixed content: the indentation between child elements is layout, not data.
  if (has_children) out.text = TrimSpace(out.text);
  return out;
}

core::Result<ReportXmlElement> ParsePreferenceXml(std::string_view bytes,
                                                  std::string_view display_path) {
  XmlLimits limits;
  limits.max_bytes = kMaxPreferenceXmlBytes;
  limits.max_depth = kMaxPreferenceDepth;  // bounds ElementFromXml's recursion too
  auto doc = LoadXml(bytes, display_path, limits);
  if (!doc.ok()) return doc.error();
  return ElementFromXml((*doc)->document_element(), /*strip_prefixes=*/true);
}

ReportPreference PreferenceFromFile(std::string_view folder, ReportXmlElement root) {
  ReportPreference p;
  if (const GppExtension* e = FindGppExtensionByFolder(folder)) {
    p.folder = e->folder;
    p.extension_name = e->extension_name;
    p.xml_namespace = PreferenceNamespace(e->namespace_suffix);
    p.xsi_type = e->xsi_type;
  } else {
    p.folder = std::string(folder);
    p.extension_name = std::string(folder);
    p.xml_namespace = PreferenceNamespace(folder);
    p.xsi_type = std::string(folder) + "Settings";
  }
  p.root = std::move(root);
  return p;
}

}  // namespace gpop::sysvol
