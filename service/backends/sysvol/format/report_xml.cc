// The settings report as GPMC's XML, and a reader for Windows' own reports (see report_xml.h).

#include "service/backends/sysvol/format/report_xml.h"

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/gpp.h"
#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report_applocker.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/format/utf16.h"

namespace gpop::sysvol {

namespace {

// Appends children with one namespace prefix ("q1:") to an extension element.
class Prefixed {
 public:
  Prefixed(pugi::xml_node node, std::string prefix) : node_(node), prefix_(std::move(prefix)) {}

  pugi::xml_node node() const { return node_; }
  const std::string& prefix() const { return prefix_; }

  Prefixed Child(const char* name) const {
    pugi::xml_node node = node_;  // a handle: copying it does not copy the element
    return Prefixed(node.append_child((prefix_ + ":" + name).c_str()), prefix_);
  }
  void Text(const char* name, const std::string& value) const {
    pugi::xml_node node = node_;
    pugi::xml_node n = node.append_child((prefix_ + ":" + name).c_str());
    if (!value.empty()) n.append_child(pugi::node_pcdata).set_value(value.c_str());
  }

 private:
  pugi::xml_node node_;
  std::string prefix_;
};

void TypesText(pugi::xml_node parent, const char* name, const std::string& value, const char* ns) {
  pugi::xml_node n = parent.append_child(name);
  n.append_attribute("xmlns").set_value(ns);
  n.append_child(pugi::node_pcdata).set_value(value.c_str());
}

void Principal(const Prefixed& parent, const char* name, const ReportPrincipal& p) {
  Prefixed m = parent.Child(name);
  if (!p.sid.empty()) TypesText(m.node(), "SID", p.sid, kTypesNamespace);
  if (!p.name.empty()) TypesText(m.node(), "Name", p.name, kTypesNamespace);
}

void SettingValue(const Prefixed& parent, const ReportSettingValue& v) {
  if (v.boolean) parent.Text("SettingBoolean", *v.boolean ? "true" : "false");
  if (v.number) parent.Text("SettingNumber", std::to_string(*v.number));
  if (v.text) parent.Text("SettingString", *v.text);
  if (v.has_strings) {
    Prefixed strings = parent.Child("SettingStrings");
    for (const std::string& s : v.strings) strings.Text("Value", s);
  }
}

void SecurityDescriptorElement(const Prefixed& parent, const std::string& sddl) {
  Prefixed sd = parent.Child("SecurityDescriptor");
  if (!sddl.empty()) TypesText(sd.node(), "SDDL", sddl, kTypesSecurityNamespace);
  TypesText(sd.node(), "PermissionsPresent",
            sddl.find("D:") != std::string::npos ? "true" : "false", kTypesSecurityNamespace);
  TypesText(sd.node(), "AuditingPresent", sddl.find("S:") != std::string::npos ? "true" : "false",
            kTypesSecurityNamespace);
}

// Starts <ExtensionData><Extension xmlns:qN=ns xsi:type="qN:type">; the caller fills it.
Prefixed BeginExtension(pugi::xml_node side, int* counter, const char* ns, const char* type,
                        const char* name) {
  pugi::xml_node data = side.append_child("ExtensionData");
  pugi::xml_node ext = data.append_child("Extension");
  std::string prefix = "q" + std::to_string(++*counter);
  ext.append_attribute(("xmlns:" + prefix).c_str()).set_value(ns);
  ext.append_attribute("xsi:type").set_value((prefix + ":" + type).c_str());
  data.append_child("Name").append_child(pugi::node_pcdata).set_value(name);
  return Prefixed(ext, prefix);
}

void WriteSecurity(const ReportSecurity& s, const Prefixed& ext) {
  for (const auto& a : s.accounts) {
    Prefixed n = ext.Child("Account");
    n.Text("Name", a.name);
    SettingValue(n, a.value);
    n.Text("Type", a.type);
  }
  for (const auto& a : s.audits) {
    Prefixed n = ext.Child("Audit");
    n.Text("Name", a.name);
    n.Text("SuccessAttempts", a.success ? "true" : "false");
    n.Text("FailureAttempts", a.failure ? "true" : "false");
  }
  for (const auto& r : s.user_rights) {
    Prefixed n = ext.Child("UserRightsAssignment");
    n.Text("Name", r.name);
    for (const auto& m : r.members) Principal(n, "Member", m);
  }
  for (const auto& o : s.security_options) {
    Prefixed n = ext.Child("SecurityOptions");
    if (!o.key_name.empty()) n.Text("KeyName", o.key_name);
    if (!o.system_access_policy_name.empty()) {
      n.Text("SystemAccessPolicyName", o.system_access_policy_name);
    }
    SettingValue(n, o.value);
  }
  for (const auto& g : s.restricted_groups) {
    Prefixed n = ext.Child("RestrictedGroups");
    Principal(n, "GroupName", g.group);
    for (const auto& m : g.members) Principal(n, "Member", m);
    for (const auto& m : g.member_of) Principal(n, "Memberof", m);
  }
  for (const auto& sv : s.services) {
    Prefixed n = ext.Child("SystemServices");
    n.Text("Name", sv.name);
    n.Text("StartupMode", sv.startup_mode);
    SecurityDescriptorElement(n, sv.sddl);
  }
  for (const auto* list : {&s.files, &s.registry_keys}) {
    for (const auto& o : *list) {
      Prefixed n = ext.Child(list == &s.files ? "File" : "Registry");
      n.Text("Path", o.path);
      n.Text("PropagationMode", o.propagation_mode);
      SecurityDescriptorElement(n, o.sddl);
    }
  }
}

// A preference element and everything below it, copied as it is (names under `prefix`).
void CopyElement(const ReportXmlElement& e, const std::string& prefix, pugi::xml_node parent) {
  pugi::xml_node n = parent.append_child((prefix + ":" + e.name).c_str());
  for (const auto& [name, value] : e.attributes) {
    n.append_attribute(name.c_str()).set_value(value.c_str());
  }
  if (!e.text.empty()) n.append_child(pugi::node_pcdata).set_value(e.text.c_str());
  for (const ReportXmlElement& c : e.children) CopyElement(c, prefix, n);
}

bool IsItem(const ReportXmlElement& e) {
  return std::any_of(e.attributes.begin(), e.attributes.end(),
                     [](const auto& a) { return a.first == "clsid"; });
}

// The items of a preference root or Collection as GPMC's report holds them: each item numbered
// by a GPOSettingOrder (1, 2, ... within its parent) and closed by its Filters (an empty one
// when the file has none); a Collection's Filters come before its own items.
void WriteItems(const ReportXmlElement& parent, const std::string& prefix, pugi::xml_node out) {
  int order = 0;
  for (const ReportXmlElement& c : parent.children) {
    if (!IsItem(c)) {
      CopyElement(c, prefix, out);
      continue;
    }
    pugi::xml_node n = out.append_child((prefix + ":" + c.name).c_str());
    for (const auto& [name, value] : c.attributes) {
      n.append_attribute(name.c_str()).set_value(value.c_str());
    }
    n.append_child((prefix + ":GPOSettingOrder").c_str())
        .append_child(pugi::node_pcdata)
        .set_value(std::to_string(++order).c_str());
    const ReportXmlElement* filters = nullptr;
    for (const ReportXmlElement& k : c.children) {
      if (k.name == "Filters") filters = &k;
    }
    const auto write_filters = [&] {
      if (filters != nullptr) {
        CopyElement(*filters, prefix, n);
      } else {
        n.append_child((prefix + ":Filters").c_str());
      }
    };
    bool collection = c.name == "Collection";
    if (collection) write_filters();
    ReportXmlElement rest = c;
    rest.children.erase(
        std::remove_if(rest.children.begin(), rest.children.end(),
                       [](const ReportXmlElement& k) { return k.name == "Filters"; }),
        rest.children.end());
    if (collection) {
      WriteItems(rest, prefix, n);
    } else {
      for (const ReportXmlElement& k : rest.children) CopyElement(k, prefix, n);
      write_filters();
    }
  }
}

void WritePreference(const ReportPreference& p, const Prefixed& ext) {
  const GppExtension* known = FindGppExtensionByFolder(p.folder);
  std::string root_name =
      known != nullptr && *known->report_root != '\0' ? known->report_root : p.root.name;
  Prefixed root = ext.Child(root_name.c_str());
  pugi::xml_node node = root.node();
  for (const auto& [name, value] : p.root.attributes) {
    node.append_attribute(name.c_str()).set_value(value.c_str());
  }
  WriteItems(p.root, ext.prefix(), node);
}

void WriteSide(const ReportSide& side, pugi::xml_node node, int* counter) {
  node.append_child("VersionDirectory")
      .append_child(pugi::node_pcdata)
      .set_value(std::to_string(side.version_directory).c_str());
  node.append_child("VersionSysvol")
      .append_child(pugi::node_pcdata)
      .set_value(std::to_string(side.version_sysvol).c_str());
  node.append_child("Enabled")
      .append_child(pugi::node_pcdata)
      .set_value(side.enabled ? "true" : "false");
  for (const std::string& problem : side.problems) {
    // "--" may not appear inside an XML comment.
    std::string text = " gpop: " + problem + " ";
    for (size_t pos; (pos = text.find("--")) != std::string::npos;) text.replace(pos, 2, "- -");
    node.append_child(pugi::node_comment).set_value(text.c_str());
  }
  if (!side.security.empty()) {
    WriteSecurity(side.security, BeginExtension(node, counter, kSecuritySettingsNamespace,
                                                "SecuritySettings", "Security"));
  }
  if (!side.advanced_audit.empty()) {
    Prefixed ext = BeginExtension(node, counter, kAuditingSettingsNamespace, "AuditSettings",
                                  "Advanced Audit Configuration");
    for (const auto& a : side.advanced_audit) {
      Prefixed n = ext.Child("AuditSetting");
      n.Text("PolicyTarget", a.policy_target);
      n.Text("SubcategoryName", a.subcategory_name);
      n.Text("SubcategoryGuid", a.subcategory_guid);
      n.Text("SettingValue", std::to_string(a.setting_value));
    }
  }
  if (!side.policies.empty() || !side.registry_settings.empty()) {
    Prefixed ext =
        BeginExtension(node, counter, kRegistrySettingsNamespace, "RegistrySettings", "Registry");
    for (const auto& p : side.policies) {
      Prefixed n = ext.Child("Policy");
      n.Text("Name", p.name);
      n.Text("State", p.state);
      n.Text("Explain", p.explain);
      n.Text("Supported", p.supported);
      n.Text("Category", p.category);
      if (!p.comment.empty()) n.Text("Comment", p.comment);
      for (const auto& e : p.elements) {
        Prefixed el = n.Child(e.kind.c_str());
        el.Text("Name", e.name);
        el.Text("State", e.state);
        if (e.kind == "DropDownList") {
          el.Child("Value").Text("Name", e.value);
        } else if (e.kind == "ListBox") {
          Prefixed v = el.Child("Value");
          for (const std::string& item : internal::Split(e.value, ';')) {
            v.Child("Element").Text("Data", std::string(internal::Trim(item)));
          }
        } else if (e.kind != "CheckBox") {
          el.Text("Value", e.value);
        }
      }
    }
    for (const auto& r : side.registry_settings) {
      Prefixed n = ext.Child("RegistrySetting");
      n.Text("KeyPath", r.key_path);
      n.Text("AdmSetting", r.adm_setting ? "true" : "false");
      if (r.value) {
        Prefixed v = n.Child("Value");
        v.Text("Name", r.value->name);
        if (r.value->number) v.Text("Number", std::to_string(*r.value->number));
        if (r.value->text) v.Text("String", *r.value->text);
        for (const std::string& s : r.value->strings) v.Text("String", s);
        v.Text("Type", RegTypeName(r.value->type));
      }
    }
  }
  if (!side.scripts.empty()) {
    Prefixed ext = BeginExtension(node, counter, kScriptsSettingsNamespace, "Scripts", "Scripts");
    for (const auto& sc : side.scripts) {
      Prefixed n = ext.Child("Script");
      n.Text("Command", sc.command);
      if (!sc.parameters.empty()) n.Text("Parameters", sc.parameters);
      n.Text("Type", sc.type);
      n.Text("Order", std::to_string(sc.order));
      n.Text("RunOrder", sc.run_order);
    }
  }
  if (!side.app_locker.empty()) {
    Prefixed ext = BeginExtension(node, counter, kAppLockerSettingsNamespace, "Policy",
                                  "Application Control Policies");
    for (const ReportAppLockerCollection& c : side.app_locker) {
      Prefixed n = ext.Child("RuleCollection");
      n.node().append_attribute("Type").set_value(c.type.c_str());
      for (const ReportXmlElement& rule : c.rules) CopyElement(rule, ext.prefix(), n.node());
      if (!c.enforcement_mode.empty()) n.Child("EnforcementMode").Text("Mode", c.enforcement_mode);
    }
  }
  for (const ReportPreference& p : side.preferences) {
    WritePreference(p, BeginExtension(node, counter, p.xml_namespace.c_str(), p.xsi_type.c_str(),
                                      p.extension_name.c_str()));
  }
}

// Receives the document from pugixml and writes the final bytes in one pass: a CR (registry
// strings often end in CRLF) becomes the character reference &#13;, since a literal CR would be
// normalised away by every XML parser (pugixml never emits CR in markup, so every CR here is
// text); a line end is CRLF in the UTF-16 gpreport.xml of a backup, as Windows writes it, and
// LF in the UTF-8 report an API client gets. In UTF-16 mode the text is encoded as it arrives.
class ReportTextWriter final : public pugi::xml_writer {
 public:
  // Bytes go to `*out`; with `sink`, `*out` is handed to it whenever it holds kPiece bytes (and
  // at Finish), then emptied, so that a report of any size needs one piece of memory.
  ReportTextWriter(bool utf16, std::string* out,
                   const std::function<bool(std::string_view)>* sink = nullptr)
      : utf16_(utf16), out_(out), sink_(sink), encoder_(out) {
    if (utf16_) out_->append(kUtf16LeBom);
  }

