// The settings report as one self-contained HTML page a person would want to read: sections
// like GPMC's (General, Details, Computer Configuration, User Configuration, each extension a
// collapsible <details>), inline CSS only, no scripts, no external resources, every text
// HTML-escaped.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_HTML_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_HTML_H_

#include <string>
#include <string_view>

#include "service/backends/sysvol/format/report.h"

namespace gpop::sysvol {

// RenderReportHtml
//
// UTF-8 HTML5 document for `report`.
std::string RenderReportHtml(const Report& report);

// HtmlEscape
//
// `text` with & < > " ' replaced by character references.
std::string HtmlEscape(std::string_view text);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_HTML_H_
