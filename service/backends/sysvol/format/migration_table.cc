// Migration table parsing and lookup (see migration_table.h).

#include "service/backends/sysvol/format/migration_table.h"

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/text_util.h"

namespace gpop::sysvol {
namespace {

constexpr std::pair<MigrationEntryType, const char*> kTypes[] = {
    {MigrationEntryType::kUser, "User"},
    {MigrationEntryType::kComputer, "Computer"},
    {MigrationEntryType::kLocalGroup, "LocalGroup"},
    {MigrationEntryType::kGlobalGroup, "GlobalGroup"},
    {MigrationEntryType::kUniversalGroup, "UniversalGroup"},
    {MigrationEntryType::kUncPath, "UNCPath"},
    {MigrationEntryType::kUnknown, "Unknown"},
};

// "name" and "domain" of "DOMAIN\\name" or "name@dns" (domain: the DNS name's first label);
// empty domain for a bare name or a SID.
std::pair<std::string, std::string> Split(std::string_view principal) {
  if (size_t slash = principal.find('\\'); slash != std::string_view::npos) {
    return {internal::AsciiLower(principal.substr(slash + 1)),
            internal::AsciiLower(principal.substr(0, slash))};
  }
  if (size_t at = principal.rfind('@'); at != std::string_view::npos) {
    std::string_view dns = principal.substr(at + 1);
    return {internal::AsciiLower(principal.substr(0, at)),
            internal::AsciiLower(dns.substr(0, dns.find('.')))};
  }
  return {internal::AsciiLower(principal), ""};
}

std::string_view WithoutStar(std::string_view s) {
  return !s.empty() && s.front() == '*' ? s.substr(1) : s;
}

}  // namespace

const char* MigrationEntryTypeName(MigrationEntryType type) {
  for (const auto& [t, name] : kTypes) {
    if (t == type) return name;
  }
  return "Unknown";
}

MigrationEntryType MigrationEntryTypeFromName(std::string_view name) {
  for (const auto& [t, n] : kTypes) {
    if (internal::EqualsNoCase(internal::Trim(name), n)) return t;
  }
  return MigrationEntryType::kUnknown;
}

std::string WriteMigrationTable(const MigrationTable& table) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version").set_value("1.0");
  decl.append_attribute("encoding").set_value("utf-8");
  pugi::xml_node root = doc.append_child("MigrationTable");
  root.append_attribute("xmlns:xsd").set_value("http://www.w3.org/2001/XMLSchema");
  root.append_attribute("xmlns:xsi").set_value("http://www.w3.org/2001/XMLSchema-instance");
  root.append_attribute("xmlns").set_value(kMigrationTableNamespace);
  for (const MigrationMapping& m : table.mappings) {
    pugi::xml_node mapping = root.append_child("Mapping");
    mapping.append_child("Type").text().set(MigrationEntryTypeName(m.type));
    mapping.append_child("Source").text().set(m.source.c_str());
    switch (m.kind) {
      case MigrationDestination::kExplicit:
        mapping.append_child("Destination").text().set(m.destination.c_str());
        break;
      case MigrationDestination::kSameAsSource:
        mapping.append_child("DestinationSameAsSource");
        break;
      case MigrationDestination::kNone:
        mapping.append_child("DestinationNone");
        break;
      case MigrationDestination::kRelativeName:
        mapping.append_child("DestinationByRelativeName");
        break;
    }
  }
  return internal::WithCrlf(SaveXml(doc, pugi::format_indent, "  "));
}

const MigrationMapping* MigrationTable::FindPrincipal(std::string_view principal) const {
  const std::string_view wanted = WithoutStar(internal::Trim(principal));
  const auto [name, domain] = Split(wanted);
  const MigrationMapping* by_parts = nullptr;
  for (const MigrationMapping& m : mappings) {
    if (m.type == MigrationEntryType::kUncPath) continue;
    const std::string_view source = WithoutStar(m.source);
    if (internal::EqualsNoCase(source, wanted)) return &m;
    const auto [source_name, source_domain] = Split(source);
    if (by_parts == nullptr && !domain.empty() && source_name == name && source_domain == domain) {
      by_parts = &m;
    }
  }
  return by_parts;
}

const MigrationMapping* MigrationTable::FindPath(std::string_view path) const {
  const MigrationMapping* best = nullptr;
  for (const MigrationMapping& m : mappings) {
    if (m.type != MigrationEntryType::kUncPath || m.source.empty()) continue;
    std::string_view source = m.source;
    while (source.size() > 2 && source.back() == '\\') source.remove_suffix(1);
    if (path.size() < source.size() ||
        !internal::EqualsNoCase(path.substr(0, source.size()), source)) {
      continue;
    }
    if (path.size() > source.size() && path[source.size()] != '\\') continue;
    if (best == nullptr || source.size() > best->source.size()) best = &m;
  }
  return best;
}

core::Result<MigrationTable> ParseMigrationTable(std::string_view bytes,
                                                 std::string_view display_path) {
  XmlLimits limits;
  limits.max_bytes = 16u << 20;
  auto doc = LoadXml(bytes, display_path, limits);
  if (!doc.ok()) return doc.error();
  pugi::xml_node root = (*doc)->document_element();
  if (LocalName(root.name()) != "MigrationTable") {
    return CorruptFile(display_path, "root element is not MigrationTable");
  }
  MigrationTable table;
  int index = 0;
  for (pugi::xml_node m : root.children()) {
    if (m.type() != pugi::node_element || LocalName(m.name()) != "Mapping") continue;
    ++index;
    const std::string where = "mapping " + std::to_string(index);
    MigrationMapping mapping;
    const std::string type = std::string(internal::Trim(ChildTextByLocalName(m, "Type")));
    bool known = false;
    for (const auto& [t, name] : kTypes) {
      if (internal::EqualsNoCase(type, name)) {
        mapping.type = t;
        known = true;
      }
    }
    if (!known) return CorruptFile(display_path, where + ": unknown Type \"" + type + "\"");
    mapping.source = std::string(internal::Trim(ChildTextByLocalName(m, "Source")));
    if (mapping.source.empty()) return CorruptFile(display_path, where + ": no Source");
    int destinations = 0;
    if (ChildByLocalName(m, "Destination")) {
      ++destinations;
      mapping.kind = MigrationDestination::kExplicit;
      mapping.destination = std::string(internal::Trim(ChildTextByLocalName(m, "Destination")));
    }
    if (ChildByLocalName(m, "DestinationSameAsSource")) {
      ++destinations;
      mapping.kind = MigrationDestination::kSameAsSource;
    }
    if (ChildByLocalName(m, "DestinationNone")) {
      ++destinations;
      mapping.kind = MigrationDestination::kNone;
    }
    if (ChildByLocalName(m, "DestinationByRelativeName")) {
      ++destinations;
      mapping.kind = MigrationDestination::kRelativeName;
    }
    if (destinations != 1) {
      return CorruptFile(display_path,
                         where + " (" + mapping.source + "): needs exactly one destination");
    }
    table.mappings.push_back(std::move(mapping));
  }
  return table;
}

}  // namespace gpop::sysvol
