// A streaming XML writer for the documents gpop generates (gpreport.xml above all): elements,
// attributes, text and comments are written as they are produced, with no document tree, in
// UTF-8 or UTF-16LE, in pieces to a sink or into one string.
//
// The layout is byte for byte what pugixml's `format_indent` writes for the same tree (so
// documents formerly serialised by pugixml keep their bytes): an element without content is
// `<name />`, an element whose first content is text stays on its line (`<name>text</name>`),
// element children go one to a line, indented by depth. Escaping follows pugixml as well:
// `&` `<` `>` in text, `&` `<` `"` and TAB, LF, CR in attributes (as `&#NN;`); on top of that
// a CR in text or comments is written as `&#13;` (a literal CR would be normalised away by every
// XML parser) and every line end as `eol`. The other C0 control characters (U+0000-U+001F but
// TAB, LF, CR) are not XML 1.0 characters, not even as references: where pugixml writes
// `&#NN;` (a document no conforming parser accepts) this writer writes U+FFFD in their place,
// in text, attributes and comments alike.
//
// Names are written as given (callers pass fixed, well-formed names); text must be UTF-8, each
// string of a call whole sequences (UTF-16 is encoded call by call). In UTF-16 mode text that is
// not valid UTF-8 makes `Finish` return false.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_XML_WRITER_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_XML_WRITER_H_

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "service/backends/sysvol/format/utf16.h"

namespace gpop::sysvol {

// XmlWriter
//
// Not thread-safe: one document, one thread. Calls must nest (every `Start` has its `End`);
// `Attribute` is valid only right after `Start` or another `Attribute`.
class XmlWriter {
 public:
  struct Options {
    std::string_view indent = "  ";
    std::string_view eol = "\n";
    bool utf16 = false;  // UTF-16LE with a BOM
  };
  // Receives the output in pieces; returning false stops the writer (Finish returns false).
  using Sink = std::function<bool(std::string_view)>;

  // Writes into `*out` (appended), or, with `sink`, hands the output to it in pieces of about
  // kPiece bytes (2 * kPiece in UTF-16: the same text per piece; `*out` is then unused). Both
  // must outlive the writer.
  XmlWriter(const Options& options, std::string* out, const Sink* sink = nullptr);

  // Text written as it is (e.g. the XML declaration); a '\n' in it becomes `eol`.
  void Raw(std::string_view text);
  // Opens an element named `name`, or `prefix:name`.
  void Start(std::string_view name);
  void Start(std::string_view prefix, std::string_view name);
  void Attribute(std::string_view name, std::string_view value);
  // A text node (escaped). An empty text still makes `<name></name>` rather than `<name />`.
  void Text(std::string_view value);
  void Comment(std::string_view text);
  void End();

  // `<prefix:name>value</prefix:name>`, or `<prefix:name />` when `value` is empty: the bytes
  // of Start(prefix, name), Text(value) when not empty, End(), without the bookkeeping of an
  // open element (most elements of a report are such leaves). `name` must not be empty.
  void Leaf(std::string_view prefix, std::string_view name, std::string_view value);

  // Leaf with the value given as UTF-16LE code units (a Registry.pol string, written without a
  // UTF-8 copy in UTF-16 mode). The units must be valid UTF-16 (IsValidUtf16Le) and hold no NUL.
  void LeafUtf16(std::string_view prefix, std::string_view name, std::string_view utf16le);

  // Start + Text + End.
  void Element(std::string_view name, std::string_view text) {
    Start(name);
    Text(text);
    End();
  }

  // Writes the last line end and hands over what is buffered. False when the text was not
  // valid UTF-8 (UTF-16 mode) or the sink refused a piece.
  bool Finish();

  static constexpr size_t kPiece = 256u << 10;
  static constexpr size_t kTags = 64;

 private:
  // The bits of pugixml's indent state: write a line end / an indent before the next node.
  enum : unsigned { kNewline = 1, kIndent = 2 };

  void BeforeNode();     // closes a pending start tag, then the line end and indent
  void CloseStartTag();  // '>' of a start tag still open for attributes
  void LineStart();      // the line end and indent (by open elements) that indent_flags_ ask
  void Escaped(std::string_view value, const unsigned char* special);
  void EscapedUtf16(std::string_view value, const unsigned char* special);
  void EscapedFromUtf16(std::string_view utf16le);  // text, UTF-16 mode
  void Special16(unsigned char c, bool text);       // the escape of a special byte
  void CharacterReference(unsigned char c);         // `&#NN;`
  void Eol() { text_.Append(eol_); }
  void MaybeFlush() {
    if (text_.size() >= piece_) Flush();
  }
  void Flush();

