// The settings report as one self-contained HTML page (see report_html.h).

#include "service/backends/sysvol/format/report_html.h"

#include <algorithm>
#include <optional>
#include <string>

#include "service/backends/sysvol/format/gpp.h"
#include "service/backends/sysvol/format/registry_pol.h"

namespace gpop::sysvol {

namespace {

// What a Registry.pol special value name does, for people ("**del.X" -> "delete value X"),
// using the classifier of registry_pol.h; nullopt for an ordinary value name. The data of
// **DeleteValues / **DeleteKeys (the lists) stays in the Data column.
std::optional<std::string> SpecialAction(const std::string& name) {
  switch (ClassifyValueName(name)) {
    case SpecialName::kNone:
      return std::nullopt;
    case SpecialName::kDeleteValue:
      return "(delete value " + name.substr(6) + ")";
    case SpecialName::kDeleteAllValues:
      return std::string("(delete all values of the key)");
    case SpecialName::kSoftValue:
      return "(set " + name.substr(7) + " only if absent)";
    default:
      return std::nullopt;
  }
}

constexpr char kStyle[] =
    "body{font-family:Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em;color:#1b1b1b;"
    "background:#fff}h1{font-size:1.5em;margin-bottom:.2em}.sub{color:#555;margin-top:0}"
    "details{border:1px solid #c8d3e0;border-radius:4px;margin:.6em 0;padding:0 .8em}"
    "details>summary{cursor:pointer;font-weight:600;padding:.5em 0;color:#0b3d6e}"
    "details details{border-color:#e0e6ee}table{border-collapse:collapse;width:100%;"
    "margin:.4em 0 .8em}th,td{border-bottom:1px solid #e6e9ee;padding:.3em .6em;text-align:left;"
    "vertical-align:top;font-size:.92em}th{background:#f2f5f9;font-weight:600}"
    "td.mono{font-family:Consolas,Menlo,monospace;word-break:break-all}.none{color:#777;"
    "font-style:italic}.problem{color:#a4262c;font-weight:600}";

class Html {
 public:
  void Raw(std::string_view s) { out_.append(s); }
  void Text(std::string_view s) { out_.append(HtmlEscape(s)); }
  void Open(const char* summary, bool open) {
    out_ += open ? "<details open><summary>" : "<details><summary>";
    Text(summary);
    out_ += "</summary>\n";
  }
  void Close() { out_ += "</details>\n"; }
  void Table(std::initializer_list<const char*> headers) {
    out_ += "<table><tr>";
    for (const char* h : headers) {
      out_ += "<th>";
      Text(h);
      out_ += "</th>";
    }
    out_ += "</tr>\n";
  }
  void Row(std::initializer_list<std::string> cells, int mono_from = 99) {
    out_ += "<tr>";
    int i = 0;
    for (const std::string& c : cells) {
      out_ += i++ >= mono_from ? "<td class=\"mono\">" : "<td>";
      Text(c);
      out_ += "</td>";
    }
    out_ += "</tr>\n";
  }
  void EndTable() { out_ += "</table>\n"; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string PrincipalText(const ReportPrincipal& p) {
  if (p.name.empty()) return p.sid;
  if (p.sid.empty()) return p.name;
  return p.name + " (" + p.sid + ")";
}

std::string Join(const std::vector<ReportPrincipal>& ps) {
  std::string out;
  for (size_t i = 0; i < ps.size(); ++i) out += (i ? ", " : "") + PrincipalText(ps[i]);
  return out;
}

std::string ValueText(const ReportSettingValue& v) {
  if (v.boolean) return *v.boolean ? "Enabled" : "Disabled";
  if (v.number) return std::to_string(*v.number);
  if (v.text) return *v.text;
  std::string out;
  for (size_t i = 0; i < v.strings.size(); ++i) out += (i ? ", " : "") + v.strings[i];
  return out;
}

std::string RegistryData(const ReportRegistryValue& v) {
  if (v.number) return std::to_string(*v.number);
  if (v.text) return *v.text;
  std::string out;
  for (size_t i = 0; i < v.strings.size(); ++i) out += (i ? "\n" : "") + v.strings[i];
  return out;
}

const char* AuditValue(int v) {
  switch (v) {
    case 0:
      return "No Auditing";
    case 1:
      return "Success";
    case 2:
      return "Failure";
    case 3:
      return "Success and Failure";
    default:
      return "?";
  }
}

void RenderSecurity(const ReportSecurity& s, Html* h) {
  h->Open("Security Settings", true);
  if (!s.accounts.empty()) {
    h->Open("Account Policies", true);
    h->Table({"Policy", "Setting", "Type"});
    for (const auto& a : s.accounts) h->Row({a.name, ValueText(a.value), a.type});
    h->EndTable();
    h->Close();
  }
  if (!s.audits.empty()) {
    h->Open("Audit Policy", true);
    h->Table({"Policy", "Success", "Failure"});
    for (const auto& a : s.audits) {
      h->Row({a.name, a.success ? "Yes" : "No", a.failure ? "Yes" : "No"});
    }
    h->EndTable();
    h->Close();
  }
  if (!s.user_rights.empty()) {
    h->Open("User Rights Assignment", true);
    h->Table({"Policy", "Setting"});
    for (const auto& r : s.user_rights) {
      h->Row({r.name, r.members.empty() ? std::string("(no one)") : Join(r.members)});
    }
    h->EndTable();
    h->Close();
  }
  if (!s.security_options.empty()) {
    h->Open("Security Options", true);
    h->Table({"Policy", "Setting"});
    for (const auto& o : s.security_options) {
      h->Row({o.key_name.empty() ? o.system_access_policy_name : o.key_name, ValueText(o.value)},
             1);
    }
    h->EndTable();
    h->Close();
  }
  if (!s.restricted_groups.empty()) {
    h->Open("Restricted Groups", true);
    h->Table({"Group", "Members", "Member of"});
    for (const auto& g : s.restricted_groups) {
      h->Row({PrincipalText(g.group), g.has_members ? Join(g.members) : "(not configured)",
              g.has_member_of ? Join(g.member_of) : "(not configured)"});
    }
    h->EndTable();
    h->Close();
  }
  if (!s.services.empty()) {
    h->Open("System Services", true);
    h->Table({"Service", "Startup", "Permissions (SDDL)"});
    for (const auto& sv : s.services) h->Row({sv.name, sv.startup_mode, sv.sddl}, 2);
    h->EndTable();
    h->Close();
  }
  for (const auto* list : {&s.registry_keys, &s.files}) {
    if (list->empty()) continue;
    h->Open(list == &s.files ? "File System" : "Registry", true);
    h->Table({"Path", "Propagation", "Permissions (SDDL)"});
    for (const auto& o : *list) h->Row({o.path, o.propagation_mode, o.sddl}, 2);
    h->EndTable();
    h->Close();
  }
  h->Close();
}

std::string ActionText(const std::string& action) {
  if (action == "C") return "Create";
  if (action == "R") return "Replace";
  if (action == "U") return "Update";
  if (action == "D") return "Delete";
  return action;
}

// Everything below a preference item's Properties as lines: "Element: a=1, b=2" for elements
// with attributes, "Element: text" for texts (the task XML of a scheduled task, group members).
void DescribeProperties(const ReportXmlElement& e, const std::string& indent, std::string* out) {
  std::string line;
  for (const auto& [name, value] : e.attributes) {
    if (name == "action" && indent.empty()) continue;
    line += (line.empty() ? "" : ", ") + name + "=" + value;
  }
  if (!e.text.empty()) line += (line.empty() ? "" : " ") + e.text;
  if (!indent.empty() || !line.empty()) {
    *out += (out->empty() ? "" : "\n") + indent + (indent.empty() ? line : e.name + ": " + line);
  }
  for (const ReportXmlElement& c : e.children) DescribeProperties(c, indent + "  ", out);
}

// One row per item of a preference tree; Collections name the path.
void PreferenceRows(const ReportXmlElement& root, Html* h) {
  for (const PreferenceItem& item : PreferenceItems(root)) {
    std::string action;
    std::string properties;
    for (const ReportXmlElement& c : item.element->children) {
      if (c.name != "Properties") continue;
      action = ActionText(c.Attribute("action"));
      DescribeProperties(c, "", &properties);
    }
    std::string name = item.element->Attribute("name");
    if (!item.path.empty()) name = item.path + "\\" + name;
    h->Row({item.element->name, name, action, properties}, 3);
  }
}

void RenderSide(const char* title, const ReportSide& side, Html* h) {
  h->Open(title, true);
  h->Raw("<p>");
  h->Text("Enabled: " + std::string(side.enabled ? "yes" : "no") +
          " \u00b7 version (directory / sysvol): " + std::to_string(side.version_directory) +
          " / " + std::to_string(side.version_sysvol));
  h->Raw("</p>\n");
  for (const std::string& p : side.problems) {
    h->Raw("<p class=\"problem\">");
    h->Text(p);
    h->Raw("</p>\n");
  }
  bool any = !side.security.empty() || !side.advanced_audit.empty() || !side.policies.empty() ||
             !side.registry_settings.empty() || !side.scripts.empty() ||
             !side.preferences.empty() || !side.app_locker.empty();
  if (!any) h->Raw("<p class=\"none\">No settings defined.</p>\n");
  if (!side.security.empty()) RenderSecurity(side.security, h);
  if (!side.advanced_audit.empty()) {
    h->Open("Advanced Audit Configuration", true);
    h->Table({"Target", "Subcategory", "Setting"});
    for (const auto& a : side.advanced_audit) {
      h->Row({a.policy_target, a.subcategory_name, AuditValue(a.setting_value)});
    }
    h->EndTable();
    h->Close();
  }
  if (!side.policies.empty()) {
    h->Open("Administrative Templates", true);
    bool comments = std::any_of(side.policies.begin(), side.policies.end(),
                                [](const ReportPolicy& p) { return !p.comment.empty(); });
    if (comments) {
      h->Table({"Category", "Policy", "Setting", "Options", "Comment"});
    } else {
      h->Table({"Category", "Policy", "Setting", "Options"});
    }
    for (const auto& p : side.policies) {
      std::string options;
      for (const auto& e : p.elements) {
        options += (options.empty() ? "" : "\n") + e.name + ": " +
                   (e.kind == "CheckBox" ? e.state : e.value);
      }
      if (comments) {
        h->Row({p.category, p.name, p.state, options, p.comment});
      } else {
        h->Row({p.category, p.name, p.state, options});
      }
    }
    h->EndTable();
    h->Close();
  }
  if (!side.registry_settings.empty()) {
    h->Open("Registry Settings (no template)", true);
    h->Table({"Key", "Value", "Type", "Data"});
    for (const auto& r : side.registry_settings) {
      if (r.value && SpecialAction(r.value->name)) {
        // Registry.pol's instructions (**del.X, **delvals., ...) read as what they do.
        h->Row({r.key_path, *SpecialAction(r.value->name), "", ""});
      } else if (r.value) {
        h->Row({r.key_path, r.value->name, RegTypeName(r.value->type), RegistryData(*r.value)}, 3);
      } else {
        h->Row({r.key_path, "(key only)", "", ""});
      }
    }
    h->EndTable();
    h->Close();
  }
  if (!side.scripts.empty()) {
    h->Open("Scripts", true);
    h->Table({"Type", "Order", "Command", "Parameters", "Run order", "From"});
    for (const auto& sc : side.scripts) {
      h->Row({sc.type, std::to_string(sc.order), sc.command, sc.parameters, sc.run_order,
              sc.powershell ? "psscripts.ini" : "scripts.ini"},
             2);
    }
    h->EndTable();
    h->Close();
  }
  if (!side.app_locker.empty()) {
    h->Open("Application Control Policies (AppLocker)", true);
    h->Table(
        {"Collection", "Enforcement", "Rule", "Name", "Action", "User or group", "Conditions"});
    for (const ReportAppLockerCollection& c : side.app_locker) {
      if (c.rules.empty()) h->Row({c.type, c.enforcement_mode, "", "", "", "", ""});
      for (const ReportXmlElement& rule : c.rules) {
        std::string conditions;
        for (const ReportXmlElement& k : rule.children) {
          conditions += (conditions.empty() ? "" : "\n") + k.name + ":";
          for (const ReportXmlElement& item : k.children) {
            DescribeProperties(item, "  ", &conditions);
          }
        }
        h->Row({c.type, c.enforcement_mode, rule.name, rule.Attribute("Name"),
                rule.Attribute("Action"), rule.Attribute("UserOrGroupSid"), conditions},
               6);
      }
    }
    h->EndTable();
    h->Close();
  }
  for (const ReportPreference& p : side.preferences) {
    h->Open(("Preferences: " + p.extension_name).c_str(), true);
    h->Table({"Item", "Name", "Action", "Properties"});
    PreferenceRows(p.root, h);
    h->EndTable();
    h->Close();
  }
  h->Close();
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

void RenderChanges(const DryRunChanges& c, Html* h) {
  h->Open("Predicted changes (dry run: nothing was changed)", true);
  h->Raw("<p>");
  h->Text("What the " + c.operation + " would change. " + std::to_string(c.settings.size()) +
          " setting(s), " + std::to_string(c.files.size()) + " file(s).");
  h->Raw("</p>\n");
  if (c.settings.empty() && c.files.empty()) {
    h->Raw("<p class=\"none\">No setting and no file would change.</p>\n");
  }
  if (!c.settings.empty()) {
    h->Open("Settings", true);
    h->Table({"", "Scope", "Extension", "Setting", "Before", "After"});
    for (const core::SettingChange& s : c.settings) {
      const char* mark = s.before.empty() ? "+ added" : s.after.empty() ? "- removed" : "~ changed";
      h->Row({mark, s.scope, s.extension, s.setting, s.before, s.after}, 3);
    }
    h->EndTable();
    h->Close();
  }
  if (!c.files.empty()) {
    h->Open("Files", true);
    h->Table({"", "File", "Bytes before", "Bytes after"});
    for (const DryRunFileChange& f : c.files) {
      const char* mark = f.kind == DryRunFileChange::Kind::kAdded     ? "+ added"
                         : f.kind == DryRunFileChange::Kind::kRemoved ? "- removed"
                                                                      : "~ changed";
      h->Row({mark, f.path,
              f.kind == DryRunFileChange::Kind::kAdded ? "" : std::to_string(f.bytes_before),
              f.kind == DryRunFileChange::Kind::kRemoved ? "" : std::to_string(f.bytes_after)},
             1);
    }
    h->EndTable();
    h->Close();
  }
  h->Close();
}

std::string RenderReportHtml(const Report& r, const DryRunChanges* changes) {
  Html h;
  h.Raw(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\"><title>");
  h.Text(r.name);
  h.Raw("</title><style>");
  h.Raw(kStyle);
  h.Raw("</style></head><body>\n<h1>");
  h.Text(r.name);
  h.Raw("</h1><p class=\"sub\">");
  h.Text("Group Policy settings report \u00b7 " + r.domain);
  h.Raw("</p>\n");
  if (changes != nullptr) RenderChanges(*changes, &h);
  h.Open("General", true);
  h.Open("Details", true);
  h.Table({"Field", "Value"});
  h.Row({"Domain", r.domain});
  h.Row({"Unique ID", r.guid}, 1);
  if (!r.comment.empty()) h.Row({"Comment", r.comment});
  h.Row({"Created", r.created_time});
  h.Row({"Modified", r.modified_time});
  h.Row({"Report generated", r.read_time});
  h.Row({"GPO status", std::string(r.computer.enabled && r.user.enabled ? "Enabled"
                                   : r.computer.enabled                 ? "User settings disabled"
                                   : r.user.enabled ? "Computer settings disabled"
                                                    : "All settings disabled")});
  if (!r.sddl.empty()) h.Row({"Security descriptor", r.sddl}, 1);
  h.EndTable();
  h.Close();
  h.Close();
  RenderSide("Computer Configuration", r.computer, &h);
  RenderSide("User Configuration", r.user, &h);
  h.Raw("</body></html>\n");
  return h.Take();
}

}  // namespace gpop::sysvol
