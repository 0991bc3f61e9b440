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

// pugixml's name for a node or attribute without one.
constexpr std::string_view kAnonymousName = ":anonymous";

}  // namespace

namespace {

// `text` in UTF-16LE (it is ASCII: indentation, line ends).
std::string Widened(std::string_view text) {
  std::string out;
  for (const char c : text) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

// U+FFFD in UTF-16LE.
constexpr std::string_view kReplacementCharacter16("\xFD\xFF", 2);

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHigh = 0x8080808080808080ull;

// Four ASCII bytes (the low half of `four`) as four little-endian UTF-16 units.
inline uint64_t WidenFour(uint64_t four) {
  four = (four | (four << 16)) & 0x0000FFFF0000FFFFull;
  return (four | (four << 8)) & 0x00FF00FF00FF00FFull;
}

// Eight ASCII bytes to 16 bytes of UTF-16LE at `out`.
inline void WidenEight(uint64_t w, char* out) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint64_t lo = WidenFour(w & 0xFFFFFFFFull);
  const uint64_t hi = WidenFour(w >> 32);
  std::memcpy(out, &lo, 8);
  std::memcpy(out + 8, &hi, 8);
#else
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<char>((w >> (56 - 8 * i)) & 0xFF);
    out[2 * i + 1] = 0;
  }
#endif
}

// Whether any of the eight bytes of `w` may need escaping: a control character (below 0x20),
// '&', '<', or `last` ('>' in text, '"' in attributes). A true answer is only a hint (TAB is a
// control character that text keeps); false is exact.
inline bool MaySpecial(uint64_t w, uint64_t last) {
  const auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const uint64_t below_space = (w - 0x20 * kOnes) & ~w & kHigh;
  return (below_space | has_zero(w ^ ('&' * kOnes)) | has_zero(w ^ ('<' * kOnes)) |
          has_zero(w ^ last)) != 0;
}

// a == b, inline: names are a few bytes, shorter than a call to memcmp is worth. Compared by
// words (the last one overlapping the one before).
inline bool SameText(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  const auto same = [](const char* x, const char* y, auto word) {
    decltype(word) u;
    decltype(word) v;
    std::memcpy(&u, x, sizeof u);
    std::memcpy(&v, y, sizeof v);
    return u == v;
  };
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (!same(p + i, q + i, uint64_t{})) return false;
    }
    return same(p + n - 8, q + n - 8, uint64_t{});
  }
  if (n >= 4) return same(p, q, uint32_t{}) && same(p + n - 4, q + n - 4, uint32_t{});
  if (n >= 2) return same(p, q, uint16_t{}) && same(p + n - 2, q + n - 2, uint16_t{});
  return n == 0 || *p == *q;
}

}  // namespace

XmlWriter::XmlWriter(const Options& options, std::string* out, const Sink* sink)
    : utf16_(options.utf16),
      indent_(utf16_ ? Widened(options.indent) : std::string(options.indent)),
      eol_(utf16_ ? Widened(options.eol) : std::string(options.eol)),
      piece_(utf16_ ? 2 * kPiece : kPiece),
      out_(out),
      sink_(sink),
      line_start_(eol_),
      tags_(kTags) {
  text_.Reserve(piece_ + 8192);
  if (utf16_) text_.Append(kUtf16LeBom);
}

void XmlWriter::Utf8(std::string_view utf8) {
  if (!utf16_) {
    text_.Append(utf8);
    return;
  }
  const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t n = utf8.size();
  char* o = text_.Room(2 * n);
  size_t i = 0;
  for (; i + 8 <= n; i += 8, o += 16) {
    uint64_t w;
    std::memcpy(&w, s + i, 8);
    if ((w & kHigh) != 0) break;
    WidenEight(w, o);
  }
  for (; i < n && s[i] < 0x80; ++i, o += 2) {
    o[0] = static_cast<char>(s[i]);
    o[1] = 0;
  }
  if (i < n) {
    bool valid = true;
    o += Utf8ToUtf16LeInto(utf8.substr(i), o, &valid);
    if (!valid) failed_ = true;
  }
  text_.Commit(o);
}

void XmlWriter::Raw(std::string_view text) {
  for (size_t from = 0;;) {
    const size_t nl = text.find('\n', from);
    if (nl == std::string_view::npos) {
      Utf8(text.substr(from));
      break;
    }
    Utf8(text.substr(from, nl - from));
    Eol();
    from = nl + 1;
  }
  MaybeFlush();
}

