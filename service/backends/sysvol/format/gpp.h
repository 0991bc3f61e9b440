// Group Policy Preferences: the XML files under Machine/Preferences/ and User/Preferences/
// (Groups/Groups.xml, Registry/Registry.xml, ScheduledTasks/ScheduledTasks.xml, ...), read as
// data for the report, and the table of how GPMC's report names each extension.
//
// A preference file is UTF-8 XML (UTF-16LE with a BOM accepted) read through the hardened
// loader (safe_xml.h). Its root element (<Groups clsid=...>) holds items (<Group clsid=...>),
// and, in Registry.xml, nested <Collection> elements of items. gpop keeps the whole tree: the
// report embeds it as GPMC does, and diffs compare it item by item.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_GPP_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_GPP_H_

#include <cstddef>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "service/backends/sysvol/format/report.h"
#include "service/core/error.h"

namespace gpop::sysvol {

inline constexpr size_t kMaxPreferenceXmlBytes = 16u << 20;

// GppExtension
//
// One preference extension: its folder and file under Preferences/, the name GPMC's report
// gives it, the report's namespace suffix (after "http://www.microsoft.com/GroupPolicy/
// Settings/") and xsi:type, and the name of the root element in the report when GPMC renames
// it ("" when it keeps the file's). Checked against Windows' gpreport.xml: Groups, Registry,
// ScheduledTasks, Folders; the others follow the same pattern with GPMC's display names.
struct GppExtension {
  const char* folder;
  const char* extension_name;
  const char* namespace_suffix;
  const char* xsi_type;
  const char* report_root;
};

// GppExtensions
//
// Every preference extension gpop names, by folder.
const std::vector<GppExtension>& GppExtensions();

// FindGppExtensionByFolder / FindGppExtensionByNamespace
//
// The extension for a Preferences/ folder name (case-insensitive) or a report namespace; null
// when unknown.
const GppExtension* FindGppExtensionByFolder(std::string_view folder);
const GppExtension* FindGppExtensionByNamespace(std::string_view xml_namespace);

// PreferenceNamespace
//
// "http://www.microsoft.com/GroupPolicy/Settings/" + suffix.
std::string PreferenceNamespace(std::string_view namespace_suffix);

// ParsePreferenceXml
//
// The root element of a preference file as data (names without prefixes, attributes in order).
// Errors: CORRUPT_FILE naming `display_path` (see LoadXml; also larger than
// kMaxPreferenceXmlBytes, nested deeper than 64 elements).
core::Result<ReportXmlElement> ParsePreferenceXml(std::string_view bytes,
                                                  std::string_view display_path);

// PreferenceFromFile
//
// The report's ReportPreference for `folder` ("Groups", any case) holding `root`: the known
// extension's names, or for an unknown folder the folder's own name and the pattern's namespace.
ReportPreference PreferenceFromFile(std::string_view folder, ReportXmlElement root);

// PreferenceItem / PreferenceItems
//
// The items of a preference tree in document order, Collections walked into (and not listed):
// `path` the names of the Collections above joined with "\\" ("HKEY_LOCAL_MACHINE\\SYSTEM"),
// `element` the item (pointing into `root`, which must outlive the list). An item is an element
// with a clsid attribute directly below the root or a Collection. What diffs and the HTML
// report list, one row per item.
struct PreferenceItem {
  std::string path;
  const ReportXmlElement* element = nullptr;
};
std::vector<PreferenceItem> PreferenceItems(const ReportXmlElement& root);

// ElementFromXml
//
// `node` (an element) as data; element names and attribute names keep their prefixes unless
// `strip_prefixes`.
ReportXmlElement ElementFromXml(pugi::xml_node node, bool strip_prefixes);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_GPP_H_
