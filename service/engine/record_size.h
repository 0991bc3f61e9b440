// The size of an operation record as a listing sends it, estimated without the wire format (the
// engine includes no protobuf): the bytes of every string and a fixed allowance per field, at
// least the serialized size. Listing pages are cut by it so that a page stays within what a
// default client accepts (4 MiB).

#ifndef GPOP_SERVICE_ENGINE_RECORD_SIZE_H_
#define GPOP_SERVICE_ENGINE_RECORD_SIZE_H_

#include <cstddef>

#include "service/engine/types.h"

namespace gpop::engine {

// EstimatedSize
//
// An upper estimate of `record`'s serialized size in bytes.
size_t EstimatedSize(const OperationRecord& record);

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_RECORD_SIZE_H_
