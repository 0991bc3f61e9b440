// HRESULT -> core::Error: the one place where the GPMC adapter turns a Windows failure code into
// gpop's error vocabulary (canonical code, stable reason, message, raw HRESULT).

#ifndef GPOP_SERVICE_BACKENDS_GPMC_HRESULT_ERROR_H_
#define GPOP_SERVICE_BACKENDS_GPMC_HRESULT_ERROR_H_

#include <windows.h>

#include <cstdint>
#include <string>

#include "service/core/error.h"

namespace gpop::gpmc {

// HresultText
//
// The system's description of `hr` (FormatMessage, one line, no trailing period), or the
// adapter's own text for codes GPMC is known to return when the system has none, or
// "no description available" — never empty.
std::string HresultText(HRESULT hr);

// IsCancelHresult
//
// True for the two codes GPMC is expected to end a cancelled operation with: E_ABORT and
// HRESULT_FROM_WIN32(ERROR_CANCELLED).
bool IsCancelHresult(HRESULT hr);

// ErrorFromHresult
//
// A core::Error for failure `hr` met while doing `what` ("backing up GPO {..}"). The error keeps
// the raw code (`hresult`, and metadata "hresult" as 0x%08X) and maps it to a canonical code:
//   REGDB_E_CLASSNOTREG            FAILED_PRECONDITION  GPMC_NOT_INSTALLED (retrying cannot help
//                                                       until the RSAT Group Policy tools are
//                                                       installed, so not UNAVAILABLE)
//   E_ACCESSDENIED                 PERMISSION_DENIED    ACCESS_DENIED
//   file/path/object not found     NOT_FOUND            `not_found_reason`
//   already exists                 ALREADY_EXISTS       GPO_EXISTS
//   E_ABORT, ERROR_CANCELLED       ABORTED              BACKEND_FAILURE (GPMC stopped on its own;
//                                                       the adapter turns these into CANCELLED
//                                                       itself when gpop asked for the cancel)
//   E_INVALIDARG                   INVALID_ARGUMENT     BACKEND_FAILURE
//   E_OUTOFMEMORY, disk full       RESOURCE_EXHAUSTED   BACKEND_FAILURE
//   timeout                        DEADLINE_EXCEEDED    BACKEND_FAILURE
//   DC/RPC/network unreachable     UNAVAILABLE          BACKEND_FAILURE
//   E_NOTIMPL                      UNIMPLEMENTED        UNSUPPORTED
//   anything else                  UNKNOWN              BACKEND_FAILURE
core::Error ErrorFromHresult(HRESULT hr, const std::string& what,
                             const char* not_found_reason = core::reason::kBackendFailure);

}  // namespace gpop::gpmc

#endif  // GPOP_SERVICE_BACKENDS_GPMC_HRESULT_ERROR_H_
