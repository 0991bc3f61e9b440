// AppLocker rules from Registry.pol for the report (see report_applocker.h).

#include "service/backends/sysvol/format/report_applocker.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "service/backends/sysvol/format/gpp.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/text_util.h"

namespace gpop::sysvol {

namespace {

constexpr std::string_view kSrpV2Key = "software\\policies\\microsoft\\windows\\srpv2\\";

ReportAppLockerCollection* Collection(std::string_view type,
                                      std::vector<ReportAppLockerCollection>* collections) {
  for (ReportAppLockerCollection& c : *collections) {
    if (internal::EqualsNoCase(c.type, type)) return &c;
  }
  collections->push_back(ReportAppLockerCollection{std::string(type), "", {}});
  return &collections->back();
}

int KindRank(const std::string& name) {
  if (name == "FilePublisherRule") return 0;
  if (name == "FilePathRule") return 1;
  if (name == "FileHashRule") return 2;
  return 3;
}

// "FilePathCondition" -> "FilePath" for the two condition kinds GPMC's report renames (checked
// against Windows' gpreport.xml); "" for the others.
std::string ConditionElementName(const std::string& name) {
  if (name == "FilePathCondition") return "FilePath";
  if (name == "FilePublisherCondition") return "FilePublisher";
  return "";
}

// A version range's open bounds ("*") are not written by GPMC's report.
void DropOpenBounds(ReportXmlElement* condition) {
  for (ReportXmlElement& c : condition->children) {
    if (c.name != "BinaryVersionRange") continue;
    auto& attrs = c.attributes;
    attrs.erase(std::remove_if(attrs.begin(), attrs.end(),
                               [](const auto& a) {
                                 return (a.first == "LowSection" || a.first == "HighSection") &&
                                        a.second == "*";
                               }),
                attrs.end());
  }
}

// A rule as the policy stores it, in the form GPMC's report writes it: a condition under
// <Conditions> takes the plain name (<FilePath Path=.../>), one under <Exceptions> is wrapped
// (<FilePathCondition><FilePath Path=.../></FilePathCondition>), and a publisher's open
// version bounds (LowSection/HighSection="*") are left out.
ReportXmlElement GpmcRuleForm(ReportXmlElement rule) {
  for (ReportXmlElement& part : rule.children) {
    bool conditions = part.name == "Conditions";
    if (!conditions && part.name != "Exceptions") continue;
    for (ReportXmlElement& c : part.children) {
      std::string plain = ConditionElementName(c.name);
      if (plain.empty()) continue;
      DropOpenBounds(&c);
      if (conditions) {
        c.name = plain;
      } else {
        ReportXmlElement inner = c;
        inner.name = plain;
        c.attributes.clear();
        c.text.clear();
        c.children = {std::move(inner)};
      }
    }
  }
  return rule;
}

}  // namespace

bool AddAppLockerEntry(const PolEntry& entry, std::vector<ReportAppLockerCollection>* collections) {
  if (entry.key.size() <= kSrpV2Key.size() ||
      !internal::EqualsNoCase(std::string_view(entry.key).substr(0, kSrpV2Key.size()), kSrpV2Key)) {
    return false;
  }
  std::string_view rest = std::string_view(entry.key).substr(kSrpV2Key.size());
  size_t slash = rest.find('\\');
  std::string_view type = rest.substr(0, slash);
  if (type.empty()) return false;
  if (slash == std::string_view::npos) {
    if (!internal::EqualsNoCase(entry.value_name, "EnforcementMode")) return false;
    auto mode = entry.AsDword();
    if (entry.type != reg_type::kDword || !mode.ok()) return false;
    Collection(type, collections)->enforcement_mode = *mode == 0   ? "Disabled"
                                                      : *mode == 1 ? "Enabled"
                                                                   : std::to_string(*mode);
    return true;
  }
  std::string_view id = rest.substr(slash + 1);
  if (id.empty() || id.find('\\') != std::string_view::npos ||
      !internal::EqualsNoCase(entry.value_name, "Value") || entry.type != reg_type::kSz) {
    return false;
  }
  auto text = entry.AsString();
  if (!text.ok()) return false;
  XmlLimits limits;
  limits.max_bytes = 1u << 20;
  limits.max_depth = 32;  // bounds ElementFromXml's recursion
  auto doc = LoadXml(*text, entry.key, limits);
  if (!doc.ok()) return false;
  Collection(type, collections)
      ->rules.push_back(
          GpmcRuleForm(ElementFromXml((*doc)->document_element(), /*strip_prefixes=*/true)));
  return true;
}

void SortAppLocker(std::vector<ReportAppLockerCollection>* collections) {
  std::stable_sort(collections->begin(), collections->end(),
                   [](const ReportAppLockerCollection& a, const ReportAppLockerCollection& b) {
                     return internal::CompareNoCase(a.type, b.type) < 0;
                   });
  for (ReportAppLockerCollection& c : *collections) {
    std::stable_sort(c.rules.begin(), c.rules.end(),
                     [](const ReportXmlElement& a, const ReportXmlElement& b) {
                       int ka = KindRank(a.name), kb = KindRank(b.name);
                       if (ka != kb) return ka < kb;
                       return internal::CompareNoCase(a.Attribute("Id"), b.Attribute("Id")) < 0;
                     });
  }
}

}  // namespace gpop::sysvol
