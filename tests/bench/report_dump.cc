// Writes the reports of GPT folders to files, for comparing report bytes before and after a
// change to the report code (the fixtures' DomainSysvol/GPO folders, a generated store's GPTs):
//
//   report_dump OUT_DIR GPT_DIR...
//
// For the Nth GPT_DIR: OUT_DIR/N.utf16.xml (gpreport.xml as a backup writes it, streamed),
// OUT_DIR/N.utf8.xml (the API's report) and OUT_DIR/N.html. The identity is fixed (the folder's
// name as GUID, no times), so two builds give the same bytes for the same input. Not a test:
// compare the folders with `cmp` or `diff -r`. It fails (exit 1) when the report a backup writes
// (RegistrySettings by reference to the entries) differs from the decoded report's XML.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/format/report_xml.h"
#include "service/backends/sysvol/gpt_reader.h"

namespace gpop::sysvol {
namespace {

bool WriteOut(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int Run(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: report_dump OUT_DIR GPT_DIR...\n");
    return 2;
  }
  const std::filesystem::path out_dir = argv[1];
  std::filesystem::create_directories(out_dir);
  for (int i = 2; i < argc; ++i) {
    const std::filesystem::path gpt_path = argv[i];
    core::Result<Dir> gpt = Dir::OpenRoot(gpt_path, gpt_path.string());
    if (!gpt.ok()) {
      std::fprintf(stderr, "%s: %s\n", argv[i], gpt.error().message.c_str());
      return 1;
    }
    core::Result<GptSettings> settings = ReadGptSettings(*gpt);
    if (!settings.ok()) {
      std::fprintf(stderr, "%s: %s\n", argv[i], settings.error().message.c_str());
      return 1;
    }
    ReportIdentity id;
    id.guid = gpt_path.filename().string();
    id.domain = "dump.test";
    id.name = "report_dump " + std::to_string(i - 1);
    id.directory_version = 0x00050003;
    id.sysvol_version = 0x00050003;
    const Report report = MakeReport(id, *settings, nullptr);
    // gpreport.xml as a backup writes it: RegistrySettings from the entries, streamed.
    const Report by_reference = MakeReport(id, *settings, nullptr, /*registry_by_reference=*/true);
    std::string utf16;
    const bool valid = WriteReportXmlUtf16To(by_reference, [&](std::string_view piece) {
      utf16.append(piece);
      return true;
    });
    if (!valid) utf16.clear();
    // The same bytes as the decoded report's, written in one string.
    if (utf16 != WriteReportXmlUtf16(report) ||
        WriteReportXml(by_reference) != WriteReportXml(report)) {
      std::fprintf(stderr, "%s: the report by reference differs from the decoded one\n", argv[i]);
      return 1;
    }
    const std::string stem = std::to_string(i - 1);
    if (!WriteOut(out_dir / (stem + ".utf16.xml"), utf16) ||
        !WriteOut(out_dir / (stem + ".utf8.xml"), WriteReportXml(report)) ||
        !WriteOut(out_dir / (stem + ".html"), RenderReportHtml(report))) {
      std::fprintf(stderr, "cannot write into %s\n", argv[1]);
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace gpop::sysvol

int main(int argc, char** argv) { return gpop::sysvol::Run(argc, argv); }