void XmlWriter::CloseStartTag() {
  if (!start_tag_open_) return;
  Ascii('>');
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

const XmlWriter::Tag& XmlWriter::TagFor(std::string_view prefix, std::string_view name) {
  // Names are mostly string literals: their address tells them apart cheaply; a slot is then
  // checked by content, so a name at a reused address (or a name read from a file) is only a
  // miss. A name may take any of kWays slots from its hash on (the first free one), so that two
  // names of one report seldom push each other out.
  const uint64_t address = reinterpret_cast<uintptr_t>(name.data());
  const uint64_t hash =
      (address ^ (name.size() << 1) ^ (prefix.size() << 8)) * 0x9E3779B97F4A7C15ull;
  const size_t slot = static_cast<size_t>(hash >> 40) % kTags;
  constexpr size_t kWays = 4;
  Tag* free_slot = nullptr;
  for (size_t i = 0; i < kWays; ++i) {
    Tag& t = tags_[(slot + i) % kTags];
    if (t.open.empty()) {
      free_slot = &t;
      break;
    }
    if (SameText(t.name, name) && SameText(t.prefix, prefix)) return t;
  }
  Tag& tag = free_slot != nullptr ? *free_slot : tags_[slot];
  // Encoded through the text buffer (its end, taken back afterwards), as any other markup.
  const size_t at = text_.size();
  Ascii('<');
  const size_t name_at = text_.size();
  if (!prefix.empty()) {
    Utf8(prefix);
    Ascii(':');
  }
  Utf8(name);
  const size_t name_end = text_.size();
  Ascii('>');
  tag.open.assign(text_.view().substr(at));
  Ascii("</");
  text_.AppendOwn(name_at, name_end - name_at);
  Ascii('>');
  tag.close.assign(text_.view().substr(at + tag.open.size()));
  text_.Commit(text_.view().data() + at);
  tag.prefix.assign(prefix);
  tag.name.assign(name);
  return tag;
}

void XmlWriter::Start(std::string_view name) { Start({}, name); }

void XmlWriter::Start(std::string_view prefix, std::string_view name) {
  BeforeNode();
  const Tag& tag = TagFor(prefix, name.empty() && prefix.empty() ? kAnonymousName : name);
  text_.Append(tag.open.data(), tag.open.size() - unit());  // the '>' closes it later
  starts_.push_back(names_.size());
  names_.append(tag.close);
  start_tag_open_ = true;
  indent_flags_ = kNewline | kIndent;
}

void XmlWriter::Leaf(std::string_view prefix, std::string_view name, std::string_view value) {
  BeforeNode();
  const Tag& tag = TagFor(prefix, name);
  if (value.empty()) {
    text_.Append(tag.open.data(), tag.open.size() - unit());
    Ascii(" />");
  } else {
    text_.Append(tag.open);
    Escaped(value, kTextSpecial.data());
    text_.Append(tag.close);
  }
  indent_flags_ = kNewline | kIndent;
  MaybeFlush();
}

void XmlWriter::LeafUtf16(std::string_view prefix, std::string_view name,
                          std::string_view utf16le) {
  if (!utf16_ || utf16le.empty()) {
    core::Result<std::string> utf8 = Utf16LeToUtf8(utf16le, "");
    if (!utf8.ok()) {
      failed_ = true;  // the caller's promise broken: no document rather than a wrong one
      return;
    }
    Leaf(prefix, name, *utf8);
    return;
  }
  BeforeNode();
  const Tag& tag = TagFor(prefix, name);
  text_.Append(tag.open);
  EscapedFromUtf16(utf16le);
  text_.Append(tag.close);
  indent_flags_ = kNewline | kIndent;
  MaybeFlush();
}

void XmlWriter::Attribute(std::string_view name, std::string_view value) {
  Ascii(' ');
  // A nameless attribute is written as pugixml writes it, so the output stays equal to
  // pugixml's. No parsed file yields one any more: LoadXml refuses `name:` and every other name
  // that is not a qualified name, so names copied from input are well formed.
  Utf8(name.empty() ? kAnonymousName : name);
  Ascii("=\"");
  Escaped(value, kAttributeSpecial.data());
  Ascii('"');
}

void XmlWriter::Text(std::string_view value) {
  CloseStartTag();
  Escaped(value, kTextSpecial.data());
  indent_flags_ = 0;
  MaybeFlush();
}

void XmlWriter::Comment(std::string_view text) {
  BeforeNode();
  Ascii("<!--");
  size_t from = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 || c == '\t') continue;
    Utf8(text.substr(from, i - from));
    from = i + 1;
    if (c == '\r') {
      Ascii("&#13;");
    } else if (c == '\n') {
      Eol();
    } else {
      // not an XML character, as in text
      Utf8(kReplacementCharacter);
    }
  }
  Utf8(text.substr(from));
  Ascii("-->");
  indent_flags_ = kNewline | kIndent;
  MaybeFlush();
}

void XmlWriter::End() {
  const size_t start = starts_.back();
  starts_.pop_back();
  if (start_tag_open_) {
    Ascii(" />");
    start_tag_open_ = false;
  } else {
    LineStart();
    text_.Append(std::string_view(names_).substr(start));
  }
  names_.resize(start);
  indent_flags_ = kNewline | kIndent;
  MaybeFlush();
}

