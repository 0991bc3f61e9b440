// manifest.xml reader and writer (see manifest.h).

#include "service/backends/sysvol/format/manifest.h"

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/safe_xml.h"

namespace gpop::sysvol {

core::Result<Manifest> ParseManifest(std::string_view bytes, std::string_view path) {
  auto doc = LoadXml(bytes, path);
  if (!doc.ok()) return doc.error();
  pugi::xml_node root = (*doc)->document_element();
  if (LocalName(root.name()) != "Backups") {
    return CorruptFile(path,
                       "root element is <" + std::string(root.name()) + ">, expected <Backups>");
  }
  Manifest manifest;
  for (pugi::xml_node child : root.children()) {
    if (child.type() == pugi::node_element && LocalName(child.name()) == "BackupInst") {
      manifest.backups.push_back(ReadBackupInstElement(child));
    }
  }
  return manifest;
}

std::string WriteManifest(const Manifest& manifest) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("Backups");
  root.append_attribute("xmlns").set_value(kManifestNamespace);
  root.append_attribute("xmlns:mfst").set_value(kManifestNamespace);
  root.append_attribute("mfst:version").set_value("1.0");
  for (const BackupInst& inst : manifest.backups) AppendBackupInstElement(root, inst);
  return SaveXml(doc, pugi::format_raw | pugi::format_no_declaration);
}

}  // namespace gpop::sysvol
