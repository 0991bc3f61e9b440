// UTF-16LE <-> UTF-8 conversion for the Windows files that are stored as UTF-16LE (GptTmpl.inf,
// gpreport.xml, the strings inside Registry.pol).
//
// Strict in both directions: odd byte counts, unpaired surrogates and invalid UTF-8 are errors
// (CORRUPT_FILE naming the file and the byte offset), never replaced or guessed at, so that a
// decode followed by an encode gives back the same bytes.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_UTF16_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_UTF16_H_

#include <string>
#include <string_view>

#include "service/core/error.h"

namespace gpop::sysvol {

// kUtf16LeBom
//
// The UTF-16LE byte order mark, FF FE.
inline constexpr std::string_view kUtf16LeBom = "\xFF\xFE";

// kUtf8Bom
//
// The UTF-8 byte order mark, EF BB BF.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// HasUtf16LeBom
//
// True when `bytes` starts with FF FE.
bool HasUtf16LeBom(std::string_view bytes);

// Utf16LeToUtf8
//
// Decodes UTF-16LE code units (no BOM handling: a leading FF FE decodes to U+FEFF). Errors:
// odd length, unpaired high or low surrogate. `display_path` names the file in messages and
// `base_offset` is added to the reported offsets (for strings embedded in a larger file).
core::Result<std::string> Utf16LeToUtf8(std::string_view bytes, std::string_view display_path,
                                        size_t base_offset = 0);

// IsValidUtf16Le
//
// True when `bytes` is whole UTF-16LE code units with every surrogate paired: what
// Utf16LeToUtf8 decodes without an error.
bool IsValidUtf16Le(std::string_view bytes);

// Utf16LeToUtf8Into
//
// Utf16LeToUtf8 into `*buffer`, which is only grown (its size is not the text's): returns the
// text, a view into `*buffer` valid until the buffer's next use. A parser that decodes many
// short strings through one buffer allocates (and zero-fills) it once.
core::Result<std::string_view> Utf16LeToUtf8Into(std::string_view bytes, std::string* buffer,
                                                 std::string_view display_path,
                                                 size_t base_offset = 0);

// Utf8ToUtf16Le
//
// Encodes UTF-8 text as UTF-16LE code units without a BOM. Errors: invalid UTF-8 (overlong
// forms, surrogates encoded in UTF-8, code points above U+10FFFF, truncated sequences).
core::Result<std::string> Utf8ToUtf16Le(std::string_view utf8, std::string_view display_path = {});

// Utf8ToUtf16LeInto
//
// Utf8ToUtf16Le into memory the caller provides: writes `utf8` as UTF-16LE at `out`, which has
// room for 2 * utf8.size() bytes, and returns the number of bytes written; false in `*valid`
// when `utf8` is not valid UTF-8 (what was written is then to be discarded). For a writer that
// keeps one buffer for every piece of a long document.
size_t Utf8ToUtf16LeInto(std::string_view utf8, char* out, bool* valid);

// Utf16LeEncoder
//
// Utf8ToUtf16Le over a text that arrives in pieces (an XML writer's chunks): a UTF-8 sequence
// may be split between two `Append` calls. Appends to `*out`; once invalid UTF-8 is seen,
// `ok()` is false and nothing more is appended. `Finish` reports a sequence left incomplete
// at the end. Thread-compatible.
class Utf16LeEncoder {
 public:
  explicit Utf16LeEncoder(std::string* out) : out_(out) {}

  void Append(std::string_view utf8);
  // False when the text so far (with `Finish`: the whole text) is not valid UTF-8.
  bool Finish();
  bool ok() const { return ok_; }

 private:
  std::string* out_;
  char pending_[4] = {};  // the start of a sequence split by the last Append
  size_t pending_size_ = 0;
  bool ok_ = true;
};

// DecodeUtf16LeWithBom
//
// For files that must be UTF-16LE with a BOM: checks the BOM (a missing or different BOM is a
// CORRUPT_FILE error saying what was found, e.g. "UTF-8 BOM" or "no BOM"), then decodes the rest.
core::Result<std::string> DecodeUtf16LeWithBom(std::string_view bytes,
                                               std::string_view display_path);

// EncodeUtf16LeWithBom
//
// FF FE followed by `utf8` encoded as UTF-16LE.
core::Result<std::string> EncodeUtf16LeWithBom(std::string_view utf8,
                                               std::string_view display_path = {});

// IsValidUtf8
//
// True when `text` is well-formed UTF-8 (the same rules Utf8ToUtf16Le applies).
bool IsValidUtf8(std::string_view text);

// PrintableName
//
// `text` (a file name or path met on disk) as a status message may show it: every control
// character as \xNN and, when `text` is not valid UTF-8, every byte of 0x80 and above too, so
// that the message is valid UTF-8 and printable whatever the name holds.
std::string PrintableName(std::string_view text);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_UTF16_H_
