// The streaming XML writer (see xml_writer.h).

#include "service/backends/sysvol/format/xml_writer.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace gpop::sysvol {
namespace {

// Which bytes need more than themselves: in text (pugixml: control characters but TAB, LF and
// CR; & < >; gpop: CR and LF too, for &#13; and the line end) and in attribute values
// (control characters, & < ").
constexpr std::array<unsigned char, 256> SpecialTable(bool attribute) {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 32; ++c) t[c] = 1;
  if (!attribute) t['\t'] = 0;
  t['&'] = 1;
  t['<'] = 1;
  if (attribute) {
    t['"'] = 1;
  } else {
    t['>'] = 1;
  }
  return t;
}

constexpr std::array<unsigned char, 256> kTextSpecial = SpecialTable(false);
constexpr std::array<unsigned char, 256> kAttributeSpecial = SpecialTable(true);

// U+FFFD REPLACEMENT CHARACTER in UTF-8: written in place of a C0 control character that XML
// 1.0 does not allow (all but TAB, LF and CR).
constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// Whether `c` is a C0 control character XML 1.0 allows (TAB, LF, CR).
constexpr bool IsXmlControl(unsigned char c) { return c == '\t' || c == '\n' || c == '\r'; }

// pugixml's name for a node or attribute without one.
constexpr std::string_view kAnonymousName = ":anonymous";

}  // namespace

XmlWriter::XmlWriter(const Options& options, std::string* out, const Sink* sink)
    : indent_(options.indent),
      eol_(options.eol),
      utf16_(options.utf16),
      out_(out),
      sink_(sink),
      encoder_(out) {
  if (utf16_) out_->append(kUtf16LeBom);
  text_.reserve(kPiece + 4096);
}

void XmlWriter::Raw(std::string_view text) {
  for (size_t from = 0;;) {
    const size_t nl = text.find('\n', from);
    if (nl == std::string_view::npos) {
      text_.append(text.substr(from));
      break;
    }
    text_.append(text.substr(from, nl - from));
    Eol();
    from = nl + 1;
  }
  MaybeFlush();
}

void XmlWriter::CloseStartTag() {
  if (!start_tag_open_) return;
  text_.push_back('>');
  start_tag_open_ = false;
}

void XmlWriter::BeforeNode() {
  CloseStartTag();
  LineStart();
}

void XmlWriter::LineStart() {
  if (indent_flags_ & kNewline) Eol();
  if ((indent_flags_ & kIndent) && !indent_.empty()) {
    // One append of the depth's indent (a report line is often eight levels deep).
    const size_t want = starts_.size() * indent_.size();
    while (indents_.size() < want) indents_.append(indent_);
    text_.append(indents_.data(), want);
  }
}

void XmlWriter::Start(std::string_view name) { Start({}, name); }

void XmlWriter::Start(std::string_view prefix, std::string_view name) {
  BeforeNode();
  starts_.push_back(names_.size());
  if (!prefix.empty()) {
    names_.append(prefix);
    names_.push_back(':');
  }
  names_.append(name.empty() && prefix.empty() ? kAnonymousName : name);
  text_.push_back('<');
  text_.append(names_, starts_.back(), std::string::npos);
  start_tag_open_ = true;
  indent_flags_ = kNewline | kIndent;
}

void XmlWriter::Attribute(std::string_view name, std::string_view value) {
  text_.push_back(' ');
  // A nameless attribute is written as pugixml writes it, so the output stays equal to
  // pugixml's. No parsed file yields one any more: LoadXml refuses `name:` and every other name
  // that is not a qualified name, so names copied from input are well formed.
  text_.append(name.empty() ? kAnonymousName : name);
  text_.append("=\"");
  Escaped(value, kAttributeSpecial.data());
  text_.push_back('"');
}

void XmlWriter::Text(std::string_view value) {
  CloseStartTag();
  Escaped(value, kTextSpecial.data());
  indent_flags_ = 0;
  MaybeFlush();
}

