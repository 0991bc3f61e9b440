// HRESULT -> core::Error mapping for the GPMC adapter (see hresult_error.h).

#include "service/backends/gpmc/hresult_error.h"

#include <winerror.h>

#include "service/backends/gpmc/com_util.h"

namespace gpop::gpmc {
namespace {

HRESULT Win32(DWORD code) { return HRESULT_FROM_WIN32(code); }

// Text of our own for codes that GPMC returns and that a system may not describe (Wine, or a
// Windows without the message table that holds them).
const char* FallbackText(HRESULT hr) {
  switch (static_cast<uint32_t>(hr)) {
    case 0x80040154:
      return "Class not registered: the Group Policy Management Console "
             "(Gpmgmt.dll) is not installed";
    case 0x80004004:
      return "Operation aborted";
    case 0x800704C7:
      return "The operation was cancelled by the user";
    case 0x80070005:
      return "Access is denied";
    case 0x80070057:
      return "The parameter is incorrect";
    case 0x8007000E:
      return "Not enough memory resources are available";
    case 0x80004001:
      return "Not implemented";
    case 0x80004005:
      return "Unspecified error";
    case 0x80070002:
      return "The system cannot find the file specified";
    case 0x80070003:
      return "The system cannot find the path specified";
    case 0x80072030:
      return "There is no such object on the server";
    case 0x8007054B:
      return "The specified domain either does not exist or could not be contacted";
    case 0x800706BA:
      return "The RPC server is unavailable";
    case 0x8007203A:
      return "The server is not operational";
  }
  return nullptr;
}

std::string SystemText(HRESULT hr) {
  wchar_t* buffer = nullptr;
  DWORD n = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, static_cast<DWORD>(hr), 0, reinterpret_cast<wchar_t*>(&buffer), 0, nullptr);
  std::string text;
  if (n != 0 && buffer) text = WideToUtf8(buffer, n);
  if (buffer) LocalFree(buffer);
  // One line, no trailing period: the text is embedded in a longer message.
  while (!text.empty() &&
         (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '.')) {
    text.pop_back();
  }
  for (char& c : text) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return text;
}

}  // namespace

std::string HresultText(HRESULT hr) {
  std::string text = SystemText(hr);
  if (!text.empty()) return text;
  if (const char* fallback = FallbackText(hr)) return fallback;
  return "no description available";
}

bool IsCancelHresult(HRESULT hr) { return hr == E_ABORT || hr == Win32(ERROR_CANCELLED); }

core::Error ErrorFromHresult(HRESULT hr, const std::string& what, const char* not_found_reason) {
  using core::Code;
  namespace reason = core::reason;
  Code code = Code::kUnknown;
  const char* why = reason::kBackendFailure;
  std::string message;

  if (hr == REGDB_E_CLASSNOTREG) {
    code = Code::kFailedPrecondition;
    why = reason::kGpmcNotInstalled;
    message =
        "GPMC is not installed on this host (install the Group Policy Management feature "
        "or the RSAT Group Policy tools); failed " +
        what;
  } else if (hr == E_ACCESSDENIED) {
    code = Code::kPermissionDenied;
    why = reason::kAccessDenied;
  } else if (hr == Win32(ERROR_FILE_NOT_FOUND) || hr == Win32(ERROR_PATH_NOT_FOUND) ||
             hr == Win32(ERROR_NOT_FOUND) || hr == Win32(ERROR_DS_NO_SUCH_OBJECT) ||
             hr == Win32(ERROR_OBJECT_NOT_FOUND)) {
    code = Code::kNotFound;
    why = not_found_reason;
  } else if (hr == Win32(ERROR_ALREADY_EXISTS) || hr == Win32(ERROR_FILE_EXISTS) ||
             hr == Win32(ERROR_OBJECT_ALREADY_EXISTS) ||
             hr == Win32(ERROR_DS_OBJ_STRING_NAME_EXISTS)) {
    code = Code::kAlreadyExists;
    why = reason::kGpoExists;
  } else if (IsCancelHresult(hr)) {
    code = Code::kAborted;
  } else if (hr == E_INVALIDARG) {
    code = Code::kInvalidArgument;
  } else if (hr == E_OUTOFMEMORY || hr == Win32(ERROR_NOT_ENOUGH_MEMORY) ||
             hr == Win32(ERROR_DISK_FULL) || hr == Win32(ERROR_HANDLE_DISK_FULL)) {
    code = Code::kResourceExhausted;
  } else if (hr == Win32(ERROR_TIMEOUT) || hr == Win32(WAIT_TIMEOUT) ||
             hr == Win32(ERROR_SEM_TIMEOUT)) {
    code = Code::kDeadlineExceeded;
  } else if (hr == Win32(RPC_S_SERVER_UNAVAILABLE) || hr == Win32(ERROR_NO_SUCH_DOMAIN) ||
             hr == Win32(ERROR_DS_SERVER_DOWN) || hr == Win32(ERROR_BAD_NETPATH) ||
             hr == Win32(ERROR_NETWORK_UNREACHABLE) ||
             hr == Win32(ERROR_DOMAIN_CONTROLLER_NOT_FOUND)) {
    code = Code::kUnavailable;
  } else if (hr == E_NOTIMPL) {
    code = Code::kUnimplemented;
    why = reason::kUnsupported;
  }

  const std::string hex = HresultHex(hr);
  if (message.empty()) message = what;
  message += ": " + HresultText(hr) + " (HRESULT " + hex + ")";
  core::Error error = core::MakeError(code, why, std::move(message), {{"hresult", hex}});
  error.hresult = static_cast<uint32_t>(hr);
  return error;
}

}  // namespace gpop::gpmc
