// Small text helpers shared by the readers in this folder (ASCII case folding, trimming, line
// splitting). Internal to gpop_sysvol_format: not part of its public API.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_TEXT_UTIL_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_TEXT_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpop::sysvol::internal {

// AsciiLower: `s` with A-Z folded to a-z (other bytes unchanged).
std::string AsciiLower(std::string_view s);

// EqualsNoCase: ASCII case-insensitive equality.
bool EqualsNoCase(std::string_view a, std::string_view b);

// CompareNoCase
//
// <0, 0 or >0 as `a` sorts before, with or after `b`, ASCII letters compared case-insensitively
// (the same order as comparing AsciiLower copies, without making them).
int CompareNoCase(std::string_view a, std::string_view b);

// Trim: `s` without leading and trailing blanks (space, tab).
std::string_view Trim(std::string_view s);

// SplitLines: lines without their CRLF / LF ends; `*final_newline` tells whether the text ended
// with a line end. An empty text has no lines.
std::vector<std::string_view> SplitLines(std::string_view text, bool* final_newline);

// WithCrlf: `text` with every LF turned into CRLF (for text written with LF line ends, as the
// XML writers' output, that Windows writes with CRLF).
std::string WithCrlf(std::string_view text);

// ParseUint32 / ParseInt64: a whole decimal number (optional '-' for Int64), nothing else.
std::optional<uint32_t> ParseUint32(std::string_view s);
std::optional<int64_t> ParseInt64(std::string_view s);

// Split: `s` cut at every `sep` (an empty `s` gives one empty field).
std::vector<std::string> Split(std::string_view s, char sep);

}  // namespace gpop::sysvol::internal

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_TEXT_UTIL_H_
