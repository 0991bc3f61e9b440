// An upload's publish journal as a file (see publish_journal.h).

#include "service/transfer/publish_journal.h"

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "service/backends/sysvol/backup_folder.h"

namespace gpop::transfer {
namespace {

constexpr char kMagic[] = "gpop-upload-publish 1";
// A journal of 50,000 entries (the most an upload holds) with long names stays far below this.
constexpr size_t kMaxJournalBytes = size_t{64} << 20;

// Every value is written as '=' followed by its bytes, those that would end or split a field
// (controls, space, '%', DEL) as %XX: "=" alone is the empty string.
std::string Escape(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "=";
  for (unsigned char c : value) {
    if (c <= 0x20 || c == '%' || c == 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> Unescape(const std::string& token) {
  if (token.empty() || token[0] != '=') return std::nullopt;
  std::string out;
  for (size_t i = 1; i < token.size(); ++i) {
    if (token[i] != '%') {
      out += token[i];
      continue;
    }
    int hi = i + 1 < token.size() ? HexDigit(token[i + 1]) : -1;
    int lo = i + 2 < token.size() ? HexDigit(token[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

bool ParseInt(const std::string& token, int64_t* value) {
  if (token.empty()) return false;
  char* end = nullptr;
  *value = std::strtoll(token.c_str(), &end, 10);
  return end != nullptr && *end == '\0';
}

}  // namespace

std::string EncodeJournal(const PublishJournal& journal) {
  std::ostringstream out;
  out << kMagic << "\n"
      << "state " << (journal.done ? "done" : "committing") << "\n"
      << "location " << Escape(journal.location) << "\n"
      << "staging " << Escape(journal.staging) << "\n"
      << "backup_set " << (journal.backup_set ? 1 : 0) << "\n";
  for (const PublishedBackup& b : journal.backups) {
    const core::BackupInfo& i = b.info;
    out << "backup " << Escape(i.backup_id) << " " << i.time.time_since_epoch().count() << " "
        << Escape(i.gpo_guid) << " " << Escape(i.gpo_display_name) << " " << Escape(i.domain) << " "
        << Escape(i.comment) << "\n";
    for (const ExtractedFile& f : b.files) {
      out << "file " << f.size << " " << Escape(f.sha256) << " " << Escape(f.path) << "\n";
    }
  }
  out << "end\n";
  return out.str();
}

std::optional<PublishJournal> DecodeJournal(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kMagic) return std::nullopt;
  PublishJournal journal;
  bool ended = false, has_state = false, has_location = false, has_staging = false;
  while (std::getline(in, line)) {
    if (ended) return std::nullopt;  // nothing may follow "end"
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    std::vector<std::string> tokens;
    for (std::string t; fields >> t;) tokens.push_back(t);
    auto value = [&](size_t i) { return i < tokens.size() ? Unescape(tokens[i]) : std::nullopt; };
    if (key == "end" && tokens.empty()) {
      ended = true;
    } else if (key == "state" && tokens.size() == 1 &&
               (tokens[0] == "done" || tokens[0] == "committing")) {
      journal.done = tokens[0] == "done";
      has_state = true;
    } else if (key == "location" && tokens.size() == 1 && value(0)) {
      journal.location = *value(0);
      has_location = true;
    } else if (key == "staging" && tokens.size() == 1 && value(0)) {
      journal.staging = *value(0);
      has_staging = true;
    } else if (key == "backup_set" && tokens.size() == 1 &&
               (tokens[0] == "0" || tokens[0] == "1")) {
      journal.backup_set = tokens[0] == "1";
    } else if (key == "backup" && tokens.size() == 6) {
      int64_t ticks = 0;
      std::optional<std::string> id = value(0), guid = value(2), name = value(3), domain = value(4),
                                 comment = value(5);
      if (!id || id->empty() || !ParseInt(tokens[1], &ticks) || !guid || !name || !domain ||
          !comment) {
        return std::nullopt;
      }
      PublishedBackup b;
      b.info.backup_id = *id;
      b.info.location = journal.location;
      b.info.time =
          std::chrono::system_clock::time_point(std::chrono::system_clock::duration(ticks));
      b.info.gpo_guid = *guid;
      b.info.gpo_display_name = *name;
      b.info.domain = *domain;
      b.info.comment = *comment;
      journal.backups.push_back(std::move(b));
    } else if (key == "file" && tokens.size() == 3 && !journal.backups.empty()) {
      ExtractedFile f;
      std::optional<std::string> sha = value(1), path = value(2);
      if (!ParseInt(tokens[0], &f.size) || !sha || !path || path->empty()) return std::nullopt;
      f.sha256 = *sha;
      f.path = *path;
      journal.backups.back().files.push_back(std::move(f));
    } else {
      return std::nullopt;
    }
  }
  if (!ended || !has_state || !has_location || !has_staging || journal.staging.empty() ||
      journal.backups.empty()) {
    return std::nullopt;
  }
  return journal;
}

core::Status WriteJournal(const sysvol::Dir& folder, const PublishJournal& journal) {
  return sysvol::ReplaceFileAtomically(folder, kPublishJournalFile, EncodeJournal(journal));
}

core::Result<std::optional<PublishJournal>> ReadJournal(const sysvol::Dir& folder) {
  if (!folder.Exists(kPublishJournalFile)) return std::optional<PublishJournal>();
  core::Result<std::string> text = folder.ReadFile(kPublishJournalFile, kMaxJournalBytes);
  if (!text.ok()) return text.error();
  std::optional<PublishJournal> journal = DecodeJournal(*text);
  if (!journal) {
    return core::MakeError(
        core::Code::kDataLoss, core::reason::kCorruptFile,
        folder.display() + "/" + kPublishJournalFile + " is not a publish journal");
  }
  return journal;
}

core::Status RemoveJournal(const sysvol::Dir& folder) {
  if (core::Status s = folder.RemoveTree(kPublishJournalFile); !s.ok()) return s;
  return folder.Sync();
}

}  // namespace gpop::transfer
