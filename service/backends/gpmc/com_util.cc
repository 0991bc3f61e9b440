// COM helpers for the GPMC adapter (see com_util.h).

#include "service/backends/gpmc/com_util.h"

#include <cstdio>
#include <vector>

namespace gpop::gpmc {

Bstr::Bstr(const std::wstring& text)
    : s_(SysAllocStringLen(text.data(), static_cast<UINT>(text.size()))) {}

Bstr Bstr::FromUtf8(const std::string& text) { return Bstr(Utf8ToWide(text)); }

std::string Bstr::Utf8() const {
  if (!s_) return std::string();
  return WideToUtf8(s_, SysStringLen(s_));
}

Variant Variant::Dispatch(IDispatch* p) {
  Variant v;
  if (p) {
    p->AddRef();
    v.v_.vt = VT_DISPATCH;
    v.v_.pdispVal = p;
  }
  return v;
}

Variant Variant::String(const std::string& utf8) {
  Variant v;
  std::wstring wide = Utf8ToWide(utf8);
  v.v_.vt = VT_BSTR;
  v.v_.bstrVal = SysAllocStringLen(wide.data(), static_cast<UINT>(wide.size()));
  return v;
}

Variant Variant::CopyOf(const VARIANT* source) {
  Variant v;
  if (source && FAILED(VariantCopy(&v.v_, const_cast<VARIANT*>(source)))) VariantInit(&v.v_);
  return v;
}

IUnknown* Variant::AsUnknown() const {
  if (v_.vt == VT_DISPATCH) return v_.pdispVal;
  if (v_.vt == VT_UNKNOWN) return v_.punkVal;
  return nullptr;
}

std::wstring Utf8ToWide(const std::string& text) {
  if (text.empty()) return std::wstring();
  int n = MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n);
  return out;
}

std::string WideToUtf8(const wchar_t* text, size_t length) {
  if (!text || length == 0) return std::string();
  int n =
      WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(length), nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(length), out.data(), n, nullptr, nullptr);
  return out;
}

std::string WideToUtf8(const std::wstring& text) { return WideToUtf8(text.data(), text.size()); }

std::string HresultHex(HRESULT hr) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08X", static_cast<unsigned>(hr));
  return buf;
}

}  // namespace gpop::gpmc
