// BackupInst (bkupInfo.xml / manifest.xml records) reader and writer (see backup_inst.h).

#include "service/backends/sysvol/format/backup_inst.h"

#include <ctime>

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/safe_xml.h"

namespace gpop::sysvol {

namespace {

// The children of BackupInst, in the order GPMC writes them.
struct Field {
  const char* name;
  std::string BackupInst::*member;
};
constexpr Field kFields[] = {
    {"GPOGuid", &BackupInst::gpo_guid},
    {"GPODomain", &BackupInst::gpo_domain},
    {"GPODomainGuid", &BackupInst::gpo_domain_guid},
    {"GPODomainController", &BackupInst::gpo_domain_controller},
    {"BackupTime", &BackupInst::backup_time},
    {"ID", &BackupInst::id},
    {"Comment", &BackupInst::comment},
    {"GPODisplayName", &BackupInst::gpo_display_name},
};

}  // namespace

bool BackupInst::operator==(const BackupInst& o) const {
  for (const Field& f : kFields) {
    if (this->*f.member != o.*f.member) return false;
  }
  return true;
}

BackupInst ReadBackupInstElement(pugi::xml_node node) {
  BackupInst inst;
  for (const Field& f : kFields) inst.*f.member = ChildTextByLocalName(node, f.name);
  return inst;
}

void AppendBackupInstElement(pugi::xml_node parent, const BackupInst& inst) {
  pugi::xml_node node = parent.append_child("BackupInst");
  for (const Field& f : kFields) {
    node.append_child(f.name).append_child(pugi::node_cdata).set_value((inst.*f.member).c_str());
  }
}

core::Result<BackupInst> ParseBkupInfo(std::string_view bytes, std::string_view path) {
  auto doc = LoadXml(bytes, path);
  if (!doc.ok()) return doc.error();
  pugi::xml_node root = (*doc)->document_element();
  if (LocalName(root.name()) != "BackupInst") {
    return CorruptFile(path,
                       "root element is <" + std::string(root.name()) + ">, expected <BackupInst>");
  }
  return ReadBackupInstElement(root);
}

std::string WriteBkupInfo(const BackupInst& inst) {
  pugi::xml_document doc;
  AppendBackupInstElement(doc, inst);
  doc.document_element().prepend_attribute("xmlns").set_value(kManifestNamespace);
  // Windows ends bkupInfo.xml with CRLF (manifest.xml has no line end at all).
  return SaveXml(doc, pugi::format_raw | pugi::format_no_declaration) + "\r\n";
}

std::string FormatBackupTime(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

std::optional<std::chrono::system_clock::time_point> ParseBackupTime(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction][Z]
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const auto num = [&](size_t pos, size_t len, int* out) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!num(0, 4, &year) || !num(5, 2, &month) || !num(8, 2, &day) || !num(11, 2, &hour) ||
      !num(14, 2, &minute) || !num(17, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(19);
  int64_t micros = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t i = 1;
    int64_t scale = 100000;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
      micros += (rest[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == 1) return std::nullopt;
    rest = rest.substr(i);
  }
  if (rest == "Z") rest = {};
  if (!rest.empty()) return std::nullopt;
  // Days from civil (proleptic Gregorian), so no time zone or locale is involved.
  int y = year - (month <= 2 ? 1 : 0);
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int mp = (month + 9) % 12;
  int doy = (153 * mp + 2) / 5 + day - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(seconds) + std::chrono::microseconds(micros)));
}

}  // namespace gpop::sysvol
