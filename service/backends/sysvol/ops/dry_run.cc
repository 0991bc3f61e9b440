// The dry run's settings diff (see dry_run.h).

#include "service/backends/sysvol/ops/dry_run.h"

#include <map>
#include <string>
#include <utility>

#include "service/backends/sysvol/format/report_xml.h"
#include "service/backends/sysvol/format/safe_xml.h"

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

}  // namespace gpop::sysvol
