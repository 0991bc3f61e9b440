// Migration of Group Policy Preferences XML (see migration_gpp.h).

#include "service/backends/sysvol/ops/migration_gpp.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/text_util.h"

namespace gpop::sysvol {
namespace {

using internal::AsciiLower;
using internal::EqualsNoCase;

// Fields that name one principal, lower case (files differ in case: Drives.xml writes
// userName, Printers.xml and DataSources.xml username).
bool IsPrincipalField(const std::string& lower_name) {
  for (const char* p : {"runas", "username", "accountname", "newname", "user"}) {
    if (lower_name == p) return true;
  }
  return false;
}

bool IsSidField(const std::string& lower_name) {
  return lower_name == "sid" || lower_name == "groupsid" || lower_name == "usersid";
}

pugi::xml_attribute AttributeNoCase(pugi::xml_node n, std::string_view name) {
  for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
    if (EqualsNoCase(a.name(), name)) return a;
  }
  return pugi::xml_attribute();
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

class PreferenceMigrator {
 public:
  explicit PreferenceMigrator(PrincipalMapper* map) : map_(map) {}

  bool Run(pugi::xml_node root) {
    for (pugi::xml_node n = root; n; n = n.next_sibling()) Element(n);
    for (pugi::xml_node n : removed_) n.parent().remove_child(n);
    return changed_;
  }

 private:
  void Element(pugi::xml_node n) {
    if (n.type() != pugi::node_element) return;
    const std::string element(LocalName(n.name()));
    // The attributes an account pair below took care of.
    std::vector<std::string> done;
    if (element == "Member") {
      done = {"name", "sid"};
      if (!Pair(n, "name", "sid", "Member", nullptr)) return;
    } else if (pugi::xml_attribute group = AttributeNoCase(n, "groupName")) {
      done = {"groupname", "groupsid"};
      if (!Pair(n, group.name(), "groupSid", "groupName", &group)) return;
    }
    // The account of the item's single principal field, when the table changed it.
    std::optional<std::pair<std::string, std::optional<std::string>>> account_changed;
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      const std::string lower = AsciiLower(a.name());
      bool skip = false;
      for (const std::string& d : done) skip = skip || d == lower;
      if (skip) continue;
      const std::string value = a.value();
      const std::string setting = element + "/" + a.name();
      if (IsPrincipalField(lower)) {
        std::optional<std::string> mapped = map_->Principal(value, setting);
        if (!mapped) {
          map_->Note(
              setting,
              "the migration table maps " + Quoted(value) + " to None: the field is left empty",
              core::Severity::kWarning);
        }
        if (mapped.value_or("") != value) account_changed.emplace(value, mapped);
        Set(a, mapped.value_or(""));
      } else if (IsSidField(lower) && IsDomainPrincipal(value)) {
        // A SID field outside a name/SID pair: as a principal field for None, as a security
        // descriptor's SID for a name (reported, the SID kept).
        std::optional<std::string> mapped = map_->Principal(value, setting);
        if (!mapped) {
          map_->Note(
              setting,
              "the migration table maps " + Quoted(value) + " to None: the field is left empty",
              core::Severity::kWarning);
          Set(a, "");
        } else if (IsSid(*mapped)) {
          Set(a, *mapped);
        } else if (*mapped != value) {
          map_->NotASid(value, *mapped, "the Preferences field " + setting + " names its account");
        }
      } else if (IsUncPath(value)) {
        Set(a, map_->Path(value, setting));
      }
    }
    if (account_changed) DropPassword(n, element, account_changed->first, account_changed->second);
    if (element == "UserId" || element == "GroupId") {
      const std::string text = NodeText(n);
      std::optional<std::string> mapped = map_->Principal(text, element);
      if (!mapped) {
        map_->Note(element,
                   "the migration table maps " + Quoted(text) + " to None: the task's " + element +
                       " is left empty",
                   core::Severity::kWarning);
      }
      if (mapped.value_or("") != text) {
        if (mapped && !mapped->empty()) {
          n.text().set(mapped->c_str());
        } else {
          while (n.first_child()) n.remove_child(n.first_child());
        }
        changed_ = true;
      }
    }
    for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) Element(c);
  }