  void write(const void* data, size_t size) override {
    Put(std::string_view(static_cast<const char*>(data), size));
  }

  // Appends `text`, transformed.
  void Put(std::string_view text) {
    if (failed_) return;
    const std::string_view eol = utf16_ ? "\r\n" : "\n";
    // UTF-8 goes straight to the output; UTF-16 is transformed into `line_` first, so that the
    // encoder runs once per piece pugixml writes rather than once per line.
    std::string* to = utf16_ ? &line_ : out_;
    if (utf16_) line_.clear();
    size_t from = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c != '\r' && c != '\n') continue;
      to->append(text.data() + from, i - from);
      to->append(c == '\r' ? std::string_view("&#13;") : eol);
      from = i + 1;
    }
    to->append(text.data() + from, text.size() - from);
    if (utf16_) encoder_.Append(line_);
    if (sink_ != nullptr && out_->size() >= kPiece) Flush();
  }

  // False when the text was not valid UTF-8 (UTF-16 mode) or the sink refused a piece.
  bool Finish() {
    if (utf16_ && !encoder_.Finish()) return false;
    if (sink_ != nullptr && !out_->empty()) Flush();
    return !failed_;
  }

 private:
  static constexpr size_t kPiece = 256u << 10;

  void Flush() {
    if (!(*sink_)(*out_)) failed_ = true;
    out_->clear();
  }

