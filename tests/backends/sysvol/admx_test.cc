// Tests of the ADMX reader against the cases found by comparing gpop's reports with Windows'
// gpreport.xml: categories and supportedOn references resolved within their ADMX namespace
// (Office templates all define the same category names), and a policy whose registry state is
// its enabledList reported Enabled even where its disabledList writes the same value (Internet
// Explorer). The templates are written here, shaped like the real ones.

#include "service/backends/sysvol/format/admx.h"

#include <gtest/gtest.h>

#include <string>

#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report_builder.h"

namespace gpop::sysvol {
namespace {

// Two products whose templates both define the categories "L_Root" and "L_Security" and the
// supportedOn "SUPPORTED_Product" under their own namespaces; the second references Windows'
// namespace through a prefix for one policy, and its own categories without one.
constexpr char kWord[] = R"xml(<?xml version="1.0" encoding="utf-8"?>
<policyDefinitions revision="1.0" schemaVersion="1.0">
  <policyNamespaces>
    <target prefix="word" namespace="Gpop.Test.Word"/>
    <using prefix="office" namespace="Gpop.Test.Office"/>
  </policyNamespaces>
  <supportedOn><definitions><definition name="SUPPORTED_Product" displayName="Word 2013"/></definitions></supportedOn>
  <categories>
    <category name="L_Root" displayName="Microsoft Word 2013"/>
    <category name="L_Security" displayName="Word Security"><parentCategory ref="L_Root"/></category>
  </categories>
  <policies>
    <policy name="WordMacros" class="User" displayName="Word macros" key="Software\Policies\Word" valueName="Macros">
      <parentCategory ref="word:L_Security"/><supportedOn ref="SUPPORTED_Product"/>
    </policy>
    <policy name="WordShared" class="User" displayName="Word shared" key="Software\Policies\Word" valueName="Shared">
      <parentCategory ref="office:L_Shared"/><supportedOn ref="office:SUPPORTED_Office"/>
    </policy>
  </policies>
</policyDefinitions>)xml";

constexpr char kExcel[] = R"xml(<?xml version="1.0" encoding="utf-8"?>
<policyDefinitions revision="1.0" schemaVersion="1.0">
  <policyNamespaces>
    <target prefix="excel" namespace="Gpop.Test.Excel"/>
  </policyNamespaces>
  <supportedOn><definitions><definition name="SUPPORTED_Product" displayName="Excel 2013"/></definitions></supportedOn>
  <categories>
    <category name="L_Root" displayName="Microsoft Excel 2013"/>
    <category name="L_Security" displayName="Excel Security"><parentCategory ref="excel:L_Root"/></category>
  </categories>
  <policies>
    <policy name="ExcelMacros" class="User" displayName="Excel macros" key="Software\Policies\Excel" valueName="Macros">
      <parentCategory ref="L_Security"/><supportedOn ref="excel:SUPPORTED_Product"/>
    </policy>
    <policy name="ExcelUnknown" class="User" displayName="Excel unknown" key="Software\Policies\Excel" valueName="Unknown">
      <parentCategory ref="word:L_Security"/><supportedOn ref="nowhere:SUPPORTED_Product"/>
    </policy>
  </policies>
</policyDefinitions>)xml";

constexpr char kOffice[] = R"xml(<?xml version="1.0" encoding="utf-8"?>
<policyDefinitions revision="1.0" schemaVersion="1.0">
  <policyNamespaces><target prefix="office" namespace="Gpop.Test.Office"/></policyNamespaces>
  <supportedOn><definitions><definition name="SUPPORTED_Office" displayName="Office 2013"/></definitions></supportedOn>
  <categories><category name="L_Shared" displayName="Shared Office"/></categories>
  <policies/>
</policyDefinitions>)xml";

