// The INF text model behind GptTmpl.inf (the security template): ordered sections of ordered
// lines, every line kept (unknown sections, comments, blank lines, spacing around '='), so that
// a parse followed by a write gives back the same bytes.
//
// On disk GptTmpl.inf is UTF-16LE with a BOM and CRLF line ends. ParseGptTmplInf also accepts
// UTF-8 with a BOM (some third-party tools write it) and remembers the encoding so the writer
// can keep it; a file with no BOM, or an odd byte count, is a CORRUPT_FILE error. Lines ending in
// a bare LF are accepted and written back with CRLF.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_INF_FILE_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_INF_FILE_H_

#include <string>
#include <string_view>
#include <vector>

#include "service/core/error.h"

namespace gpop::sysvol {

// InfLine
//
// One line inside a section, without its line end. A "key = value" line is split at the first
// '=': `key` has trailing blanks removed, `separator` holds the blanks, the '=' and the blanks
// after it exactly as written (" = ", "=", " ="), `value` the rest. A line without '=' (a
// comment, a blank line, a `"name",2,"SDDL"` record) has the whole text in `key` and an empty
// separator. Text() gives back the line exactly.
struct InfLine {
  std::string key;
  std::string separator;
  std::string value;

  bool HasValue() const { return !separator.empty(); }
  std::string Text() const { return key + separator + value; }

  bool operator==(const InfLine& other) const {
    return key == other.key && separator == other.separator && value == other.value;
  }
};

// MakeInfLine
//
// A "key = value" line as Windows' security editor writes most of them (" = ").
InfLine MakeInfLine(std::string key, std::string value, std::string separator = " = ");

// SplitInfLine
//
// Splits a line's text as the parser does (see InfLine).
InfLine SplitInfLine(std::string_view text);

// InfSection
//
// A "[name]" header and the lines up to the next header. `name` is the text between the
// brackets exactly as written; `header_suffix` any text after ']' (kept for round trips).
struct InfSection {
  std::string name;
  std::string header_suffix;
  std::vector<InfLine> lines;

  // Find
  //
  // The first line whose key equals `key` (ASCII case-insensitive, as Windows matches), or null.
  const InfLine* Find(std::string_view key) const;
  InfLine* Find(std::string_view key);

  bool operator==(const InfSection& other) const {
    return name == other.name && header_suffix == other.header_suffix && lines == other.lines;
  }
};

// InfEncoding
//
// How the file was (or is to be) stored.
enum class InfEncoding { kUtf16LeBom, kUtf8Bom };

// InfFile
//
// A whole file: lines before the first section header (`preamble`), then the sections in order.
// `final_newline` is false when the last line had no line end.
struct InfFile {
  std::vector<InfLine> preamble;
  std::vector<InfSection> sections;
  bool final_newline = true;
  InfEncoding encoding = InfEncoding::kUtf16LeBom;

  // FindSection
  //
  // The first section named `name` (ASCII case-insensitive, surrounding blanks ignored), or null.
  const InfSection* FindSection(std::string_view name) const;
  InfSection* FindSection(std::string_view name);

  // GetOrAddSection
  //
  // FindSection(name), or a new empty section appended at the end.
  InfSection& GetOrAddSection(std::string_view name);

  bool operator==(const InfFile& other) const {
    return preamble == other.preamble && sections == other.sections &&
           final_newline == other.final_newline && encoding == other.encoding;
  }
};

// ParseInfText
//
// Parses decoded text (UTF-8; CRLF or LF line ends). Errors: NUL characters, more than 1,000,000
// lines. `display_path` names the file in messages.
core::Result<InfFile> ParseInfText(std::string_view text, std::string_view display_path);

// FormatInfText
//
// The text of `inf` with CRLF line ends (UTF-8, no BOM).
std::string FormatInfText(const InfFile& inf);

// ParseGptTmplInf
//
// Decodes the file's bytes (see the file comment for encodings) and parses them. Files above
// 16 MiB are rejected.
core::Result<InfFile> ParseGptTmplInf(std::string_view bytes, std::string_view display_path);

// WriteGptTmplInf
//
// The bytes of `inf` in its `encoding`: BOM, then the CRLF text. Fails only on text that is not
// valid UTF-8.
core::Result<std::string> WriteGptTmplInf(const InfFile& inf);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_INF_FILE_H_