  // The account named by the attributes `name_attr` and `sid_attr` of `n`. Returns false when
  // the element (or, for a group, its whole item) is removed: nothing below it is looked at.
  bool Pair(pugi::xml_node n, const char* name_attr, const char* sid_attr, const char* what,
            const pugi::xml_attribute* name_found) {
    pugi::xml_attribute name = name_found ? *name_found : AttributeNoCase(n, name_attr);
    pugi::xml_attribute sid = AttributeNoCase(n, sid_attr);
    const std::string old_name = name.value();
    const std::string old_sid = sid.value();
    const std::string setting = std::string(what);
    PrincipalMapper::AccountResult r = map_->Account(old_name, old_sid, setting);
    const std::string shown = old_name.empty() ? old_sid : old_name;
    switch (r.kind) {
      case PrincipalMapper::AccountResult::kKeep:
        return true;
      case PrincipalMapper::AccountResult::kRemove: {
        const bool member = std::string(what) == "Member";
        // A group's item is the element around its Properties; never the document element.
        pugi::xml_node gone = member ? n : n.parent();
        if (gone.type() != pugi::node_element || gone.parent().type() != pugi::node_element) {
          gone = n;
        }
        map_->Note(setting,
                   member ? "the migration table maps the member " + Quoted(shown) +
                                " to None: it is removed from the group"
                          : "the migration table maps the group " + Quoted(shown) +
                                " to None: its preference item " +
                                Quoted(gone.attribute("name").value()) + " is removed",
                   core::Severity::kWarning);
        removed_.push_back(gone);
        changed_ = true;
        return false;
      }
      case PrincipalMapper::AccountResult::kRename: {
        const bool to_sid = IsSid(r.destination);
        std::string dest(internal::Trim(r.destination));
        if (to_sid && dest.front() == '*') dest.erase(0, 1);
        // A member named by SID only keeps its empty name.
        if (name && !(to_sid && old_name.empty())) Set(name, dest);
        if (sid) Set(sid, to_sid ? dest : "");
        // A group item is named after its group (Groups.xml: <Group name="X"><Properties
        // groupName="X" ...>): the name follows.
        if (name_found != nullptr) {
          pugi::xml_attribute item = n.parent().attribute("name");
          if (item && EqualsNoCase(item.value(), old_name)) Set(item, dest);
        }
        return true;
      }
    }
    return true;
  }

  // A password stored with the item (cpassword: Drives.xml, Printers.xml, Services.xml,
  // ScheduledTasks.xml, DataSources.xml, a Groups.xml user) is the old account's once the
  // table names another one (`to`; nullopt: None): it is emptied, with a warning naming the
  // item. Such passwords are deprecated anyway (MS14-025: every reader of SYSVOL can decrypt
  // them), so none is carried to a new account.
  void DropPassword(pugi::xml_node n, const std::string& element, const std::string& from,
                    const std::optional<std::string>& to) {
    pugi::xml_attribute password = AttributeNoCase(n, "cpassword");
    if (!password || *password.value() == '\0') return;
    // The item is the element around the Properties (<Drive name="H:"><Properties .../>).
    pugi::xml_attribute item = n.parent().attribute("name");
    const std::string shown = item ? item.value() : element;
    Set(password, "");
    map_->Note(element + "/" + password.name(),
               "the preference item " + Quoted(shown) + " stored a password (cpassword) for " +
                   Quoted(from) + ", which the migration table maps to " +
                   (to ? Quoted(*to) : std::string("None")) +
                   ": the password is the old account's, so it is removed (stored passwords "
                   "are deprecated, MS14-025); set the new account's password again",
               core::Severity::kWarning);
  }

  void Set(pugi::xml_attribute a, const std::string& v) {
    if (v == a.value()) return;
    a.set_value(v.c_str());
    changed_ = true;
  }

  PrincipalMapper* map_;
  std::vector<pugi::xml_node> removed_;
  bool changed_ = false;
};

}  // namespace

bool MigratePreferences(pugi::xml_node root, PrincipalMapper* map) {
  return PreferenceMigrator(map).Run(root);
}

}  // namespace gpop::sysvol