const AdmxPolicy* ByName(const AdmxCatalog& catalog, const std::string& name) {
  for (const AdmxPolicy& p : catalog.policies()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

TEST(AdmxTest, CategoriesAndSupportedOnResolveWithinTheirNamespace) {
  // Added in an order where the last definition of a bare name would win if names were global.
  for (int order = 0; order < 2; ++order) {
    AdmxCatalog catalog;
    const char* first = order == 0 ? kWord : kExcel;
    const char* second = order == 0 ? kExcel : kWord;
    ASSERT_TRUE(catalog.AddFile(first, "", "first.admx").ok());
    ASSERT_TRUE(catalog.AddFile(second, "", "second.admx").ok());
    ASSERT_TRUE(catalog.AddFile(kOffice, "", "office.admx").ok());
    catalog.Finish();

    const AdmxPolicy* word = ByName(catalog, "WordMacros");
    const AdmxPolicy* excel = ByName(catalog, "ExcelMacros");
    const AdmxPolicy* shared = ByName(catalog, "WordShared");
    const AdmxPolicy* unknown = ByName(catalog, "ExcelUnknown");
    ASSERT_NE(word, nullptr);
    ASSERT_NE(excel, nullptr);
    ASSERT_NE(shared, nullptr);
    ASSERT_NE(unknown, nullptr);
    EXPECT_EQ(word->category, "Microsoft Word 2013/Word Security");
    EXPECT_EQ(word->supported, "Word 2013");
    EXPECT_EQ(word->namespace_name, "Gpop.Test.Word");
    EXPECT_EQ(excel->category, "Microsoft Excel 2013/Excel Security");
    EXPECT_EQ(excel->supported, "Excel 2013");
    EXPECT_EQ(excel->namespace_name, "Gpop.Test.Excel");
    // Through a <using> prefix, into a file added later.
    EXPECT_EQ(shared->category, "Shared Office");
    EXPECT_EQ(shared->supported, "Office 2013");
    // A prefix the file does not declare resolves to nothing, not to Word's category.
    EXPECT_EQ(unknown->category, "L_Security");
    EXPECT_EQ(unknown->supported, "SUPPORTED_Product");
  }
}

// Shaped like Internet Explorer's "Disable AutoComplete for forms": the enabled and the
// disabled state both write "Use FormSuggest" = "no"; the disabled state also writes another
// value. Windows reports the policy Enabled when only the enabled state's values are present.
constexpr char kAutoComplete[] = R"xml(<?xml version="1.0" encoding="utf-8"?>
<policyDefinitions revision="1.0" schemaVersion="1.0">
  <policyNamespaces><target prefix="ie" namespace="Gpop.Test.IE"/></policyNamespaces>
  <categories><category name="IE" displayName="Internet Explorer"/></categories>
  <policies>
    <policy name="AutoComplete" class="User" displayName="Disable AutoComplete for forms" key="Software\Policies\IE\Main">
      <parentCategory ref="IE"/>
      <enabledList>
        <item key="Software\Policies\IE\Main" valueName="Use FormSuggest"><value><string>no</string></value></item>
      </enabledList>
      <disabledList>
        <item key="Software\Policies\IE\Main" valueName="Use FormSuggest"><value><string>no</string></value></item>
        <item key="Software\Policies\IE\Control" valueName="FormSuggest"><value><decimal value="1"/></value></item>
      </disabledList>
    </policy>
    <policy name="Toolbar" class="User" displayName="Turn off the toolbar" key="Software\Policies\IE\Toolbar" valueName="Off">
      <parentCategory ref="IE"/>
      <enabledValue><decimal value="1"/></enabledValue>
      <disabledValue><decimal value="0"/></disabledValue>
    </policy>
  </policies>
</policyDefinitions>)xml";

std::string StateOf(const AdmxCatalog& catalog, const RegistryPol& pol) {
  ReportSideFiles user;
  user.registry_pol = &pol;
  Report r = BuildReport({}, {}, user, &catalog);
  if (r.user.policies.size() != 1) return "policies: " + std::to_string(r.user.policies.size());
  return r.user.policies[0].state;
}

TEST(AdmxTest, EnabledListWinsOverTheSameValueInTheDisabledList) {
  AdmxCatalog catalog;
  ASSERT_TRUE(catalog.AddFile(kAutoComplete, "", "ie.admx").ok());
  catalog.Finish();

  RegistryPol enabled;
  enabled.entries = {MakeStringEntry("Software\\Policies\\IE\\Main", "Use FormSuggest", "no")};
  EXPECT_EQ(StateOf(catalog, enabled), "Enabled");

  RegistryPol disabled;
  disabled.entries = {MakeStringEntry("Software\\Policies\\IE\\Main", "Use FormSuggest", "no"),
                      MakeDwordEntry("Software\\Policies\\IE\\Control", "FormSuggest", 1)};
  // Both lists are satisfied: the enabled state is checked first, as the editor does.
  EXPECT_EQ(StateOf(catalog, disabled), "Enabled");

  RegistryPol only_disabled;
  only_disabled.entries = {MakeDwordEntry("Software\\Policies\\IE\\Control", "FormSuggest", 1)};
  EXPECT_EQ(StateOf(catalog, only_disabled), "Disabled");

  RegistryPol other;
  other.entries = {MakeStringEntry("Software\\Policies\\IE\\Main", "Use FormSuggest", "yes")};
  EXPECT_EQ(StateOf(catalog, other), "Enabled");  // configured, matching neither list

  RegistryPol off;
  off.entries = {MakeDwordEntry("Software\\Policies\\IE\\Toolbar", "Off", 0)};
  EXPECT_EQ(StateOf(catalog, off), "Disabled");
  RegistryPol on;
  on.entries = {MakeDwordEntry("Software\\Policies\\IE\\Toolbar", "Off", 1)};
  EXPECT_EQ(StateOf(catalog, on), "Enabled");
}

TEST(AdmxTest, HostileTemplatesAreErrorsNotCrashes) {
  AdmxCatalog catalog;
  EXPECT_FALSE(catalog.AddFile("<policyDefinitions><policies>", "", "a.admx").ok());
  EXPECT_FALSE(catalog.AddFile("<!DOCTYPE x><policyDefinitions/>", "", "b.admx").ok());
  EXPECT_FALSE(catalog.AddFile("<other/>", "", "c.admx").ok());
  EXPECT_FALSE(catalog.AddFile(kOffice, "<resources>", "d.admx").ok());
  // A category that is its own parent, prefixes that point nowhere: resolved without looping.
  constexpr char kLoop[] = R"xml(<policyDefinitions>
    <policyNamespaces><target prefix="a" namespace="A"/></policyNamespaces>
    <categories><category name="C" displayName="Loop"><parentCategory ref="a:C"/></category></categories>
    <policies><policy name="P" class="Machine" key="K" valueName="V"><parentCategory ref="C"/>
      <supportedOn ref=":"/></policy></policies></policyDefinitions>)xml";
  ASSERT_TRUE(catalog.AddFile(kLoop, "", "loop.admx").ok());
  catalog.Finish();
  ASSERT_EQ(catalog.policies().size(), 1u);
  EXPECT_FALSE(catalog.policies()[0].category.empty());
}

}  // namespace
}  // namespace gpop::sysvol
