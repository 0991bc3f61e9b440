// Builds the settings report from parsed files (see report_builder.h).

#include "service/backends/sysvol/format/report_builder.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/gpo_version.h"
#include "service/backends/sysvol/format/report_applocker.h"
#include "service/backends/sysvol/format/text_util.h"

namespace gpop::sysvol {

namespace {

using internal::AsciiLower;

std::string Hex(std::string_view bytes) { return FormatHexBytes(bytes); }

ReportPrincipal Principal(std::string_view member) {
  if (IsSidMember(member)) {
    std::string sid = MemberSid(member);
    return ReportPrincipal{sid, WellKnownSidName(sid)};
  }
  return ReportPrincipal{"", std::string(member)};
}

std::vector<ReportPrincipal> Principals(const std::vector<std::string>& members) {
  std::vector<ReportPrincipal> out;
  for (const std::string& m : members) out.push_back(Principal(m));
  return out;
}

ReportSettingValue NumberValue(int64_t n) {
  ReportSettingValue v;
  // GPMC prints negative account settings (LockoutDuration = -1) as unsigned 32-bit numbers.
  v.number = n < 0 ? static_cast<int64_t>(static_cast<uint32_t>(n)) : n;
  return v;
}

ReportSettingValue SettingValue(const InfSetting& s, bool boolean) {
  auto n = s.Number();
  if (boolean && n) {
    ReportSettingValue v;
    v.boolean = *n != 0;
    return v;
  }
  if (n) return NumberValue(*n);
  ReportSettingValue v;
  v.text = s.value;
  return v;
}

const std::map<std::string, std::pair<const char*, bool>>& AccountSettings() {
  // System Access names that GPMC lists as Account settings: type, and whether boolean.
  static const auto* kMap = new std::map<std::string, std::pair<const char*, bool>>{
      {"minimumpasswordage", {"Password", false}},
      {"maximumpasswordage", {"Password", false}},
      {"minimumpasswordlength", {"Password", false}},
      {"passwordcomplexity", {"Password", true}},
      {"passwordhistorysize", {"Password", false}},
      {"cleartextpassword", {"Password", true}},
      {"requirelogontochangepassword", {"Password", true}},
      {"lockoutbadcount", {"Account Lockout", false}},
      {"resetlockoutcount", {"Account Lockout", false}},
      {"lockoutduration", {"Account Lockout", false}},
  };
  return *kMap;
}

std::string StartupMode(int mode) {
  switch (mode) {
    case 2:
      return "Automatic";
    case 3:
      return "Manual";
    case 4:
      return "Disabled";
    default:
      return std::to_string(mode);
  }
}

std::string PropagationMode(int mode) {
  switch (mode) {
    case 0:
      return "Propagate";
    case 1:
      return "Ignore";
    case 2:
      return "Replace";
    default:
      return std::to_string(mode);
  }
}

bool LessNoCase(const std::string& a, const std::string& b) {
  return internal::CompareNoCase(a, b) < 0;
}

// Whether one of `entries` is `value` at (key, value_name).
bool HasValue(const std::vector<const PolEntry*>& entries, std::string_view key,
              std::string_view value_name, const AdmxValue& value) {
  return std::any_of(entries.begin(), entries.end(), [&](const PolEntry* e) {
    return internal::EqualsNoCase(e->key, key) &&
           internal::EqualsNoCase(e->value_name, value_name) && value.Matches(*e);
  });
}

// True when `entries` hold the policy's whole enabled state: its enabledValue (when it has one)
// and every item of its enabledList (when it has one), and it has at least one of the two.
bool MatchesEnabledState(const AdmxPolicy& p, const std::vector<const PolEntry*>& entries) {
  if (!p.enabled_value && p.enabled_list.empty()) return false;
  if (p.enabled_value &&
      (p.value_name.empty() || !HasValue(entries, p.key, p.value_name, *p.enabled_value))) {
    return false;
  }
  return std::all_of(p.enabled_list.begin(), p.enabled_list.end(), [&](const AdmxListItem& item) {
    return HasValue(entries, item.key, item.value_name, item.value);
  });
}

// The ADMX policy that owns `entries` (all matched to it), as GPMC would show it.
ReportPolicy PolicyFromEntries(const AdmxPolicy& p, const std::vector<const PolEntry*>& entries,
                               const PolicyComments* comments) {
  ReportPolicy out;
  out.name = p.display_name;
  if (comments != nullptr) out.comment = comments->Find(p.namespace_name, p.name);
  out.explain = p.explain;
  out.supported = p.supported;
  out.category = p.category;
  bool disabled = false;
  bool any_set = false;
  for (const PolEntry* e : entries) {
    bool is_delete =
        e->Special() == SpecialName::kDeleteValue || e->Special() == SpecialName::kDeleteAllValues;
    if (!is_delete) any_set = true;
    if (!p.value_name.empty() && internal::EqualsNoCase(e->key, p.key) &&
        (internal::EqualsNoCase(e->value_name, p.value_name) ||
         internal::EqualsNoCase(e->SpecialTarget(), p.value_name))) {
      if (p.disabled_value) {
        disabled = disabled || p.disabled_value->Matches(*e);
      } else if (!p.enabled_value) {
        // No explicit values: the editor writes 1 for Enabled and deletes the value (or writes
        // 0) for Disabled.
        disabled = disabled || is_delete || AdmxValue{AdmxValue::Kind::kDecimal, 0, ""}.Matches(*e);
      }
    }
    for (const AdmxListItem& item : p.disabled_list) {
      if (internal::EqualsNoCase(e->key, item.key) &&
          internal::EqualsNoCase(e->value_name, item.value_name) && item.value.Matches(*e)) {
        disabled = true;
      }
    }
  }
  if (p.value_name.empty() && p.disabled_list.empty() && !any_set) disabled = true;
  // A state that is what the policy writes when Enabled is Enabled, even where its disabled
  // state writes the same value too (Internet Explorer's "Disable AutoComplete for forms" has
  // the same item in both lists); the editor checks the enabled state first.
  if (disabled && MatchesEnabledState(p, entries)) disabled = false;
  out.state = disabled ? "Disabled" : "Enabled";
  if (disabled) return out;
  for (const AdmxElement& el : p.elements) {
    ReportPolicyElement re;
    re.name = el.label;
    re.state = "Enabled";
    std::vector<std::string> list_values;
    const PolEntry* match = nullptr;
    for (const PolEntry* e : entries) {
      if (!internal::EqualsNoCase(e->key, el.key) || e->Special() != SpecialName::kNone) continue;
      if (el.kind == "list") {
        auto s = e->AsString();
        list_values.push_back(s.ok() ? *s : Hex(e->data));
      } else if (internal::EqualsNoCase(e->value_name, el.value_name)) {
        match = e;
      }
    }
    if (el.kind == "list") {
      re.kind = "ListBox";
      for (size_t i = 0; i < list_values.size(); ++i) re.value += (i ? "; " : "") + list_values[i];
      out.elements.push_back(std::move(re));
      continue;
    }
    if (match == nullptr) continue;
    if (el.kind == "decimal" || el.kind == "longDecimal") {
      re.kind = "Numeric";
      if (match->type == reg_type::kQword) {
        auto q = match->AsQword();
        re.value = q.ok() ? std::to_string(*q) : Hex(match->data);
      } else if (auto d = match->AsDword(); d.ok()) {
        re.value = std::to_string(*d);
      } else if (auto t = match->AsString(); t.ok()) {
        re.value = *t;  // some templates store numbers as REG_SZ
      } else {
        re.value = Hex(match->data);
      }
    } else if (el.kind == "text" || el.kind == "multiText") {
      re.kind = "EditText";
      auto s = match->AsString();
      if (s.ok()) {
        re.value = *s;
      } else if (auto m = match->AsMultiString(); m.ok()) {
        for (size_t i = 0; i < m->size(); ++i) re.value += (i ? "; " : "") + (*m)[i];
      } else {
        re.value = Hex(match->data);
      }
    } else if (el.kind == "enum") {
      re.kind = "DropDownList";
      for (const auto& [display, value] : el.enum_items) {
        if (value.Matches(*match)) {
          re.value = display;
          break;
        }
      }
    } else if (el.kind == "boolean") {
      re.kind = "CheckBox";
      auto d = match->AsDword();
      re.state = d.ok() && *d == 0 ? "Disabled" : "Enabled";
    } else {
      continue;
    }
    out.elements.push_back(std::move(re));
  }
  return out;
}

void AddRegistry(const RegistryPol& pol, bool computer, const AdmxCatalog* admx,
                 const PolicyComments* comments, bool by_reference, ReportSide* side) {
  std::map<const AdmxPolicy*, std::vector<const PolEntry*>> by_policy;
  std::vector<const AdmxPolicy*> order;
  // Without templates every entry is a RegistrySetting: one allocation for all of them.
  if (admx == nullptr) {
    if (by_reference) {
      side->registry_entries.reserve(side->registry_entries.size() + pol.entries.size());
    } else {
      side->registry_settings.reserve(side->registry_settings.size() + pol.entries.size());
    }
  }
  for (const PolEntry& e : pol.entries) {
    if (AddAppLockerEntry(e, &side->app_locker)) continue;
    std::vector<const AdmxPolicy*> owners;
    if (admx != nullptr) owners = admx->Find(computer, e.key, e.value_name);
    if (owners.empty()) {
      if (by_reference) {
        side->registry_entries.push_back(&e);
      } else {
        side->registry_settings.push_back(RegistrySettingFromEntry(e));
      }
      continue;
    }
    for (const AdmxPolicy* p : owners) {
      if (by_policy.find(p) == by_policy.end()) order.push_back(p);
      by_policy[p].push_back(&e);
    }
  }
  for (const AdmxPolicy* p : order) {
    side->policies.push_back(PolicyFromEntries(*p, by_policy[p], comments));
  }
}

// Stable-sorts `items` case-insensitively by the two keys `keys(item)` returns. Reports of large
// GPOs sort many entries whose keys share long prefixes, and many entries share one key (a
// registry key holds many values): each key is folded to lower case once, into one buffer for
// all items (no allocation per item); the distinct first keys are sorted once (compared with
// memcmp: the same order as CompareNoCase) and each item then sorted by its first key's rank
// and its second key, so that the long first keys are not compared again and again. Indices
// are sorted, so that each item is moved once.
inline char AsciiLowerChar(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

template <typename T, typename Keys>
void StableSortNoCase(std::vector<T>* items, Keys keys) {
  if (items->size() < 2) return;
  struct Key {
    uint32_t rank;  // of the first key among the distinct first keys
    size_t second;  // offsets into `folded`
    size_t second_end;
    size_t index;
  };
  size_t total = 0;
  for (const T& item : *items) {
    auto [first, second] = keys(item);
    total += first.size() + second.size();
  }
  std::string folded(total, '\0');
  char* const base = folded.data();
  char* at = base;
  const auto fold = [&at](std::string_view s) {
    for (const char c : s) *at++ = AsciiLowerChar(c);
  };
  std::vector<Key> order;
  order.reserve(items->size());
  std::vector<std::pair<size_t, size_t>> firsts;  // each item's first key in `folded`
  firsts.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    auto [first, second] = keys((*items)[i]);
    const size_t first_at = static_cast<size_t>(at - base);
    fold(first);
    firsts.emplace_back(first_at, static_cast<size_t>(at - base));
    Key k;
    k.rank = 0;
    k.second = static_cast<size_t>(at - base);
    fold(second);
    k.second_end = static_cast<size_t>(at - base);
    k.index = i;
    order.push_back(k);
  }
  const std::string_view text(folded);
  const auto first_of = [&](size_t i) {
    return text.substr(firsts[i].first, firsts[i].second - firsts[i].first);
  };
  // An id per distinct first key (consecutive items often share one), then the ids ranked.
  std::unordered_map<std::string_view, uint32_t> ids;
  std::vector<std::string_view> distinct;
  std::vector<uint32_t> id_of(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string_view first = first_of(i);
    if (i > 0 && first == first_of(i - 1)) {
      id_of[i] = id_of[i - 1];
      continue;
    }
    const auto [it, added] = ids.try_emplace(first, static_cast<uint32_t>(distinct.size()));
    if (added) distinct.push_back(first);
    id_of[i] = it->second;
  }
  std::vector<uint32_t> by_text(distinct.size());
  for (uint32_t i = 0; i < by_text.size(); ++i) by_text[i] = i;
  std::sort(by_text.begin(), by_text.end(),
            [&](uint32_t a, uint32_t b) { return distinct[a] < distinct[b]; });
  std::vector<uint32_t> rank(distinct.size());
  for (uint32_t r = 0; r < by_text.size(); ++r) rank[by_text[r]] = r;
  for (Key& k : order) k.rank = rank[id_of[k.index]];
  const auto less = [text](const Key& a, const Key& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    return text.substr(a.second, a.second_end - a.second) <
           text.substr(b.second, b.second_end - b.second);
  };
  if (std::is_sorted(order.begin(), order.end(), less)) return;
  std::stable_sort(order.begin(), order.end(), less);
  std::vector<T> out;
  out.reserve(items->size());
  for (const Key& k : order) out.push_back(std::move((*items)[k.index]));
  *items = std::move(out);
}

void SortSide(ReportSide* side) {
  StableSortNoCase(&side->policies, [](const ReportPolicy& p) {
    return std::pair<std::string_view, std::string_view>(p.category, p.name);
  });
  StableSortNoCase(&side->registry_settings, [](const ReportRegistrySetting& r) {
    return std::pair<std::string_view, std::string_view>(
        r.key_path, r.value ? std::string_view(r.value->name) : std::string_view());
  });
  // The same keys: RegistrySettingFromEntry takes the key and the value name as they are (an
  // entry without a value has an empty name).
  StableSortNoCase(&side->registry_entries, [](const PolEntry* e) {
    return std::pair<std::string_view, std::string_view>(e->key, e->value_name);
  });
  SortAppLocker(&side->app_locker);
  StableSortNoCase(&side->preferences, [](const ReportPreference& p) {
    return std::pair<std::string_view, std::string_view>(p.folder, std::string_view());
  });
}

}  // namespace

ReportRegistrySetting RegistrySettingFromEntry(const PolEntry& e) {
  ReportRegistrySetting s;
  s.key_path = e.key;
  if (e.type == reg_type::kNone && e.value_name.empty() && e.data.empty()) return s;
  ReportRegistryValue v;
  v.name = e.value_name;
  v.type = e.type;
  switch (e.type) {
    case reg_type::kDword:
    case reg_type::kDwordBigEndian:
      if (auto d = e.AsDword(); d.ok()) v.number = *d;
      break;
    case reg_type::kQword:
      if (auto q = e.AsQword(); q.ok()) v.number = *q;
      break;
    case reg_type::kSz:
    case reg_type::kExpandSz:
      if (auto t = e.AsString(); t.ok()) v.text = std::move(*t);
      break;
    case reg_type::kMultiSz:
      if (auto m = e.AsMultiString(); m.ok()) {
        if (m->empty()) v.text = "";
        v.strings = std::move(*m);
      }
      break;
    default:
      break;
  }
  if (!v.number && !v.text && v.strings.empty()) v.text = Hex(e.data);
  s.value = std::move(v);
  return s;
}

std::vector<ReportScript> ScriptsFromIni(const ScriptsIni& ini, bool powershell) {
  const auto run_order = [&](const std::string& type) -> std::string {
    if (!powershell) return "PSNotConfigured";
    bool at_start = type == "Startup" || type == "Logon";
    const std::optional<bool>& first =
        at_start ? ini.start_powershell_first : ini.end_powershell_first;
    if (!first) return "PSNotConfigured";
    return *first ? "PSFirst" : "PSLast";
  };
  std::vector<ReportScript> out;
  for (const ScriptEntry& e : ini.scripts) {
    out.push_back(
        ReportScript{e.command, e.parameters, e.type, e.index, run_order(e.type), powershell});
  }
  return out;
}

ReportSecurity SecurityFromTemplate(const SecurityTemplate& t) {
  ReportSecurity out;
  std::vector<ReportSecurityOption> system_options;
  for (const InfSetting& s : t.system_access) {
    auto it = AccountSettings().find(AsciiLower(s.name));
    if (it != AccountSettings().end()) {
      out.accounts.push_back(
          ReportAccountSetting{s.name, SettingValue(s, it->second.second), it->second.first});
    } else {
      ReportSecurityOption o;
      o.system_access_policy_name = s.name;
      o.value = SettingValue(s, false);
      system_options.push_back(std::move(o));
    }
  }
  for (const InfSetting& s : t.kerberos_policy) {
    bool boolean = internal::EqualsNoCase(s.name, "TicketValidateClient");
    out.accounts.push_back(ReportAccountSetting{s.name, SettingValue(s, boolean), "Kerberos"});
  }
  std::stable_sort(out.accounts.begin(), out.accounts.end(),
                   [](const auto& a, const auto& b) { return LessNoCase(a.name, b.name); });
  for (const InfSetting& s : t.event_audit) {
    int64_t n = s.Number().value_or(0);
    out.audits.push_back(ReportEventAudit{s.name, (n & 1) != 0, (n & 2) != 0});
  }
  std::stable_sort(out.audits.begin(), out.audits.end(),
                   [](const auto& a, const auto& b) { return LessNoCase(a.name, b.name); });
  for (const PrivilegeRight& r : t.privilege_rights) {
    out.user_rights.push_back(ReportUserRight{r.name, Principals(r.members)});
  }
  std::stable_sort(out.user_rights.begin(), out.user_rights.end(),
                   [](const auto& a, const auto& b) { return LessNoCase(a.name, b.name); });
  for (const RegistryValueSetting& r : t.registry_values) {
    ReportSecurityOption o;
    o.key_name = r.Path();
    if (r.type == reg_type::kDword) {
      if (auto n = internal::ParseInt64(internal::Trim(r.data))) {
        o.value = NumberValue(*n);
      } else {
        o.value.text = r.data;
      }
    } else if (r.type == reg_type::kMultiSz) {
      o.value.has_strings = true;
      if (!internal::Trim(r.data).empty()) o.value.strings = internal::Split(r.data, ',');
    } else {
      o.value.text = r.data;
    }
    out.security_options.push_back(std::move(o));
  }
  std::stable_sort(out.security_options.begin(), out.security_options.end(),
                   [](const auto& a, const auto& b) { return LessNoCase(a.key_name, b.key_name); });
  std::stable_sort(system_options.begin(), system_options.end(), [](const auto& a, const auto& b) {
    return LessNoCase(a.system_access_policy_name, b.system_access_policy_name);
  });
  out.security_options.insert(out.security_options.end(), system_options.begin(),
                              system_options.end());
  std::map<std::string, size_t> group_index;
  for (const GroupMembership& g : t.group_membership) {
    std::string k = AsciiLower(g.group);
    if (group_index.find(k) == group_index.end()) {
      group_index[k] = out.restricted_groups.size();
      out.restricted_groups.push_back(
          ReportRestrictedGroup{Principal(g.group), {}, {}, false, false});
    }
    ReportRestrictedGroup& rg = out.restricted_groups[group_index[k]];
    if (g.relation == GroupMembership::Relation::kMembers) {
      rg.has_members = true;
      for (auto& p : Principals(g.members)) rg.members.push_back(p);
    } else {
      rg.has_member_of = true;
      for (auto& p : Principals(g.members)) rg.member_of.push_back(p);
    }
  }
  std::stable_sort(out.restricted_groups.begin(), out.restricted_groups.end(),
                   [](const auto& a, const auto& b) {
                     return LessNoCase(a.group.sid + a.group.name, b.group.sid + b.group.name);
                   });
  for (const ServiceSetting& s : t.services) {
    out.services.push_back(ReportService{s.name, StartupMode(s.startup_mode), s.sddl});
  }
  std::stable_sort(out.services.begin(), out.services.end(),
                   [](const auto& a, const auto& b) { return LessNoCase(a.name, b.name); });
  for (const ObjectSecurity& o : t.file_security) {
    out.files.push_back(ReportObjectSecurity{o.path, PropagationMode(o.mode), o.sddl});
  }
  for (const ObjectSecurity& o : t.registry_keys) {
    out.registry_keys.push_back(ReportObjectSecurity{o.path, PropagationMode(o.mode), o.sddl});
  }
  const auto by_path = [](const auto& a, const auto& b) { return LessNoCase(a.path, b.path); };
  std::stable_sort(out.files.begin(), out.files.end(), by_path);
  std::stable_sort(out.registry_keys.begin(), out.registry_keys.end(), by_path);
  return out;
}

Report BuildReport(const ReportIdentity& id, const ReportSideFiles& computer,
                   const ReportSideFiles& user, const AdmxCatalog* admx,
                   bool registry_by_reference) {
  Report r;
  r.guid = id.guid;
  r.domain = id.domain;
  r.name = id.name;
  r.comment = id.comment;
  r.created_time = id.created_time;
  r.modified_time = id.modified_time;
  r.read_time = id.read_time;
  r.sddl = id.sddl;
  const auto fill = [admx, registry_by_reference](const ReportSideFiles& files, bool is_computer,
                                                  ReportSide* side) {
    if (files.registry_pol != nullptr) {
      AddRegistry(*files.registry_pol, is_computer, admx, files.comments, registry_by_reference,
                  side);
    }
    if (files.security != nullptr) side->security = SecurityFromTemplate(*files.security);
    if (files.audit != nullptr) {
      for (const AuditCsvRow& row : files.audit->rows) {
        side->advanced_audit.push_back(ReportAuditSetting{
            row.policy_target, row.subcategory, row.subcategory_guid,
            static_cast<int>(internal::ParseInt64(row.setting_value).value_or(0))});
      }
    }
    for (const auto& [ini, powershell] :
         {std::pair{files.scripts, false}, std::pair{files.psscripts, true}}) {
      if (ini == nullptr) continue;
      for (ReportScript& s : ScriptsFromIni(*ini, powershell))
        side->scripts.push_back(std::move(s));
    }
    if (files.preferences != nullptr) side->preferences = *files.preferences;
    side->problems = files.problems;
    SortSide(side);
  };
  r.computer.version_directory = ComputerVersion(id.directory_version);
  r.computer.version_sysvol = ComputerVersion(id.sysvol_version);
  r.computer.enabled = (id.flags & 2u) == 0;
  r.user.version_directory = UserVersion(id.directory_version);
  r.user.version_sysvol = UserVersion(id.sysvol_version);
  r.user.enabled = (id.flags & 1u) == 0;
  fill(computer, true, &r.computer);
  fill(user, false, &r.user);
  return r;
}

}  // namespace gpop::sysvol
