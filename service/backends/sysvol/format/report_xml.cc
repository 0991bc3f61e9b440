// The settings report as GPMC's XML, and a reader for Windows' own reports (see report_xml.h).

#include "service/backends/sysvol/format/report_xml.h"

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/gpp.h"
#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report_applocker.h"
#include "service/backends/sysvol/format/report_builder.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/format/utf16.h"
#include "service/backends/sysvol/format/xml_writer.h"

namespace gpop::sysvol {

namespace {

// Writes elements with one namespace prefix ("q1:") into an extension element.
class Prefixed {
 public:
  Prefixed(XmlWriter& w, std::string_view prefix) : w_(w), prefix_(prefix) {}

  XmlWriter& writer() const { return w_; }
  std::string_view prefix() const { return prefix_; }

  void Start(std::string_view name) const { w_.Start(prefix_, name); }
  void End() const { w_.End(); }
  // <prefix:name>value</prefix:name>, or <prefix:name /> when `value` is empty.
  void Text(std::string_view name, std::string_view value) const { w_.Leaf(prefix_, name, value); }

 private:
  XmlWriter& w_;
  std::string_view prefix_;
};

void TypesText(XmlWriter& w, const char* name, std::string_view value, const char* ns) {
  w.Start(name);
  w.Attribute("xmlns", ns);
  w.Text(value);
  w.End();
}

void Principal(const Prefixed& out, const char* name, const ReportPrincipal& p) {
  out.Start(name);
  if (!p.sid.empty()) TypesText(out.writer(), "SID", p.sid, kTypesNamespace);
  if (!p.name.empty()) TypesText(out.writer(), "Name", p.name, kTypesNamespace);
  out.End();
}

void SettingValue(const Prefixed& out, const ReportSettingValue& v) {
  if (v.boolean) out.Text("SettingBoolean", *v.boolean ? "true" : "false");
  if (v.number) out.Text("SettingNumber", std::to_string(*v.number));
  if (v.text) out.Text("SettingString", *v.text);
  if (v.has_strings) {
    out.Start("SettingStrings");
    for (const std::string& s : v.strings) out.Text("Value", s);
    out.End();
  }
}

void SecurityDescriptorElement(const Prefixed& out, const std::string& sddl) {
  out.Start("SecurityDescriptor");
  XmlWriter& w = out.writer();
  if (!sddl.empty()) TypesText(w, "SDDL", sddl, kTypesSecurityNamespace);
  TypesText(w, "PermissionsPresent", sddl.find("D:") != std::string::npos ? "true" : "false",
            kTypesSecurityNamespace);
  TypesText(w, "AuditingPresent", sddl.find("S:") != std::string::npos ? "true" : "false",
            kTypesSecurityNamespace);
  out.End();
}

// <ExtensionData><Extension xmlns:qN=ns xsi:type="qN:type">(body)</Extension><Name>name</Name>
// </ExtensionData>; `body` writes the extension's content through the Prefixed it is given.
template <typename Body>
void Extension(XmlWriter& w, int* counter, std::string_view ns, std::string_view type,
               std::string_view name, const Body& body) {
  const std::string prefix = "q" + std::to_string(++*counter);
  w.Start("ExtensionData");
  w.Start("Extension");
  w.Attribute("xmlns:" + prefix, ns);
  w.Attribute("xsi:type", prefix + ":" + std::string(type));
  body(Prefixed(w, prefix));
  w.End();
  w.Element("Name", name);
  w.End();
}

void WriteSecurity(const ReportSecurity& s, const Prefixed& ext) {
  for (const auto& a : s.accounts) {
    ext.Start("Account");
    ext.Text("Name", a.name);
    SettingValue(ext, a.value);
    ext.Text("Type", a.type);
    ext.End();
  }
  for (const auto& a : s.audits) {
    ext.Start("Audit");
    ext.Text("Name", a.name);
    ext.Text("SuccessAttempts", a.success ? "true" : "false");
    ext.Text("FailureAttempts", a.failure ? "true" : "false");
    ext.End();
  }
  for (const auto& r : s.user_rights) {
    ext.Start("UserRightsAssignment");
    ext.Text("Name", r.name);
    for (const auto& m : r.members) Principal(ext, "Member", m);
    ext.End();
  }
  for (const auto& o : s.security_options) {
    ext.Start("SecurityOptions");
    if (!o.key_name.empty()) ext.Text("KeyName", o.key_name);
    if (!o.system_access_policy_name.empty()) {
      ext.Text("SystemAccessPolicyName", o.system_access_policy_name);
    }
    SettingValue(ext, o.value);
    ext.End();
  }
  for (const auto& g : s.restricted_groups) {
    ext.Start("RestrictedGroups");
    Principal(ext, "GroupName", g.group);
    for (const auto& m : g.members) Principal(ext, "Member", m);
    for (const auto& m : g.member_of) Principal(ext, "Memberof", m);
    ext.End();
  }
  for (const auto& sv : s.services) {
    ext.Start("SystemServices");
    ext.Text("Name", sv.name);
    ext.Text("StartupMode", sv.startup_mode);
    SecurityDescriptorElement(ext, sv.sddl);
    ext.End();
  }
  for (const auto* list : {&s.files, &s.registry_keys}) {
    for (const auto& o : *list) {
      ext.Start(list == &s.files ? "File" : "Registry");
      ext.Text("Path", o.path);
      ext.Text("PropagationMode", o.propagation_mode);
      SecurityDescriptorElement(ext, o.sddl);
      ext.End();
    }
  }
}

void StartWithAttributes(const Prefixed& out, const ReportXmlElement& e) {
  out.Start(e.name);
  for (const auto& [name, value] : e.attributes) out.writer().Attribute(name, value);
}

// A preference element and everything below it, copied as it is (names under the prefix).
void CopyElement(const ReportXmlElement& e, const Prefixed& out) {
  StartWithAttributes(out, e);
  if (!e.text.empty()) out.writer().Text(e.text);
  for (const ReportXmlElement& c : e.children) CopyElement(c, out);
  out.End();
}

bool IsItem(const ReportXmlElement& e) {
  return std::any_of(e.attributes.begin(), e.attributes.end(),
                     [](const auto& a) { return a.first == "clsid"; });
}

// The items of a preference root or Collection as GPMC's report holds them: each item numbered
// by a GPOSettingOrder (1, 2, ... within its parent) and closed by its Filters (an empty one
// when the file has none); a Collection's Filters come before its own items.
// With `skip_filters`, the Filters among `children` are left out (a Collection's own, written
// already).
void WriteItems(const std::vector<ReportXmlElement>& children, bool skip_filters,
                const Prefixed& out) {
  int order = 0;
  for (const ReportXmlElement& c : children) {
    if (skip_filters && c.name == "Filters") continue;
    if (!IsItem(c)) {
      CopyElement(c, out);
      continue;
    }
    StartWithAttributes(out, c);
    out.Text("GPOSettingOrder", std::to_string(++order));
    const ReportXmlElement* filters = nullptr;
    for (const ReportXmlElement& k : c.children) {
      if (k.name == "Filters") filters = &k;
    }
    const auto write_filters = [&] {
      if (filters != nullptr) {
        CopyElement(*filters, out);
      } else {
        out.Start("Filters");
        out.End();
      }
    };
    const bool collection = c.name == "Collection";
    if (collection) {
      write_filters();
      WriteItems(c.children, /*skip_filters=*/true, out);
    } else {
      for (const ReportXmlElement& k : c.children) {
        if (k.name != "Filters") CopyElement(k, out);
      }
      write_filters();
    }
    out.End();
  }
}

void WritePreference(const ReportPreference& p, const Prefixed& ext) {
  const GppExtension* known = FindGppExtensionByFolder(p.folder);
  const std::string_view root_name = known != nullptr && *known->report_root != '\0'
                                         ? std::string_view(known->report_root)
                                         : std::string_view(p.root.name);
  ext.Start(root_name);
  for (const auto& [name, value] : p.root.attributes) ext.writer().Attribute(name, value);
  WriteItems(p.root.children, /*skip_filters=*/false, ext);
  ext.End();
}

void WriteRegistrySetting(const ReportRegistrySetting& r, const Prefixed& ext) {
  ext.Start("RegistrySetting");
  ext.Text("KeyPath", r.key_path);
  ext.Text("AdmSetting", r.adm_setting ? "true" : "false");
  if (r.value) {
    ext.Start("Value");
    ext.Text("Name", r.value->name);
    if (r.value->number) ext.Text("Number", std::to_string(*r.value->number));
    if (r.value->text) ext.Text("String", *r.value->text);
    for (const std::string& s : r.value->strings) ext.Text("String", s);
    ext.Text("Type", RegTypeName(r.value->type));
    ext.End();
  }
  ext.End();
}

// The digits of `n`, in `buffer` (20 bytes are enough).
std::string_view Decimal(uint64_t n, char* buffer) {
  char* end = buffer + 20;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  return std::string_view(p, static_cast<size_t>(end - p));
}

// What WriteRegistrySetting(RegistrySettingFromEntry(e)) writes, without decoding the entry
// into a ReportRegistrySetting for the common values: a DWORD's number, and a REG_SZ /
// REG_EXPAND_SZ string written from its UTF-16LE data as it is (escaped in place; no UTF-8 copy).
// Every other value, and a string whose data RegistrySettingFromEntry would show as hex bytes,
// goes through RegistrySettingFromEntry.
void WriteRegistryEntry(const PolEntry& e, const Prefixed& ext) {
  const bool dword =
      (e.type == reg_type::kDword || e.type == reg_type::kDwordBigEndian) && e.data.size() == 4;
  const bool text = e.type == reg_type::kSz || e.type == reg_type::kExpandSz;
  if (!dword && !text) {
    WriteRegistrySetting(RegistrySettingFromEntry(e), ext);
    return;
  }
  std::string_view string_data;
  if (text) {
    // PolEntry::AsString's text: up to the first NUL unit, or all of the data without one; an
    // odd byte count is no string (hex bytes then, as for invalid UTF-16).
    const std::string& data = e.data;
    size_t end = 0;
    while (end + 1 < data.size() && !(data[end] == '\0' && data[end + 1] == '\0')) end += 2;
    if (end + 1 >= data.size()) end = data.size();
    string_data = std::string_view(data).substr(0, end);
    if (end % 2 != 0 || !IsValidUtf16Le(string_data)) {
      WriteRegistrySetting(RegistrySettingFromEntry(e), ext);
      return;
    }
  }
  ext.Start("RegistrySetting");
  ext.Text("KeyPath", e.key);
  ext.Text("AdmSetting", "false");
  ext.Start("Value");
  ext.Text("Name", e.value_name);
  if (dword) {
    char digits[20];
    auto d = e.AsDword();
    ext.Text("Number", Decimal(*d, digits));
  } else {
    ext.writer().LeafUtf16(ext.prefix(), "String", string_data);
  }
  ext.Text("Type", e.type == reg_type::kSz      ? std::string_view("REG_SZ")
                   : e.type == reg_type::kDword ? std::string_view("REG_DWORD")
                                                : std::string_view(RegTypeName(e.type)));
  ext.End();
  ext.End();
}

void WriteRegistry(const ReportSide& side, const Prefixed& ext) {
  for (const auto& p : side.policies) {
    ext.Start("Policy");
    ext.Text("Name", p.name);
    ext.Text("State", p.state);
    ext.Text("Explain", p.explain);
    ext.Text("Supported", p.supported);
    ext.Text("Category", p.category);
    if (!p.comment.empty()) ext.Text("Comment", p.comment);
    for (const auto& e : p.elements) {
      ext.Start(e.kind);
      ext.Text("Name", e.name);
      ext.Text("State", e.state);
      if (e.kind == "DropDownList") {
        ext.Start("Value");
        ext.Text("Name", e.value);
        ext.End();
      } else if (e.kind == "ListBox") {
        ext.Start("Value");
        for (const std::string& item : internal::Split(e.value, ';')) {
          ext.Start("Element");
          ext.Text("Data", internal::Trim(item));
          ext.End();
        }
        ext.End();
      } else if (e.kind != "CheckBox") {
        ext.Text("Value", e.value);
      }
      ext.End();
    }
    ext.End();
  }
  for (const auto& r : side.registry_settings) WriteRegistrySetting(r, ext);
  for (const PolEntry* e : side.registry_entries) WriteRegistryEntry(*e, ext);
}

void WriteSide(const ReportSide& side, XmlWriter& w, int* counter) {
  w.Element("VersionDirectory", std::to_string(side.version_directory));
  w.Element("VersionSysvol", std::to_string(side.version_sysvol));
  w.Element("Enabled", side.enabled ? "true" : "false");
  for (const std::string& problem : side.problems) {
    // "--" may not appear inside an XML comment.
    std::string text = " gpop: " + problem + " ";
    for (size_t pos; (pos = text.find("--")) != std::string::npos;) text.replace(pos, 2, "- -");
    w.Comment(text);
  }
  if (!side.security.empty()) {
    Extension(w, counter, kSecuritySettingsNamespace, "SecuritySettings", "Security",
              [&](const Prefixed& ext) { WriteSecurity(side.security, ext); });
  }
  if (!side.advanced_audit.empty()) {
    Extension(w, counter, kAuditingSettingsNamespace, "AuditSettings",
              "Advanced Audit Configuration", [&](const Prefixed& ext) {
                for (const auto& a : side.advanced_audit) {
                  ext.Start("AuditSetting");
                  ext.Text("PolicyTarget", a.policy_target);
                  ext.Text("SubcategoryName", a.subcategory_name);
                  ext.Text("SubcategoryGuid", a.subcategory_guid);
                  ext.Text("SettingValue", std::to_string(a.setting_value));
                  ext.End();
                }
              });
  }
  if (!side.policies.empty() || !side.registry_settings.empty() || !side.registry_entries.empty()) {
    Extension(w, counter, kRegistrySettingsNamespace, "RegistrySettings", "Registry",
              [&](const Prefixed& ext) { WriteRegistry(side, ext); });
  }
  if (!side.scripts.empty()) {
    Extension(w, counter, kScriptsSettingsNamespace, "Scripts", "Scripts",
              [&](const Prefixed& ext) {
                for (const auto& sc : side.scripts) {
                  ext.Start("Script");
                  ext.Text("Command", sc.command);
                  if (!sc.parameters.empty()) ext.Text("Parameters", sc.parameters);
                  ext.Text("Type", sc.type);
                  ext.Text("Order", std::to_string(sc.order));
                  ext.Text("RunOrder", sc.run_order);
                  ext.End();
                }
              });
  }
  if (!side.app_locker.empty()) {
    Extension(w, counter, kAppLockerSettingsNamespace, "Policy", "Application Control Policies",
              [&](const Prefixed& ext) {
                for (const ReportAppLockerCollection& c : side.app_locker) {
                  ext.Start("RuleCollection");
                  w.Attribute("Type", c.type);
                  for (const ReportXmlElement& rule : c.rules) CopyElement(rule, ext);
                  if (!c.enforcement_mode.empty()) {
                    ext.Start("EnforcementMode");
                    ext.Text("Mode", c.enforcement_mode);
                    ext.End();
                  }
                  ext.End();
                }
              });
  }
  for (const ReportPreference& p : side.preferences) {
    Extension(w, counter, p.xml_namespace, p.xsi_type, p.extension_name,
              [&](const Prefixed& ext) { WritePreference(p, ext); });
  }
}

// Writes the report through `w`: the declaration, then the document, streamed.
bool Write(const Report& r, const char* encoding, XmlWriter& w) {
  w.Raw(std::string("<?xml version=\"1.0\" encoding=\"") + encoding + "\"?>\n");
  w.Start("GPO");
  w.Attribute("xmlns:xsd", "http://www.w3.org/2001/XMLSchema");
  w.Attribute("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
  w.Attribute("xmlns", kSettingsNamespace);
  w.Start("Identifier");
  TypesText(w, "Identifier", r.guid, kTypesNamespace);
  TypesText(w, "Domain", r.domain, kTypesNamespace);
  w.End();
  const auto text = [&w](const char* name, const std::string& value) {
    if (!value.empty()) w.Element(name, value);
  };
  text("Name", r.name);
  text("Comment", r.comment);
  text("IncludeComments", r.include_comments ? "true" : "false");
  text("CreatedTime", r.created_time);
  text("ModifiedTime", r.modified_time);
  text("ReadTime", r.read_time);
  if (!r.sddl.empty()) {
    w.Start("SecurityDescriptor");
    TypesText(w, "SDDL", r.sddl, kTypesSecurityNamespace);
    w.End();
  }
  text("FilterDataAvailable", r.filter_data_available ? "true" : "false");
  int counter = 0;
  w.Start("Computer");
  WriteSide(r.computer, w, &counter);
  w.End();
  w.Start("User");
  WriteSide(r.user, w, &counter);
  w.End();
  w.End();
  return w.Finish();
}

// In a backup gpreport.xml is UTF-16LE with CRLF line ends, as Windows writes it; the report an
// API client gets is UTF-8 with LF.
constexpr XmlWriter::Options kUtf16Report{"  ", "\r\n", true};
constexpr XmlWriter::Options kUtf8Report{"  ", "\n", false};

// ---- reader ----

ReportSettingValue ReadSettingValue(pugi::xml_node n) {
  ReportSettingValue v;
  if (pugi::xml_node b = ChildByLocalName(n, "SettingBoolean")) v.boolean = NodeText(b) == "true";
  if (pugi::xml_node num = ChildByLocalName(n, "SettingNumber")) {
    v.number = internal::ParseInt64(NodeText(num));
  }
  if (pugi::xml_node s = ChildByLocalName(n, "SettingString")) v.text = NodeText(s);
  if (pugi::xml_node ss = ChildByLocalName(n, "SettingStrings")) {
    v.has_strings = true;
    for (pugi::xml_node val : ss.children()) {
      if (val.type() == pugi::node_element) v.strings.push_back(NodeText(val));
    }
  }
  return v;
}

ReportPrincipal ReadPrincipal(pugi::xml_node n) {
  return ReportPrincipal{ChildTextByLocalName(n, "SID"), ChildTextByLocalName(n, "Name")};
}

uint32_t RegTypeFromName(const std::string& name) {
  for (uint32_t t = 0; t <= reg_type::kQword; ++t) {
    if (RegTypeName(t) == name) return t;
  }
  if (name.rfind("REG_", 0) == 0) return internal::ParseUint32(name.substr(4)).value_or(0);
  return 0;
}

// A preference element of Windows' report back as the file holds it: no prefixes, no
// GPOSettingOrder, no empty Filters of an item; the root under the file's name.
ReportXmlElement PreferenceElementFromReport(pugi::xml_node node) {
  ReportXmlElement e = ElementFromXml(node, /*strip_prefixes=*/true);
  const auto strip = [](auto& self, ReportXmlElement* parent) -> void {
    std::vector<ReportXmlElement> kept;
    for (ReportXmlElement& c : parent->children) {
      if (IsItem(c)) {
        std::vector<ReportXmlElement> inner;
        for (ReportXmlElement& k : c.children) {
          if (k.name == "GPOSettingOrder") continue;
          if (k.name == "Filters" && k.attributes.empty() && k.children.empty()) continue;
          inner.push_back(std::move(k));
        }
        c.children = std::move(inner);
        if (c.name == "Collection") self(self, &c);
      }
      kept.push_back(std::move(c));
    }
    parent->children = std::move(kept);
  };
  strip(strip, &e);
  return e;
}

void ReadSide(pugi::xml_node node, ReportSide* side) {
  side->version_directory =
      internal::ParseUint32(ChildTextByLocalName(node, "VersionDirectory")).value_or(0);
  side->version_sysvol =
      internal::ParseUint32(ChildTextByLocalName(node, "VersionSysvol")).value_or(0);
  side->enabled = ChildTextByLocalName(node, "Enabled") != "false";
  for (pugi::xml_node data : node.children()) {
    if (data.type() != pugi::node_element || LocalName(data.name()) != "ExtensionData") continue;
    pugi::xml_node ext = ChildByLocalName(data, "Extension");
    std::string ext_namespace;
    for (pugi::xml_attribute a : ext.attributes()) {
      if (std::string_view(a.name()).rfind("xmlns:", 0) == 0) ext_namespace = a.value();
    }
    if (ext_namespace == kAppLockerSettingsNamespace) {
      for (pugi::xml_node c : ext.children()) {
        if (c.type() != pugi::node_element || LocalName(c.name()) != "RuleCollection") continue;
        ReportAppLockerCollection collection;
        collection.type = c.attribute("Type").value();
        for (pugi::xml_node rule : c.children()) {
          if (rule.type() != pugi::node_element) continue;
          if (LocalName(rule.name()) == "EnforcementMode") {
            collection.enforcement_mode = ChildTextByLocalName(rule, "Mode");
          } else {
            collection.rules.push_back(ElementFromXml(rule, /*strip_prefixes=*/true));
          }
        }
        side->app_locker.push_back(std::move(collection));
      }
      continue;
    }
    if (const GppExtension* gpp = FindGppExtensionByNamespace(ext_namespace)) {
      for (pugi::xml_node root : ext.children()) {
        if (root.type() != pugi::node_element) continue;
        ReportXmlElement element = PreferenceElementFromReport(root);
        if (*gpp->report_root != '\0' && element.name == gpp->report_root) {
          element.name = gpp->folder;
        }
        ReportPreference p = PreferenceFromFile(gpp->folder, std::move(element));
        p.extension_name = ChildTextByLocalName(data, "Name");
        side->preferences.push_back(std::move(p));
      }
      continue;
    }
    for (pugi::xml_node s : ext.children()) {
      if (s.type() != pugi::node_element) continue;
      std::string_view kind = LocalName(s.name());
      if (kind == "RegistrySetting") {
        ReportRegistrySetting r;
        r.key_path = ChildTextByLocalName(s, "KeyPath");
        r.adm_setting = ChildTextByLocalName(s, "AdmSetting") == "true";
        if (pugi::xml_node v = ChildByLocalName(s, "Value")) {
          ReportRegistryValue value;
          value.name = ChildTextByLocalName(v, "Name");
          if (pugi::xml_node num = ChildByLocalName(v, "Number")) {
            value.number = std::strtoull(NodeText(num).c_str(), nullptr, 10);
            value.type = reg_type::kDword;
          }
          std::vector<std::string> strings;
          for (pugi::xml_node c : v.children()) {
            if (c.type() == pugi::node_element && LocalName(c.name()) == "String") {
              strings.push_back(NodeText(c));
            }
          }
          if (pugi::xml_node t = ChildByLocalName(v, "Type")) {
            value.type = RegTypeFromName(NodeText(t));
          } else if (!strings.empty()) {
            value.type = reg_type::kSz;
          }
          if (value.type == reg_type::kMultiSz) {
            value.strings = strings;
          } else if (!strings.empty()) {
            value.text = strings[0];
          }
          r.value = std::move(value);
        }
        side->registry_settings.push_back(std::move(r));
      } else if (kind == "Policy") {
        ReportPolicy p;
        p.name = ChildTextByLocalName(s, "Name");
        p.state = ChildTextByLocalName(s, "State");
        p.explain = ChildTextByLocalName(s, "Explain");
        p.supported = ChildTextByLocalName(s, "Supported");
        p.category = ChildTextByLocalName(s, "Category");
        p.comment = ChildTextByLocalName(s, "Comment");
        side->policies.push_back(std::move(p));
      } else if (kind == "Script") {
        ReportScript sc;
        sc.command = ChildTextByLocalName(s, "Command");
        sc.parameters = ChildTextByLocalName(s, "Parameters");
        sc.type = ChildTextByLocalName(s, "Type");
        sc.order =
            static_cast<int>(internal::ParseInt64(ChildTextByLocalName(s, "Order")).value_or(0));
        sc.run_order = ChildTextByLocalName(s, "RunOrder");
        side->scripts.push_back(std::move(sc));
      } else if (kind == "Account") {
        side->security.accounts.push_back(ReportAccountSetting{
            ChildTextByLocalName(s, "Name"), ReadSettingValue(s), ChildTextByLocalName(s, "Type")});
      } else if (kind == "UserRightsAssignment") {
        ReportUserRight r;
        r.name = ChildTextByLocalName(s, "Name");
        for (pugi::xml_node m : s.children()) {
          if (m.type() == pugi::node_element && LocalName(m.name()) == "Member") {
            r.members.push_back(ReadPrincipal(m));
          }
        }
        side->security.user_rights.push_back(std::move(r));
      } else if (kind == "SecurityOptions") {
        ReportSecurityOption o;
        o.key_name = ChildTextByLocalName(s, "KeyName");
        o.system_access_policy_name = ChildTextByLocalName(s, "SystemAccessPolicyName");
        o.value = ReadSettingValue(s);
        side->security.security_options.push_back(std::move(o));
      } else if (kind == "AuditSetting") {
        side->advanced_audit.push_back(ReportAuditSetting{
            ChildTextByLocalName(s, "PolicyTarget"), ChildTextByLocalName(s, "SubcategoryName"),
            ChildTextByLocalName(s, "SubcategoryGuid"),
            static_cast<int>(
                internal::ParseInt64(ChildTextByLocalName(s, "SettingValue")).value_or(0))});
      }
    }
  }
}

}  // namespace

std::string WriteReportXml(const Report& report) {
  std::string out;
  XmlWriter w(kUtf8Report, &out);
  Write(report, "utf-8", w);
  return out;
}

std::string WriteReportXmlUtf16(const Report& report) {
  // The document is valid UTF-8 only if every input string was; strings that are not (they
  // cannot come from the parsers, which validate) leave an empty result here.
  std::string out;
  XmlWriter w(kUtf16Report, &out);
  if (!Write(report, "utf-16", w)) out.clear();
  return out;
}

bool WriteReportXmlUtf16To(const Report& report,
                           const std::function<bool(std::string_view)>& sink) {
  std::string piece;
  XmlWriter w(kUtf16Report, &piece, &sink);
  return Write(report, "utf-16", w);
}

core::Result<Report> ParseReportXml(std::string_view bytes, std::string_view path) {
  auto doc = LoadXml(bytes, path);
  if (!doc.ok()) return doc.error();
  pugi::xml_node root = (*doc)->document_element();
  if (LocalName(root.name()) != "GPO") {
    return CorruptFile(path, "root element is <" + std::string(root.name()) + ">, expected <GPO>");
  }
  Report r;
  pugi::xml_node ident = ChildByLocalName(root, "Identifier");
  r.guid = ChildTextByLocalName(ident, "Identifier");
  r.domain = ChildTextByLocalName(ident, "Domain");
  r.name = ChildTextByLocalName(root, "Name");
  r.comment = ChildTextByLocalName(root, "Comment");
  r.include_comments = ChildTextByLocalName(root, "IncludeComments") != "false";
  r.created_time = ChildTextByLocalName(root, "CreatedTime");
  r.modified_time = ChildTextByLocalName(root, "ModifiedTime");
  r.read_time = ChildTextByLocalName(root, "ReadTime");
  r.sddl = ChildTextByLocalName(ChildByLocalName(root, "SecurityDescriptor"), "SDDL");
  r.filter_data_available = ChildTextByLocalName(root, "FilterDataAvailable") != "false";
  ReadSide(ChildByLocalName(root, "Computer"), &r.computer);
  ReadSide(ChildByLocalName(root, "User"), &r.user);
  return r;
}

}  // namespace gpop::sysvol
