// Backup.xml reader and writer (see backup_xml.h).

#include "service/backends/sysvol/format/backup_xml.h"

#include <cctype>

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/text_util.h"

namespace gpop::sysvol {

namespace {

// The string children of GroupPolicyCoreSettings, in order (the numbers sit between them).
struct GroupField {
  const char* name;
  std::string SecurityGroup::*member;
};
constexpr GroupField kGroupFields[] = {
    {"Sid", &SecurityGroup::sid},
    {"SamAccountName", &SecurityGroup::sam_account_name},
    {"Type", &SecurityGroup::type},
    {"NetBIOSDomainName", &SecurityGroup::netbios_domain_name},
    {"DnsDomainName", &SecurityGroup::dns_domain_name},
    {"UPN", &SecurityGroup::upn},
};

// A CDATA value, or an empty element when the value is empty (as the fixtures have <Sid/>).
void AppendValue(pugi::xml_node parent, const char* name, const std::string& value) {
  pugi::xml_node node = parent.append_child(name);
  if (!value.empty()) node.append_child(pugi::node_cdata).set_value(value.c_str());
}

core::Result<uint32_t> Number(pugi::xml_node core, const char* name, std::string_view path) {
  std::string text = ChildTextByLocalName(core, name);
  auto v = internal::ParseUint32(internal::Trim(text));
  if (!v) {
    return CorruptFile(path, std::string("GroupPolicyCoreSettings/") + name + " \"" + text +
                                 "\" is not a 32-bit number");
  }
  return *v;
}

// The FSObjectFile / FSObjectDir children of `node`, with theirs (Backup.xml nests them one
// level, under wildcard objects; the XML loader bounds the depth).
std::vector<FsObject> ParseObjects(pugi::xml_node node) {
  std::vector<FsObject> out;
  for (pugi::xml_node o : node.children()) {
    if (o.type() != pugi::node_element) continue;
    std::string_view local = LocalName(o.name());
    if (local != "FSObjectFile" && local != "FSObjectDir") continue;
    FsObject obj;
    obj.is_dir = local == "FSObjectDir";
    obj.path = AttributeByLocalName(o, "Path").value();
    obj.source_expanded_path = AttributeByLocalName(o, "SourceExpandedPath").value();
    obj.re_evaluate_function = AttributeByLocalName(o, "ReEvaluateFunction").value();
    obj.location = AttributeByLocalName(o, "Location").value();
    obj.children = ParseObjects(o);
    out.push_back(std::move(obj));
  }
  return out;
}

void AppendObjects(pugi::xml_node parent, const std::vector<FsObject>& objects) {
  for (const FsObject& o : objects) {
    pugi::xml_node node = parent.append_child(o.is_dir ? "FSObjectDir" : "FSObjectFile");
    node.append_attribute("bkp:Path").set_value(o.path.c_str());
    node.append_attribute("bkp:SourceExpandedPath").set_value(o.source_expanded_path.c_str());
    if (!o.re_evaluate_function.empty()) {
      node.append_attribute("bkp:ReEvaluateFunction").set_value(o.re_evaluate_function.c_str());
    }
    if (!o.location.empty()) node.append_attribute("bkp:Location").set_value(o.location.c_str());
    AppendObjects(node, o.children);
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool SecurityGroup::operator==(const SecurityGroup& o) const {
  for (const GroupField& f : kGroupFields) {
    if (this->*f.member != o.*f.member) return false;
  }
  return source == o.source;
}

bool GpoCoreSettings::operator==(const GpoCoreSettings& o) const {
  return id == o.id && domain == o.domain && security_descriptor == o.security_descriptor &&
         display_name == o.display_name && options == o.options &&
         user_version_number == o.user_version_number &&
         machine_version_number == o.machine_version_number &&
         machine_extension_guids == o.machine_extension_guids &&
         user_extension_guids == o.user_extension_guids && wmi_filter == o.wmi_filter;
}

bool FsObject::operator==(const FsObject& o) const {
  return is_dir == o.is_dir && path == o.path && source_expanded_path == o.source_expanded_path &&
         re_evaluate_function == o.re_evaluate_function && location == o.location &&
         children == o.children;
}

std::string FormatHexBytes(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out.push_back(' ');
    auto b = static_cast<uint8_t>(bytes[i]);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

core::Result<std::string> ParseHexBytes(std::string_view text, std::string_view path) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || HexDigit(text[i]) < 0 || HexDigit(text[i + 1]) < 0 ||
        (i + 2 < text.size() && !std::isspace(static_cast<unsigned char>(text[i + 2])))) {
      return CorruptFile(path, "SecurityDescriptor is not space-separated hex bytes");
    }
    out.push_back(static_cast<char>(HexDigit(text[i]) * 16 + HexDigit(text[i + 1])));
    i += 2;
  }
  return out;
}

core::Result<BackupXml> ParseBackupXml(std::string_view bytes, std::string_view path) {
  auto doc = LoadXml(bytes, path);
  if (!doc.ok()) return doc.error();
  pugi::xml_node root = (*doc)->document_element();
  if (LocalName(root.name()) != "GroupPolicyBackupScheme") {
    return CorruptFile(path, "root element is <" + std::string(root.name()) +
                                 ">, expected <GroupPolicyBackupScheme>");
  }
  pugi::xml_node gpo = ChildByLocalName(root, "GroupPolicyObject");
  if (!gpo) return CorruptFile(path, "no GroupPolicyObject element");
  pugi::xml_node core = ChildByLocalName(gpo, "GroupPolicyCoreSettings");
  if (!core) return CorruptFile(path, "no GroupPolicyCoreSettings element");

  BackupXml backup;
  for (pugi::xml_node g : ChildByLocalName(gpo, "SecurityGroups").children()) {
    if (g.type() != pugi::node_element || LocalName(g.name()) != "Group") continue;
    SecurityGroup group;
    for (const GroupField& f : kGroupFields) group.*f.member = ChildTextByLocalName(g, f.name);
    group.source = AttributeByLocalName(g, "Source").value();
    backup.security_groups.push_back(std::move(group));
  }
  for (pugi::xml_node p : ChildByLocalName(gpo, "FilePaths").children()) {
    if (p.type() == pugi::node_element) backup.file_paths.push_back(NodeText(p));
  }

  GpoCoreSettings& c = backup.core;
  c.id = ChildTextByLocalName(core, "ID");
  c.domain = ChildTextByLocalName(core, "Domain");
  auto sd = ParseHexBytes(ChildTextByLocalName(core, "SecurityDescriptor"), path);
  if (!sd.ok()) return sd.error();
  c.security_descriptor = std::move(sd).value();
  c.display_name = ChildTextByLocalName(core, "DisplayName");
  auto options = Number(core, "Options", path);
  if (!options.ok()) return options.error();
  c.options = *options;
  auto user = Number(core, "UserVersionNumber", path);
  if (!user.ok()) return user.error();
  c.user_version_number = *user;
  auto machine = Number(core, "MachineVersionNumber", path);
  if (!machine.ok()) return machine.error();
  c.machine_version_number = *machine;
  c.machine_extension_guids = ChildTextByLocalName(core, "MachineExtensionGuids");
  c.user_extension_guids = ChildTextByLocalName(core, "UserExtensionGuids");
  c.wmi_filter = ChildTextByLocalName(core, "WMIFilter");

  for (pugi::xml_node ext : gpo.children()) {
    if (ext.type() != pugi::node_element || LocalName(ext.name()) != "GroupPolicyExtension") {
      continue;
    }
    BackupExtension e;
    e.id = AttributeByLocalName(ext, "ID").value();
    e.desc_name = AttributeByLocalName(ext, "DescName").value();
    e.objects = ParseObjects(ext);
    backup.extensions.push_back(std::move(e));
  }
  return backup;
}

std::string WriteBackupXml(const BackupXml& backup) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version").set_value("1.0");
  decl.append_attribute("encoding").set_value("utf-8");
  pugi::xml_node root = doc.append_child("GroupPolicyBackupScheme");
  root.append_attribute("bkp:version").set_value("2.0");
  root.append_attribute("bkp:type").set_value("GroupPolicyBackupTemplate");
  root.append_attribute("xmlns:bkp").set_value(kBackupNamespace);
  root.append_attribute("xmlns").set_value(kBackupNamespace);
  pugi::xml_node gpo = root.append_child("GroupPolicyObject");

