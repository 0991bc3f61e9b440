// Shared setup of the migration table tests (sysvol_migration_test, the template, folder
// redirection and security descriptor tests): a store holding a HardenAD fixture backup with
// a backend on it, migration tables written into its configured folder, import and copy specs
// that use them, and the status messages naming unmapped entries.

#ifndef GPOP_TESTS_BACKENDS_SYSVOL_MIGRATION_TEST_UTIL_H_
#define GPOP_TESTS_BACKENDS_SYSVOL_MIGRATION_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "service/backends/sysvol/format/migration_table.h"
#include "service/backends/sysvol/format/utf16.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol::testing {

// The backup ID of a HardenAD fixture backup ("HAD-.../{GUID}": the folder name).
inline std::string BackupIdOf(const std::string& rel) {
  return std::filesystem::path(rel).filename().string();
}

// An import of `backup_id` into a new GPO `name` (create-if-needed) through `table`.
inline core::ImportSpec ImportIntoNewGpo(const std::string& backup_id, const std::string& table,
                                         bool table_only, const std::string& name = "Migrated") {
  core::ImportSpec spec;
  spec.backup.backup_id = backup_id;
  spec.target.display_name = name;
  spec.create_if_needed = true;
  spec.migration_table = table;
  spec.migration_table_only = table_only;
  return spec;
}

// One <Mapping>: `dest` "=" is DestinationSameAsSource, "" DestinationNone, anything else an
// explicit Destination.
inline std::string MappingXml(const std::string& type, const std::string& source,
                              const std::string& dest) {
  return "<Mapping><Type>" + type + "</Type><Source>" + source + "</Source>" +
         (dest == "="    ? "<DestinationSameAsSource/>"
          : dest.empty() ? "<DestinationNone/>"
                         : "<Destination>" + dest + "</Destination>") +
         "</Mapping>\n";
}

// One <Mapping> with <DestinationByRelativeName/>.
inline std::string RelativeMappingXml(const std::string& type, const std::string& source) {
  return "<Mapping><Type>" + type + "</Type><Source>" + source +
         "</Source><DestinationByRelativeName/></Mapping>\n";
}

// A .migtable document holding `mappings` (MappingXml texts).
inline std::string TableXml(const std::string& mappings) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<MigrationTable xmlns=\"" +
         std::string(kMigrationTableNamespace) + "\">\n" + mappings + "</MigrationTable>\n";
}

// `text` as UTF-16LE with a BOM (the settings files' encoding), and back.
inline std::string Utf16Of(const std::string& text) {
  auto bytes = EncodeUtf16LeWithBom(text, "test");
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : "";
}
inline std::string Utf8Of(const std::string& bytes) {
  auto text = DecodeUtf16LeWithBom(bytes, "test");
  EXPECT_TRUE(text.ok());
  return text.ok() ? *text : "";
}

// The messages of `sink` that name an entry the table does not map.
inline std::vector<std::string> UnmappedMessages(const RecordingSink& sink) {
  std::vector<std::string> out;
  for (const auto& m : sink.messages) {
    if (m.message.find("does not map") != std::string::npos) out.push_back(m.message);
  }
  return out;
}

// MigrationTest
//
// A store with one HardenAD fixture backup (Open) or an empty one, its migration table folder,
// and a backend on it. Not thread-safe (one test's state).
class MigrationTest : public ::testing::Test {
 protected:
  // A fresh store holding the HardenAD backup `rel` and a backend on it.
  void Open(const std::filesystem::path& fixtures, const std::string& rel) {
    backend_.reset();
    store_ = MakeStoreWithHardenAdBackup(fixtures, rel);
    backend_ = OpenBackend(store_.config);
    ASSERT_NE(backend_, nullptr);
  }

  // Writes `xml` as migration table `name` (".migtable" added).
  void PutTable(const std::string& name, const std::string& xml) const {
    WriteBytes(store_.config.migration_table_dir / (name + ".migtable"), xml);
  }

  core::Outcome Run(const core::OperationSpec& spec, RecordingSink& sink) {
    return RunOp(*backend_, spec, sink);
  }

  // The GPT folder of the GPO an operation wrote.
  std::filesystem::path GptOf(const core::Outcome& out) const {
    return store_.policies() / std::get<core::GpoInfo>(out.result).guid;
  }

  TestStore store_;
  std::unique_ptr<SysvolBackend> backend_;
};

}  // namespace gpop::sysvol::testing

#endif  // GPOP_TESTS_BACKENDS_SYSVOL_MIGRATION_TEST_UTIL_H_