  // A tag's markup in the output's encoding, kept for the names written again and again (a
  // report writes a few dozen names hundreds of thousands of times): `open` is `<prefix:name>`,
  // `close` `</prefix:name>`.
  struct Tag {
    std::string prefix;
    std::string name;
    std::string open;
    std::string close;
  };
  const Tag& TagFor(std::string_view prefix, std::string_view name);
  size_t unit() const { return utf16_ ? 2 : 1; }

  // Markup known to be ASCII (constants, digits), in the output's encoding.
  void Ascii(std::string_view ascii) {
    if (!utf16_) {
      text_.Append(ascii);
      return;
    }
    char* o = text_.Room(2 * ascii.size());
    WidenAscii(ascii.data(), ascii.size(), o);
    text_.Commit(o + 2 * ascii.size());
  }
  void Ascii(char c) {
    if (!utf16_) {
      text_.Push(c);
      return;
    }
    char* o = text_.Room(2);
    o[0] = c;
    o[1] = 0;
    text_.Commit(o + 2);
  }
  // Text that may hold any UTF-8 (names, comments), unescaped, in the output's encoding.
  void Utf8(std::string_view utf8);

  // Bytes of ASCII widened to UTF-16LE (2n bytes at `out`). Inline: markup pieces are a few
  // bytes, most of them constants.
  static void WidenAscii(const char* s, size_t n, char* out) {
    for (size_t i = 0; i < n; ++i) {
      out[2 * i] = s[i];
      out[2 * i + 1] = 0;
    }
  }

  // The text not yet handed over, already in the output's encoding (UTF-16LE written straight
  // in: no UTF-8 copy of the document is made and widened afterwards). Appended by an inline
  // memcpy: std::string::append is an out-of-line call for each piece, and a report's line is a
  // dozen pieces (indent, `<`, prefix, name, `>`, text, `</`, ...).
  class TextBuffer {
   public:
    void Reserve(size_t n) {
      if (bytes_.size() < n) bytes_.resize(n);
    }
    void Append(const char* data, size_t n) {
      if (n > bytes_.size() - size_) Grow(n);
      char* to = bytes_.data() + size_;
      if (n >= 16 && n <= 64) {
        // Markup (a tag, a line start) is 16-64 bytes in UTF-16: copied inline by 16-byte
        // blocks, the last one overlapping, rather than by a call to memcpy.
        for (size_t i = 0; i + 16 < n; i += 16) std::memcpy(to + i, data + i, 16);
        std::memcpy(to + n - 16, data + n - 16, 16);
      } else {
        std::memcpy(to, data, n);
      }
      size_ += n;
    }
    void Append(std::string_view s) { Append(s.data(), s.size()); }
    // A copy of `n` bytes of this buffer from `at` (a closing tag's name).
    void AppendOwn(size_t at, size_t n) {
      if (n > bytes_.size() - size_) Grow(n);
      std::memcpy(bytes_.data() + size_, bytes_.data() + at, n);
      size_ += n;
    }
    void Push(char c) {
      if (size_ == bytes_.size()) Grow(1);
      bytes_[size_++] = c;
    }
    // Room for `n` more bytes at the end; Commit(end) then takes [size, end) as written.
    char* Room(size_t n) {
      if (n > bytes_.size() - size_) Grow(n);
      return bytes_.data() + size_;
    }
    void Commit(const char* end) { size_ = static_cast<size_t>(end - bytes_.data()); }
    size_t size() const { return size_; }
    std::string_view view() const { return std::string_view(bytes_.data(), size_); }
    void Clear() { size_ = 0; }

   private:
    void Grow(size_t n) { bytes_.resize(std::max(2 * bytes_.size(), size_ + n)); }

    std::string bytes_;  // [0, size_) is the text; the rest is room
    size_t size_ = 0;
  };

  const bool utf16_;
  const std::string indent_;  // in the output's encoding, as eol_ and the names below
  const std::string eol_;
  const size_t piece_;  // a piece is handed over once the buffer holds this many bytes
  std::string* out_;
  const Sink* sink_;
  TextBuffer text_;
  std::string line_start_;      // `eol_`, then `indent_` repeated as deep as ever needed
  std::string names_;           // the open elements' end tags, one after another
  std::vector<size_t> starts_;  // where each open element's end tag starts in names_
  std::vector<Tag> tags_;       // kTags slots, by a hash of the name
  unsigned indent_flags_ = kIndent;
  bool start_tag_open_ = false;
  bool failed_ = false;  // text not UTF-8 (UTF-16 mode) or a sink refused: nothing more goes out
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_XML_WRITER_H_
