// The GPMC interface and class IDs the adapter uses, and a trait that names each interface's ID.
//
// The Windows SDK ships the ID values in gpmuuid.lib; mingw-w64's gpmgmt.h declares them without
// values, so gpmc_ids.cc defines them for mingw builds (values: shared/reference/gpmc-guids.txt).

#ifndef GPOP_SERVICE_BACKENDS_GPMC_GPMC_IDS_H_
#define GPOP_SERVICE_BACKENDS_GPMC_GPMC_IDS_H_

// <windows.h> must come before the COM headers.
// clang-format off
#include <windows.h>
#include <oaidl.h>
#include <gpmgmt.h>
// clang-format on

namespace gpop::gpmc {

// IidOf
//
// `IidOf<I>::value()` is the interface ID of COM interface `I`. Specialised for every interface
// the adapter and its test fakes query for; an unspecialised use does not compile.
template <typename I>
struct IidOf;

#define GPOP_GPMC_IID_OF(Interface)                       \
  template <>                                             \
  struct IidOf<Interface> {                               \
    static const IID& value() { return IID_##Interface; } \
  }

GPOP_GPMC_IID_OF(IUnknown);
GPOP_GPMC_IID_OF(IDispatch);
GPOP_GPMC_IID_OF(IEnumVARIANT);
GPOP_GPMC_IID_OF(IGPM);
GPOP_GPMC_IID_OF(IGPMDomain);
GPOP_GPMC_IID_OF(IGPMGPO);
GPOP_GPMC_IID_OF(IGPMGPOCollection);
GPOP_GPMC_IID_OF(IGPMBackup);
GPOP_GPMC_IID_OF(IGPMBackupCollection);
GPOP_GPMC_IID_OF(IGPMBackupDir);
GPOP_GPMC_IID_OF(IGPMSearchCriteria);
GPOP_GPMC_IID_OF(IGPMAsyncCancel);
GPOP_GPMC_IID_OF(IGPMAsyncProgress);
GPOP_GPMC_IID_OF(IGPMStatusMsgCollection);
GPOP_GPMC_IID_OF(IGPMStatusMessage);
GPOP_GPMC_IID_OF(IGPMResult);
GPOP_GPMC_IID_OF(IGPMMigrationTable);

#undef GPOP_GPMC_IID_OF

}  // namespace gpop::gpmc

#endif  // GPOP_SERVICE_BACKENDS_GPMC_GPMC_IDS_H_
