// Small COM helpers for the GPMC adapter: an owning interface pointer, BSTR and VARIANT owners,
// UTF-8 <-> UTF-16 conversion and a per-thread multithreaded-apartment guard.
//
// Windows only. Nothing here is specific to GPMC; the helpers exist so that every reference the
// adapter takes is released on every path without hand-written Release calls.

#ifndef GPOP_SERVICE_BACKENDS_GPMC_COM_UTIL_H_
#define GPOP_SERVICE_BACKENDS_GPMC_COM_UTIL_H_

// <windows.h> must come before the COM headers.
// clang-format off
#include <windows.h>
#include <oaidl.h>
#include <objbase.h>
#include <oleauto.h>
// clang-format on

#include <string>
#include <utility>

#include "service/backends/gpmc/gpmc_ids.h"

namespace gpop::gpmc {

// ComPtr
//
// Owns one reference to a COM interface `T`. Movable and copyable (a copy adds a reference).
// Not thread-safe: one ComPtr is used by one thread at a time, as any value.
template <typename T>
class ComPtr {
 public:
  ComPtr() = default;
  ComPtr(const ComPtr& other) : p_(other.p_) {
    if (p_) p_->AddRef();
  }
  ComPtr(ComPtr&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  ComPtr& operator=(ComPtr other) noexcept {
    std::swap(p_, other.p_);
    return *this;
  }
  ~ComPtr() { Reset(); }

  // Takes over a reference the caller already owns (e.g. one returned by an out-parameter).
  static ComPtr Adopt(T* p) {
    ComPtr r;
    r.p_ = p;
    return r;
  }
  // Adds a reference to `p`.
  static ComPtr Share(T* p) {
    if (p) p->AddRef();
    return Adopt(p);
  }

  T* get() const { return p_; }
  T* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

  // Releases the held reference (if any) and returns the slot for an out-parameter.
  T** Put() {
    Reset();
    return &p_;
  }
  // Gives the reference to the caller (for an out-parameter of ours).
  T* Detach() { return std::exchange(p_, nullptr); }
  void Reset() {
    if (T* p = std::exchange(p_, nullptr)) p->Release();
  }

  // QueryInterface for `U`; `*hr` (if given) receives the HRESULT.
  template <typename U>
  ComPtr<U> As(HRESULT* hr = nullptr) const {
    ComPtr<U> out;
    HRESULT result = E_POINTER;
    if (p_) result = p_->QueryInterface(IidOf<U>::value(), reinterpret_cast<void**>(out.Put()));
    if (hr) *hr = result;
    return out;
  }

 private:
  T* p_ = nullptr;
};

// Bstr
//
// Owns one BSTR. Not thread-safe.
class Bstr {
 public:
  Bstr() = default;
  explicit Bstr(const std::wstring& text);
  Bstr(const Bstr&) = delete;
  Bstr& operator=(const Bstr&) = delete;
  Bstr(Bstr&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
  ~Bstr() { SysFreeString(s_); }

  // From UTF-8 text.
  static Bstr FromUtf8(const std::string& text);

  BSTR get() const { return s_; }
  BSTR* Put() {
    SysFreeString(s_);
    s_ = nullptr;
    return &s_;
  }
  // UTF-8 copy of the string (empty for a null BSTR).
  std::string Utf8() const;

 private:
  BSTR s_ = nullptr;
};

// Variant
//
// Owns one VARIANT (VariantClear on destruction). Not thread-safe.
class Variant {
 public:
  Variant() { VariantInit(&v_); }
  Variant(const Variant&) = delete;
  Variant& operator=(const Variant&) = delete;
  Variant(Variant&& other) noexcept {
    v_ = other.v_;
    VariantInit(&other.v_);
  }
  Variant& operator=(Variant&& other) noexcept {
    if (this != &other) {
      VariantClear(&v_);
      v_ = other.v_;
      VariantInit(&other.v_);
    }
    return *this;
  }
  ~Variant() { VariantClear(&v_); }

  // A VT_DISPATCH variant holding a new reference to `p` (VT_EMPTY for null).
  static Variant Dispatch(IDispatch* p);
  // A VT_BSTR variant holding a copy of `text`.
  static Variant String(const std::string& utf8);
  // A deep copy of `*source` (VT_EMPTY for null or an uncopyable value).
  static Variant CopyOf(const VARIANT* source);

  VARIANT* get() { return &v_; }
  const VARIANT* get() const { return &v_; }
  bool empty() const { return v_.vt == VT_EMPTY || v_.vt == VT_NULL; }

  // The IUnknown in a VT_DISPATCH or VT_UNKNOWN variant (no reference added), else null.
  IUnknown* AsUnknown() const;

 private:
  VARIANT v_;
};

// ForEachItem
//
// Calls `fn(const Variant& item)` for each item of an automation collection (GPMC's GPO, backup
// and status-message collections): through its enumerator (`get__NewEnum`) when it gives one,
// else through `get_Count` / `get_Item`, whose base is undocumented (index 0 is probed, else the
// items are counted from 1).
template <typename Collection, typename Fn>
void ForEachItem(Collection* collection, Fn fn) {
  if (!collection) return;
  ComPtr<IEnumVARIANT> items;
  if (SUCCEEDED(collection->get__NewEnum(items.Put())) && items) {
    for (;;) {
      Variant item;
      ULONG fetched = 0;
      if (items->Next(1, item.get(), &fetched) != S_OK || fetched != 1) break;
      fn(item);
    }
    return;
  }
  LONG count = 0;
  if (FAILED(collection->get_Count(&count)) || count <= 0) return;
  Variant first;
  const LONG base = SUCCEEDED(collection->get_Item(0, first.get())) ? 0 : 1;
  for (LONG i = base; i < base + count; ++i) {
    Variant item;
    if (SUCCEEDED(collection->get_Item(i, item.get()))) fn(item);
  }
}

// Utf8ToWide / WideToUtf8
//
// Strict conversions between UTF-8 and UTF-16; invalid sequences become U+FFFD.
std::wstring Utf8ToWide(const std::string& text);
std::string WideToUtf8(const wchar_t* text, size_t length);
std::string WideToUtf8(const std::wstring& text);

// HresultHex
//
// "0x80070005": the form DESIGN.md prescribes for raw HRESULTs in text.
std::string HresultHex(HRESULT hr);

// ScopedMta
//
// Joins the calling thread to the multithreaded apartment for the guard's lifetime
// (CoInitializeEx(COINIT_MULTITHREADED) / CoUninitialize). Use on threads the adapter owns only.
class ScopedMta {
 public:
  ScopedMta() : hr_(CoInitializeEx(nullptr, COINIT_MULTITHREADED)) {}
  ScopedMta(const ScopedMta&) = delete;
  ScopedMta& operator=(const ScopedMta&) = delete;
  ~ScopedMta() {
    if (SUCCEEDED(hr_)) CoUninitialize();
  }
  HRESULT hr() const { return hr_; }

 private:
  HRESULT hr_;
};

}  // namespace gpop::gpmc

#endif  // GPOP_SERVICE_BACKENDS_GPMC_COM_UTIL_H_
