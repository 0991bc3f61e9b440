// ADMX/ADML administrative templates: just enough of them to name the registry values a policy
// defines, as GPMC's report does (Policy elements instead of RegistrySetting).
//
// A central store is `Policies/PolicyDefinitions/*.admx` plus `<lang>/*.adml` (the language
// folder resolved case-insensitively). Each policy's registry footprint is read: key +
// valueName with enabledValue / disabledValue, enabledList / disabledList items, and the
// elements (decimal, longDecimal, text, multiText, enum, boolean, list) with their own keys and
// value names. Display names, explanations, categories and supported-on texts come from the
// ADML string tables ("$(string.Id)"); unresolved references are shown as the id.
//
// Category and supportedOn references are resolved within ADMX namespaces, as the editor does:
// "prefix:Name" through the file's <using prefix=...> (a bare "Name" is the file's own <target>
// namespace), so same-named categories of different templates (every Office product defines
// "L_Security"...) never stand for each other.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_ADMX_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_ADMX_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/backends/sysvol/format/registry_pol.h"
#include "service/core/error.h"

namespace gpop::sysvol {

// AdmxValue
//
// A registry value an ADMX policy writes: a decimal, a string, or "delete the value".
struct AdmxValue {
  enum class Kind { kDecimal, kString, kDelete };
  Kind kind = Kind::kDecimal;
  uint64_t decimal = 0;
  std::string string;

  // Matches
  //
  // True when `entry` holds this value: a decimal matches REG_DWORD/REG_QWORD data with the same
  // number (or a string of its digits); a string matches REG_SZ/REG_EXPAND_SZ text exactly;
  // kDelete matches a "**del.<name>" entry.
  bool Matches(const PolEntry& entry) const;
};

// AdmxListItem
//
// One item of an enabledList / disabledList (the key defaults to the policy's key).
struct AdmxListItem {
  std::string key;
  std::string value_name;
  AdmxValue value;
};

// AdmxElement
//
// One element of a policy (the parts of its dialog). `kind` is the ADMX element name
// ("decimal", "text", "enum", "boolean", "list", ...), `key` defaults to the policy's key, and
// `label` is the presentation's label when the ADML has one (else the id).
struct AdmxElement {
  std::string kind;
  std::string id;
  std::string key;
  std::string value_name;
  std::string label;
  // enum: the items' display names and values, in order.
  std::vector<std::pair<std::string, AdmxValue>> enum_items;
};

// AdmxPolicy
//
// One policy definition with its texts resolved.
struct AdmxPolicy {
  std::string name;            // the policy's @name, unique within its namespace
  std::string namespace_name;  // the file's target namespace ("Microsoft.Policies.PowerShell")
  std::string display_name;    // resolved from the ADML
  std::string explain;
  std::string supported;
  std::string category;      // display names from the root, joined with "/"
  std::string policy_class;  // "Machine", "User" or "Both"
  std::string key;
  std::string value_name;
  std::optional<AdmxValue> enabled_value;
  std::optional<AdmxValue> disabled_value;
  std::vector<AdmxListItem> enabled_list;
  std::vector<AdmxListItem> disabled_list;
  std::vector<AdmxElement> elements;

  // AppliesTo
  //
  // True for the computer side when the class is Machine or Both, for the user side when User
  // or Both.
  bool AppliesTo(bool computer) const;
};

// AdmxCatalog
//
// Every policy of a central store, with an index from (key, value name) to the policies that
// write it. Keys and names are matched case-insensitively. Immutable after loading; safe to share
// between threads for reading.
class AdmxCatalog {
 public:
  AdmxCatalog() = default;

  // AddFile
  //
  // Adds the policies of one ADMX file, resolving texts through `adml` (empty: no language
  // file; texts become ids). Categories may be defined in files added earlier or later: they
  // are resolved by Finish. Errors: not XML, not policyDefinitions (CORRUPT_FILE).
  core::Status AddFile(std::string_view admx, std::string_view adml, std::string_view display_path);

  // Finish
  //
  // Resolves categories and supported-on texts across files and builds the index. Call once
  // after the last AddFile.
  void Finish();

  // Find
  //
  // The policies for one side whose key/value name footprint contains (key, value_name); for a
  // "**del.<name>" entry, the footprint of <name>. Empty when no template defines the value.
  std::vector<const AdmxPolicy*> Find(bool computer, std::string_view key,
                                      std::string_view value_name) const;

  const std::vector<AdmxPolicy>& policies() const { return policies_; }

 private:
  struct Category {
    std::string display_name;
    std::string parent;  // "namespace:name" of the parent category ("" at the root)
  };
  std::vector<AdmxPolicy> policies_;
  std::vector<std::string> policy_category_refs_;     // parallel to policies_, until Finish
  std::vector<std::string> policy_supported_refs_;    // parallel to policies_, until Finish
  std::map<std::string, Category> categories_;        // "namespace:name" -> category
  std::map<std::string, std::string> supported_;      // "namespace:name" -> supported-on text
  std::map<std::string, std::vector<size_t>> index_;  // lower(key) + "\n" + lower(name)
};

// LoadAdmxCatalog
//
// Reads `policy_definitions/*.admx` and the matching `<language>/*.adml` (folder and file names
// matched case-insensitively; a missing ADML leaves ids as texts) and calls Finish. A missing
// folder is NOT_FOUND; an unreadable or corrupt file is its CORRUPT_FILE error.
core::Result<AdmxCatalog> LoadAdmxCatalog(const std::filesystem::path& policy_definitions,
                                          std::string_view language = "en-US");

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_ADMX_H_