  const bool utf16_;
  std::string* out_;
  const std::function<bool(std::string_view)>* sink_;
  Utf16LeEncoder encoder_;
  std::string line_;
  bool failed_ = false;
};

// The report as a pugixml document (without the declaration).
void BuildDocument(const Report& r, pugi::xml_document& doc) {
  pugi::xml_node gpo = doc.append_child("GPO");
  gpo.append_attribute("xmlns:xsd").set_value("http://www.w3.org/2001/XMLSchema");
  gpo.append_attribute("xmlns:xsi").set_value("http://www.w3.org/2001/XMLSchema-instance");
  gpo.append_attribute("xmlns").set_value(kSettingsNamespace);
  pugi::xml_node ident = gpo.append_child("Identifier");
  TypesText(ident, "Identifier", r.guid, kTypesNamespace);
  TypesText(ident, "Domain", r.domain, kTypesNamespace);
  const auto text = [&gpo](const char* name, const std::string& value) {
    if (value.empty()) return;
    gpo.append_child(name).append_child(pugi::node_pcdata).set_value(value.c_str());
  };
  text("Name", r.name);
  text("Comment", r.comment);
  text("IncludeComments", r.include_comments ? "true" : "false");
  text("CreatedTime", r.created_time);
  text("ModifiedTime", r.modified_time);
  text("ReadTime", r.read_time);
  if (!r.sddl.empty()) {
    pugi::xml_node sd = gpo.append_child("SecurityDescriptor");
    TypesText(sd, "SDDL", r.sddl, kTypesSecurityNamespace);
  }
  text("FilterDataAvailable", r.filter_data_available ? "true" : "false");
  int counter = 0;
  WriteSide(r.computer, gpo.append_child("Computer"), &counter);
  WriteSide(r.user, gpo.append_child("User"), &counter);
}

// Serialises `r`: into `*out`, or through `sink` in pieces. False as ReportTextWriter::Finish.
bool Write(const Report& r, const char* encoding, std::string* out,
           const std::function<bool(std::string_view)>* sink = nullptr) {
  pugi::xml_document doc;
  BuildDocument(r, doc);
  ReportTextWriter writer(std::string_view(encoding) == "utf-16", out, sink);
  writer.Put(std::string("<?xml version=\"1.0\" encoding=\"") + encoding + "\"?>\n");
  SaveXmlTo(doc, pugi::format_indent | pugi::format_no_declaration, "  ", writer);
  return writer.Finish();
}

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
  Write(report, "utf-8", &out);
  return out;
}

std::string WriteReportXmlUtf16(const Report& report) {
  // The document is built from valid UTF-8 only if every input string was; strings that are not
  // (they cannot come from the parsers, which validate) leave an empty result here.
  std::string out;
  if (!Write(report, "utf-16", &out)) out.clear();
  return out;
}

bool WriteReportXmlUtf16To(const Report& report,
                           const std::function<bool(std::string_view)>& sink) {
  std::string piece;
  return Write(report, "utf-16", &piece, &sink);
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
