// The settings report as one self-contained HTML page a person would want to read: sections
// like GPMC's (General, Details, Computer Configuration, User Configuration, each extension a
// collapsible <details>), inline CSS only, no scripts, no external resources, every text
// HTML-escaped.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_HTML_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_HTML_H_

#include <string>
#include <string_view>
#include <vector>

#include "service/backends/sysvol/format/report.h"
#include "service/core/operation.h"

namespace gpop::sysvol {

// DryRunFileChange
//
// A settings file a dry run would add, remove or change ("Machine/Scripts/Startup/x.ps1").
struct DryRunFileChange {
  enum class Kind { kAdded, kRemoved, kChanged };
  Kind kind = Kind::kChanged;
  std::string path;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;

  bool operator==(const DryRunFileChange& o) const {
    return kind == o.kind && path == o.path && bytes_before == o.bytes_before &&
           bytes_after == o.bytes_after;
  }
};

// DryRunChanges
//
// What a dry run's page shows above the report of the GPO as it would be: the operation
// ("import of backup {...}"), every setting change (the result's predicted_changes) and every
// file change.
struct DryRunChanges {
  std::string operation;
  std::vector<core::SettingChange> settings;
  std::vector<DryRunFileChange> files;
};

// RenderReportHtml
//
// UTF-8 HTML5 document for `report`; with `changes`, headed by a "Predicted changes (dry run)"
// section: one table row per setting (added +, removed -, changed ~, with its value before and
// after) and per file, or a line saying nothing would change.
std::string RenderReportHtml(const Report& report, const DryRunChanges* changes = nullptr);

// HtmlEscape
//
// `text` with & < > " ' replaced by character references.
std::string HtmlEscape(std::string_view text);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_HTML_H_
