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
      encoder_(out),
      line_start_(options.eol) {
  if (utf16_) out_->append(kUtf16LeBom);
  piece_size_ = out_->size();
  text_.Reserve(kPiece + 4096);
}

void XmlWriter::Raw(std::string_view text) {
  for (size_t from = 0;;) {
    const size_t nl = text.find('\n', from);
    if (nl == std::string_view::npos) {
      text_.Append(text.substr(from));
      break;
    }
    text_.Append(text.substr(from, nl - from));
    Eol();
    from = nl + 1;
  }
  MaybeFlush();
}

void XmlWriter::CloseStartTag() {
  if (!start_tag_open_) return;
  text_.Push('>');
  start_tag_open_ = false;
}

void XmlWriter::BeforeNode() {
  CloseStartTag();
  LineStart();
}

void XmlWriter::LineStart() {
  const bool newline = (indent_flags_ & kNewline) != 0;
  const size_t want = (indent_flags_ & kIndent) ? starts_.size() * indent_.size() : 0;
  // One append of the line end and the depth's indent (a report line is often eight levels
  // deep): line_start_ is `eol` followed by the indent repeated.
  while (line_start_.size() < eol_.size() + want) line_start_.append(indent_);
  if (newline) {
    text_.Append(line_start_.data(), eol_.size() + want);
  } else {
    text_.Append(line_start_.data() + eol_.size(), want);
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
  text_.Push('<');
  text_.Append(std::string_view(names_).substr(starts_.back()));
  start_tag_open_ = true;
  indent_flags_ = kNewline | kIndent;
}

void XmlWriter::Leaf(std::string_view prefix, std::string_view name, std::string_view value) {
  BeforeNode();
  const auto tag_name = [&] {
    if (!prefix.empty()) {
      text_.Append(prefix);
      text_.Push(':');
    }
    text_.Append(name);
  };
  text_.Push('<');
  tag_name();
  if (value.empty()) {
    text_.Append(" />");
  } else {
    text_.Push('>');
    Escaped(value, kTextSpecial.data());
    text_.Append("</");
    tag_name();
    text_.Push('>');
  }
  indent_flags_ = kNewline | kIndent;
  MaybeFlush();
}

void XmlWriter::Attribute(std::string_view name, std::string_view value) {
  text_.Push(' ');
  // A nameless attribute is written as pugixml writes it, so the output stays equal to
  // pugixml's. No parsed file yields one any more: LoadXml refuses `name:` and every other name
  // that is not a qualified name, so names copied from input are well formed.
  text_.Append(name.empty() ? kAnonymousName : name);
  text_.Append("=\"");
  Escaped(value, kAttributeSpecial.data());
  text_.Push('"');
}

void XmlWriter::Text(std::string_view value) {
  CloseStartTag();
  Escaped(value, kTextSpecial.data());
  indent_flags_ = 0;
  MaybeFlush();
}

void XmlWriter::Comment(std::string_view text) {
  BeforeNode();
  text_.Append("<!--");
  for (const char c : text) {
    if (c == '\r') {
      text_.Append("&#13;");
    } else if (c == '\n') {
      Eol();
    } else if (static_cast<unsigned char>(c) < 0x20 && !IsXmlControl(c)) {
      text_.Append(kReplacementCharacter);  // not an XML character, as in text
    } else {
      text_.Push(c);
    }
  }
  text_.Append("-->");
  indent_flags_ = kNewline | kIndent;
  MaybeFlush();
}

void XmlWriter::End() {
  const size_t start = starts_.back();
  starts_.pop_back();
  if (start_tag_open_) {
    text_.Append(" />");
    start_tag_open_ = false;
  } else {
    LineStart();
    text_.Append("</");
    text_.Append(std::string_view(names_).substr(start));
    text_.Push('>');
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
    text_.Append(value.data() + from, i - from);
    from = i + 1;
    switch (c) {
      case '&':
        text_.Append("&amp;");
        break;
      case '<':
        text_.Append("&lt;");
        break;
      case '>':
        text_.Append("&gt;");
        break;
      case '"':
        text_.Append("&quot;");
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
        text_.Append(kReplacementCharacter);
    }
  }
  text_.Append(value.data() + from, n - from);
}

void XmlWriter::CharacterReference(unsigned char c) {
  // Always two digits, as pugixml writes them.
  const char ref[] = {'&', '#', static_cast<char>('0' + c / 10), static_cast<char>('0' + c % 10),
                      ';'};
  text_.Append(ref, sizeof ref);
}

void XmlWriter::Flush() {
  if (failed_) {
    text_.Clear();
    return;
  }
  if (utf16_ && sink_ != nullptr) {
    // Encoded straight into `*out_`, which keeps its size from piece to piece (std::string
    // would zero-fill every resize): its first piece_size_ bytes are the piece. The writer's
    // text is whole UTF-8 sequences at every flush (pieces end after a whole value), so no
    // sequence is split here.
    const std::string_view text = text_.view();
    if (out_->size() < piece_size_ + 2 * text.size()) out_->resize(piece_size_ + 2 * text.size());
    bool valid = true;
    piece_size_ += Utf8ToUtf16LeInto(text, out_->data() + piece_size_, &valid);
    text_.Clear();
    if (!valid) {
      failed_ = true;
      return;
    }
    if (piece_size_ > 0 && !(*sink_)(std::string_view(out_->data(), piece_size_))) failed_ = true;
    piece_size_ = 0;
    return;
  }
  if (utf16_) {
    encoder_.Append(text_.view());
  } else {
    out_->append(text_.view());
  }
  text_.Clear();
  if (sink_ != nullptr && !out_->empty()) {
    if (!(*sink_)(*out_)) failed_ = true;
    out_->clear();
  }
}

bool XmlWriter::Finish() {
  CloseStartTag();
  if (indent_flags_ & kNewline) Eol();
  indent_flags_ = 0;
  if (utf16_ && sink_ == nullptr) {
    encoder_.Append(text_.view());
    text_.Clear();
    if (!encoder_.Finish()) return false;
  }
  Flush();  // with a sink: also the encoding, which fails on text that is not UTF-8
  return !failed_;
}

}  // namespace gpop::sysvol