  pugi::xml_node groups = gpo.append_child("SecurityGroups");
  for (const SecurityGroup& g : backup.security_groups) {
    pugi::xml_node node = groups.append_child("Group");
    if (!g.source.empty()) node.append_attribute("bkp:Source").set_value(g.source.c_str());
    for (const GroupField& f : kGroupFields) AppendValue(node, f.name, g.*f.member);
  }
  pugi::xml_node paths = gpo.append_child("FilePaths");
  for (const std::string& p : backup.file_paths) AppendValue(paths, "Path", p);

  const GpoCoreSettings& c = backup.core;
  pugi::xml_node core = gpo.append_child("GroupPolicyCoreSettings");
  AppendValue(core, "ID", c.id);
  AppendValue(core, "Domain", c.domain);
  core.append_child("SecurityDescriptor")
      .append_child(pugi::node_pcdata)
      .set_value(FormatHexBytes(c.security_descriptor).c_str());
  AppendValue(core, "DisplayName", c.display_name);
  AppendValue(core, "Options", std::to_string(c.options));
  AppendValue(core, "UserVersionNumber", std::to_string(c.user_version_number));
  AppendValue(core, "MachineVersionNumber", std::to_string(c.machine_version_number));
  AppendValue(core, "MachineExtensionGuids", c.machine_extension_guids);
  AppendValue(core, "UserExtensionGuids", c.user_extension_guids);
  AppendValue(core, "WMIFilter", c.wmi_filter);

  for (const BackupExtension& e : backup.extensions) {
    pugi::xml_node ext = gpo.append_child("GroupPolicyExtension");
    ext.append_attribute("bkp:ID").set_value(e.id.c_str());
    ext.append_attribute("bkp:DescName").set_value(e.desc_name.c_str());
    AppendObjects(ext, e.objects);
  }
  // Line breaks in CRLF, as Windows writes Backup.xml (markup only: pugixml escapes line
  // breaks inside attribute values, and text values here hold none).
  return internal::WithCrlf(SaveXml(doc, pugi::format_indent, "    "));
}

}  // namespace gpop::sysvol