void XmlWriter::Escaped(std::string_view value, const unsigned char* special) {
  if (utf16_) {
    EscapedUtf16(value, special);
    return;
  }
  const auto* s = reinterpret_cast<const unsigned char*>(value.data());
  const size_t n = value.size();
  const uint64_t last = (special == kTextSpecial.data() ? '>' : '"') * kOnes;
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

// Escaped for UTF-16 output, in one pass: plain ASCII is widened eight bytes at a time as it
// is scanned, other UTF-8 is validated and encoded a run at a time, specials become their
// escapes.
void XmlWriter::EscapedUtf16(std::string_view value, const unsigned char* special) {
  const auto* s = reinterpret_cast<const unsigned char*>(value.data());
  const size_t n = value.size();
  const bool text = special == kTextSpecial.data();
  const uint64_t last = (text ? '>' : '"') * kOnes;
  // Every byte of plain text takes at most 2 bytes of UTF-16; escapes make their own room.
  char* o = text_.Room(2 * n);
  size_t i = 0;
  while (i < n) {
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (((w & kHigh) != 0) || MaySpecial(w, last)) break;
      WidenEight(w, o);
      o += 16;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = s[i];
    if (c >= 0x80) {
      // A run of bytes of 0x80 and above: whole UTF-8 sequences when the text is valid.
      size_t end = i + 1;
      while (end < n && s[end] >= 0x80) ++end;
      bool valid = true;
      o += Utf8ToUtf16LeInto(value.substr(i, end - i), o, &valid);
      if (!valid) failed_ = true;
      i = end;
      continue;
    }
    ++i;
    if (special[c] == 0) {
      o[0] = static_cast<char>(c);
      o[1] = 0;
      o += 2;
      continue;
    }
    // An escape: what is written so far is committed, the escape appended, room made again
    // for the rest (at most 2 bytes for each byte left).
    text_.Commit(o);
    Special16(c, text);
    o = text_.Room(2 * (n - i));
  }
  text_.Commit(o);
}

// Escaped (text) of the UTF-16LE units `utf16le`, into UTF-16 output: the units are copied as
// they are, four at a time while none of them is a control character or & < >; those are
// escaped as Escaped escapes their UTF-8 bytes (the escapes only ever concern ASCII).
void XmlWriter::EscapedFromUtf16(std::string_view utf16le) {
  const auto* s = reinterpret_cast<const unsigned char*>(utf16le.data());
  const size_t n = utf16le.size() & ~size_t{1};
  constexpr uint64_t kOnes16 = 0x0001000100010001ull;
  constexpr uint64_t kHigh16 = 0x8000800080008000ull;
  const auto has_zero = [](uint64_t x) { return (x - kOnes16) & ~x & kHigh16; };
  char* o = text_.Room(n);
  size_t i = 0;
  while (i < n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, s + i, 8);
      // A hint (false is exact): a unit below 0x20, or equal to '&', '<' or '>'.
      const uint64_t below_space = (w - 0x20 * kOnes16) & ~w & kHigh16;
      if ((below_space | has_zero(w ^ ('&' * kOnes16)) | has_zero(w ^ ('<' * kOnes16)) |
           has_zero(w ^ ('>' * kOnes16))) != 0) {
        break;
      }
      std::memcpy(o, &w, 8);
      o += 8;
      i += 8;
    }
#endif
    if (i >= n) break;
    const unsigned char lo = s[i];
    const unsigned char hi = s[i + 1];
    i += 2;
    if (hi != 0 || kTextSpecial[lo] == 0) {
      o[0] = static_cast<char>(lo);
      o[1] = static_cast<char>(hi);
      o += 2;
      continue;
    }
    text_.Commit(o);
    Special16(lo, /*text=*/true);
    o = text_.Room(n - i);
  }
  text_.Commit(o);
}

// The escape of `c`, one of the special table's bytes (& < > " and the C0 controls), in UTF-16:
// a line end in text is the writer's own; TAB, LF and CR elsewhere are character references.
void XmlWriter::Special16(unsigned char c, bool text) {
  switch (c) {
    case '&':
      Ascii("&amp;");
      break;
    case '<':
      Ascii("&lt;");
      break;
    case '>':
      Ascii("&gt;");
      break;
    case '"':
      Ascii("&quot;");
      break;
    case '\n':
      if (text) {
        Eol();
        break;
      }
      [[fallthrough]];
    case '\t':
    case '\r':
      CharacterReference(c);
      break;
    default:
      // Not an XML 1.0 character (see Escaped).
      text_.Append(kReplacementCharacter16);
  }
}

void XmlWriter::CharacterReference(unsigned char c) {
  // Always two digits, as pugixml writes them.
  const char ref[] = {'&', '#', static_cast<char>('0' + c / 10), static_cast<char>('0' + c % 10),
                      ';'};
  Ascii(std::string_view(ref, sizeof ref));
}

void XmlWriter::Flush() {
  if (failed_) {
    text_.Clear();
    return;
  }
  if (sink_ != nullptr) {
    if (text_.size() > 0 && !(*sink_)(text_.view())) failed_ = true;
  } else {
    out_->append(text_.view());
  }
  text_.Clear();
}

bool XmlWriter::Finish() {
  CloseStartTag();
  if (indent_flags_ & kNewline) Eol();
  indent_flags_ = 0;
  Flush();
  return !failed_;
}

}  // namespace gpop::sysvol
