// INF text model and GptTmpl.inf encoding (see inf_file.h).

#include "service/backends/sysvol/format/inf_file.h"

#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/format/utf16.h"

namespace gpop::sysvol {

namespace {

constexpr size_t kMaxInfBytes = 16u << 20;
constexpr size_t kMaxInfLines = 1000000;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

InfLine MakeInfLine(std::string key, std::string value, std::string separator) {
  return InfLine{std::move(key), std::move(separator), std::move(value)};
}

InfLine SplitInfLine(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) return InfLine{std::string(text), "", ""};
  size_t key_end = eq;
  while (key_end > 0 && IsBlank(text[key_end - 1])) --key_end;
  size_t value_start = eq + 1;
  while (value_start < text.size() && IsBlank(text[value_start])) ++value_start;
  return InfLine{std::string(text.substr(0, key_end)),
                 std::string(text.substr(key_end, value_start - key_end)),
                 std::string(text.substr(value_start))};
}

const InfLine* InfSection::Find(std::string_view key) const {
  for (const InfLine& line : lines) {
    if (line.HasValue() && internal::EqualsNoCase(line.key, key)) return &line;
  }
  return nullptr;
}

InfLine* InfSection::Find(std::string_view key) {
  return const_cast<InfLine*>(static_cast<const InfSection*>(this)->Find(key));
}

const InfSection* InfFile::FindSection(std::string_view name) const {
  std::string_view wanted = internal::Trim(name);
  for (const InfSection& s : sections) {
    if (internal::EqualsNoCase(internal::Trim(s.name), wanted)) return &s;
  }
  return nullptr;
}

InfSection* InfFile::FindSection(std::string_view name) {
  return const_cast<InfSection*>(static_cast<const InfFile*>(this)->FindSection(name));
}

InfSection& InfFile::GetOrAddSection(std::string_view name) {
  if (InfSection* s = FindSection(name)) return *s;
  sections.push_back(InfSection{std::string(name), "", {}});
  return sections.back();
}

core::Result<InfFile> ParseInfText(std::string_view text, std::string_view path) {
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return CorruptFile(path, "NUL character in text", nul);
  }
  InfFile inf;
  auto lines = internal::SplitLines(text, &inf.final_newline);
  if (lines.size() > kMaxInfLines) return CorruptFile(path, "more than 1,000,000 lines");
  for (std::string_view line : lines) {
    // A section header is a line starting with '[' (after blanks) that has a closing ']'.
    size_t lead = 0;
    while (lead < line.size() && IsBlank(line[lead])) ++lead;
    size_t close = line.find(']', lead);
    if (lead == 0 && !line.empty() && line[0] == '[' && close != std::string_view::npos) {
      inf.sections.push_back(InfSection{
          std::string(line.substr(1, close - 1)), std::string(line.substr(close + 1)), {}});
      continue;
    }
    InfLine parsed = SplitInfLine(line);
    if (inf.sections.empty()) {
      inf.preamble.push_back(std::move(parsed));
    } else {
      inf.sections.back().lines.push_back(std::move(parsed));
    }
  }
  return inf;
}

std::string FormatInfText(const InfFile& inf) {
  std::vector<std::string> lines;
  for (const InfLine& l : inf.preamble) lines.push_back(l.Text());
  for (const InfSection& s : inf.sections) {
    lines.push_back("[" + s.name + "]" + s.header_suffix);
    for (const InfLine& l : s.lines) lines.push_back(l.Text());
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    if (i + 1 < lines.size() || inf.final_newline) out += "\r\n";
  }
  return out;
}

core::Result<InfFile> ParseGptTmplInf(std::string_view bytes, std::string_view path) {
  if (bytes.size() > kMaxInfBytes) return CorruptFile(path, "file is larger than 16 MiB");
  std::string text;
  InfEncoding encoding = InfEncoding::kUtf16LeBom;
  if (bytes.substr(0, 3) == kUtf8Bom) {
    std::string_view body = bytes.substr(3);
    if (!IsValidUtf8(body)) return CorruptFile(path, "invalid UTF-8 after a UTF-8 byte order mark");
    text = std::string(body);
    encoding = InfEncoding::kUtf8Bom;
  } else {
    auto decoded = DecodeUtf16LeWithBom(bytes, path);
    if (!decoded.ok()) return decoded.error();
    text = std::move(decoded).value();
  }
  auto inf = ParseInfText(text, path);
  if (!inf.ok()) return inf.error();
  inf->encoding = encoding;
  return inf;
}

core::Result<std::string> WriteGptTmplInf(const InfFile& inf) {
  std::string text = FormatInfText(inf);
  if (inf.encoding == InfEncoding::kUtf8Bom) {
    if (!IsValidUtf8(text)) return CorruptFile("GptTmpl.inf", "text is not valid UTF-8");
    return std::string(kUtf8Bom) + text;
  }
  return EncodeUtf16LeWithBom(text, "GptTmpl.inf");
}

}  // namespace gpop::sysvol
