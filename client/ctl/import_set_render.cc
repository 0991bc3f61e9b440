// gpopctl's import-set text (see import_set_render.h).

#include "client/ctl/import_set_render.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"

namespace gpop::ctl {
namespace {

std::string OutcomeName(v1::ImportSetOutcome outcome) {
  switch (outcome) {
    case v1::IMPORTED:
      return "IMPORTED";
    case v1::PREDICTED:
      return "PREDICTED";
    case v1::IMPORT_FAILED:
      return "FAILED";
    case v1::NOT_STARTED:
      return "NOT STARTED";
    default:
      return "-";
  }
}

// Server text on one line.
std::string OneLine(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return text;
}

}  // namespace

std::string ImportSetBackupProgress(const WatchView& view, size_t backups) {
  if (backups == 0 || view.denominator <= 0) return "";
  const int64_t share = view.denominator / static_cast<int64_t>(backups);
  if (share <= 0) return "";
  const int64_t done = std::clamp<int64_t>(view.numerator, 0, view.denominator);
  int64_t index = done / share;
  int64_t within = done % share;
  if (index >= static_cast<int64_t>(backups)) {  // the end: the last backup, complete
    index = static_cast<int64_t>(backups) - 1;
    within = share;
  }
  return absl::StrCat("backup ", index + 1, "/", backups, " ", within * 100 / share, "%");
}

std::string ImportSetOutcomeText(const v1::ImportSetResult& result) {
  std::vector<std::vector<std::string>> rows = {{"OUTCOME", "BACKUP ID", "GPO", "NAME", "DETAIL"}};
  int imported = 0, predicted = 0, failed = 0, not_started = 0;
  for (const v1::ImportSetEntry& e : result.entries()) {
    std::string detail;
    switch (e.outcome()) {
      case v1::IMPORTED:
        ++imported;
        detail = e.gpo().safety_backup_id().empty()
                     ? "imported"
                     : absl::StrCat("imported; safety backup ", e.gpo().safety_backup_id());
        break;
      case v1::PREDICTED:
        ++predicted;
        detail = absl::StrCat(e.gpo().predicted_changes_size(), " setting(s) would change");
        break;
      case v1::IMPORT_FAILED:
        ++failed;
        detail = e.has_error() ? e.error().message() : "failed";
        break;
      default:
        ++not_started;
        detail = "GPO untouched";
        break;
    }
    const bool has_gpo = e.outcome() == v1::IMPORTED || e.outcome() == v1::PREDICTED;
    rows.push_back({OutcomeName(e.outcome()), e.backup_id(),
                    has_gpo && !e.gpo().guid().empty() ? e.gpo().guid() : "-",
                    absl::StrCat("\"", OneLine(e.display_name()), "\""), OneLine(detail)});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&out, row[i],
                      i + 1 == row.size() ? "\n" : std::string(widths[i] - row[i].size() + 2, ' '));
    }
  }
  const int count = result.entries_size();
  if (predicted > 0) {
    absl::StrAppend(&out, "dry run: ", predicted, " predicted, ", failed, " failed, ",
                    not_started, " not started (of ", count, " backups); nothing was changed\n");
  } else {
    absl::StrAppend(&out, imported, " imported, ", failed, " failed, ", not_started,
                    " not started (of ", count, " backups)\n");
  }
  return out;
}

bool ImportSetFailed(const v1::ImportSetResult& result) {
  for (const v1::ImportSetEntry& e : result.entries()) {
    if (e.outcome() != v1::IMPORTED && e.outcome() != v1::PREDICTED) return true;
  }
  return false;
}

}  // namespace gpop::ctl