void XmlWriter::Comment(std::string_view text) {
  BeforeNode();
  text_.append("<!--");
  for (const char c : text) {
    if (c == '\r') {
      text_.append("&#13;");
    } else if (c == '\n') {
      Eol();
    } else if (static_cast<unsigned char>(c) < 0x20 && !IsXmlControl(c)) {
      text_.append(kReplacementCharacter);  // not an XML character, as in text
    } else {
      text_.push_back(c);
    }
  }
  text_.append("-->");
  indent_flags_ = kNewline | kIndent;
  MaybeFlush();
}

void XmlWriter::End() {
  const size_t start = starts_.back();
  starts_.pop_back();
  if (start_tag_open_) {
    text_.append(" />");
    start_tag_open_ = false;
  } else {
    LineStart();
    text_.append("</");
    text_.append(names_, start, std::string::npos);
    text_.push_back('>');
  }
  names_.resize(start);
  indent_flags_ = kNewline | kIndent;
  MaybeFlush();
}

namespace {

// Whether any of the eight bytes of `w` may need escaping: a control character (below 0x20),
// '&', '<', or `last` ('>' in text, '"' in attributes). A true answer is only a hint (TAB is a
// control character that text keeps); false is exact.
inline bool MaySpecial(uint64_t w, uint64_t last) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const uint64_t below_space = (w - 0x20 * kOnes) & ~w & kHigh;
  return (below_space | has_zero(w ^ ('&' * kOnes)) | has_zero(w ^ ('<' * kOnes)) |
          has_zero(w ^ last)) != 0;
}

}  // namespace

void XmlWriter::Escaped(std::string_view value, const unsigned char* special) {
  const auto* s = reinterpret_cast<const unsigned char*>(value.data());
  const size_t n = value.size();
  const uint64_t last = (special == kTextSpecial.data() ? '>' : '"') * 0x0101010101010101ull;
  size_t from = 0;
  for (size_t i = 0; i < n; ++i) {
    // Runs of plain bytes (almost all of a report) are skipped eight at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (MaySpecial(w, last)) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = s[i];
    if (special[c] == 0) continue;
    text_.append(value.data() + from, i - from);
    from = i + 1;
    switch (c) {
      case '&':
        text_.append("&amp;");
        break;
      case '<':
        text_.append("&lt;");
        break;
      case '>':
        text_.append("&gt;");
        break;
      case '"':
        text_.append("&quot;");
        break;
      case '\n':
        if (special == kTextSpecial.data()) {
          Eol();
          break;
        }
        [[fallthrough]];
      case '\t':
      case '\r':
        CharacterReference(c);
        break;
      default:
        // Any other C0 control character is no XML 1.0 character, not even written as a
        // character reference (`&#01;` makes the document ill-formed): U+FFFD stands in for it.
        text_.append(kReplacementCharacter);
    }
  }
  text_.append(value.data() + from, n - from);
}

void XmlWriter::CharacterReference(unsigned char c) {
  // Always two digits, as pugixml writes them.
  const char ref[] = {'&', '#', static_cast<char>('0' + c / 10), static_cast<char>('0' + c % 10),
                      ';'};
  text_.append(ref, sizeof ref);
}

void XmlWriter::Flush() {
  if (failed_) {
    text_.clear();
    return;
  }
  if (utf16_) {
    encoder_.Append(text_);
  } else {
    out_->append(text_);
  }
  text_.clear();
  if (sink_ != nullptr && !out_->empty()) {
    if (!(*sink_)(*out_)) failed_ = true;
    out_->clear();
  }
}

bool XmlWriter::Finish() {
  CloseStartTag();
  if (indent_flags_ & kNewline) Eol();
  indent_flags_ = 0;
  if (utf16_) {
    encoder_.Append(text_);
    text_.clear();
    if (!encoder_.Finish()) return false;
  }
  Flush();
  return !failed_;
}

}  // namespace gpop::sysvol
